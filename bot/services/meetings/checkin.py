"""Check-in: the one function every door calls (official-account scan, rotating QR page, mini-program, 代签).

Rules: members of the meeting's branch (of its group for a 小组会, 支委 for a 支委会), or 流动党员 registered
with the branch; the window opens CHECKIN_OPENS_BEFORE minutes before the start and closes at the end;
after start + CHECKIN_LATE_AFTER minutes the check-in is late. A second scan is a friendly "已签到",
never a second record: the unique (meeting, member) constraint holds even when two scans race, and a
retry of the same WeChat message (same source_key) gets the same success reply, with or without Redis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.chat import texts as M
from bot.infra.db import FastRead, FastWrite, Unit, insert_for
from bot.models import Attendance, Branch, Meeting, Member, MobileRegistration, PartyGroup
from bot.services import authz
from bot.services.authz import Action, Sender
from bot.services.errors import Conflict, NotFound, PermissionDenied
from bot.services.meetings.scheduling import fmt_stamp, tz_of

CHANNELS = ("scan", "rotating", "manual", "miniprogram")


# Meetings only the branch's own members attend: 流动党员 registered with the branch may check in to (and
# are reminded of) its other meetings, never to these.
OWN_MEMBERS_ONLY = ("group_meeting", "committee_meeting")


@dataclass(frozen=True, slots=True)
class MeetingRow:
    """A meeting as check-in needs it, read without an ORM object (the scan's hot path)."""

    id: int
    branch_id: int
    group_id: int | None
    type: str
    status: str
    starts_at: datetime
    ends_at: datetime


Attendee = Member | Sender  # what check-in reads of a member: the full record, or the webhook's light one
CheckinMeeting = Meeting | MeetingRow


# The meeting a QR's scene names and the member who scanned it, in one statement (the scan's hot path).
_BY_SCENE = FastRead(
    select(Meeting.id, Meeting.branch_id, Meeting.group_id, Meeting.type, Meeting.status, Meeting.starts_at,
           Meeting.ends_at, Member.id, Member.name, Member.branch_id, Member.group_id, Member.is_committee_member,
           Member.active)
    .select_from(Meeting)
    .outerjoin(Member, Member.openid == bindparam("openid"))
    .where(Meeting.checkin_scene == bindparam("scene"))
)
_COLUMNS = ("meeting_id", "member_id", "checked_in_at", "late", "channel", "entered_by_id", "source_key")
# The record, in one statement: the unique (meeting, member) constraint decides, so a second scan or a
# concurrent one inserts nothing (and returns no id).
_INSERT = FastWrite(lambda dialect: insert_for(dialect)(Attendance).values({c: bindparam(c) for c in _COLUMNS})
                    .on_conflict_do_nothing(index_elements=["meeting_id", "member_id"]).returning(Attendance.id))
_EXISTING = FastRead(
    select(Attendance.id, Attendance.checked_in_at, Attendance.late, Attendance.source_key)
    .where(Attendance.meeting_id == bindparam("meeting_id"), Attendance.member_id == bindparam("member_id"))
)


class _Record(NamedTuple):
    """A member's attendance at a meeting, as a repeat answer needs it."""

    id: int
    checked_in_at: datetime
    late: bool
    source_key: str | None


@dataclass(frozen=True)
class CheckinResult:
    attendance_id: int
    member_id: int
    member_name: str
    checked_in_at: datetime
    late: bool
    created: bool  # False: the member had already checked in (a second scan or a retry)
    message: str  # what the member (or the secretary, for 代签) reads


def window(meeting: CheckinMeeting, settings: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """When check-in opens and closes."""
    return meeting.starts_at - timedelta(minutes=int(settings["CHECKIN_OPENS_BEFORE"])), meeting.ends_at


def is_late(meeting: CheckinMeeting, at: datetime, settings: Mapping[str, Any]) -> bool:
    return at > meeting.starts_at + timedelta(minutes=int(settings["CHECKIN_LATE_AFTER"]))


def scan_lookup(unit: Unit, scene: str, openid: str) -> tuple[MeetingRow, Sender | None]:
    """The meeting an official-account QR's scene names (EventKey of SCAN, without qrscene_), and the
    member bound to the openid that scanned it (None if nobody is)."""
    found = unit.read(_BY_SCENE, scene=scene[:64], openid=openid)
    if not found:
        raise NotFound(M.CHK_SCENE_UNKNOWN)
    row = found[0]
    if row[4] == "deleted":
        raise NotFound(M.CHK_SCENE_UNKNOWN)
    sender = Sender(*row[7:]) if row[7] is not None else None
    return MeetingRow(*row[:7]), sender


def eligibility_problem(unit: Unit, meeting: CheckinMeeting, member: Attendee) -> str | None:
    """Why `member` may not check in to `meeting`, or None if they may (the usual case reads nothing more)."""
    if member.branch_id == meeting.branch_id:
        if meeting.type == "group_meeting" and meeting.group_id is not None and member.group_id != meeting.group_id:
            group = unit.session.get(PartyGroup, meeting.group_id)
            return M.CHK_NOT_GROUP.format(group=group.name if group else "该党小组")
        if meeting.type == "committee_meeting" and not member.is_committee_member:
            return M.CHK_NOT_COMMITTEE
        return None
    if meeting.type not in OWN_MEMBERS_ONLY:
        registered = unit.session.scalar(select(MobileRegistration.id).where(
            MobileRegistration.member_id == member.id, MobileRegistration.host_branch_id == meeting.branch_id))
        if registered is not None:
            return None
    branch = unit.session.get(Branch, meeting.branch_id)
    return M.CHK_NOT_MEMBER.format(branch=branch.name if branch else "本支部")


def _existing(session: Session, meeting: CheckinMeeting, member: Attendee) -> Attendance | None:
    return session.scalar(select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                   Attendance.member_id == member.id))


def _record(unit: Unit, meeting: CheckinMeeting, member: Attendee) -> _Record | None:
    found = unit.read(_EXISTING, meeting_id=meeting.id, member_id=member.id)
    return _Record(*found[0]) if found else None


def _success_text(checked_in_at: datetime, late: bool, member: Attendee, settings: Mapping[str, Any],
                  manual: bool) -> str:
    at = fmt_stamp(checked_in_at, settings)
    if manual:
        return M.CHK_MANUAL_OK.format(name=member.name, at=at)
    return (M.CHK_OK_LATE if late else M.CHK_OK).format(name=member.name, at=at)


def _repeat(att: _Record, member: Attendee, settings: Mapping[str, Any], source_key: str | None,
            manual: bool) -> CheckinResult:
    if source_key and att.source_key == source_key:  # WeChat retried the same message: the same reply
        text = _success_text(att.checked_in_at, att.late, member, settings, manual)
    else:
        at = fmt_stamp(att.checked_in_at, settings)
        text = (M.CHK_ALREADY_OTHER if manual else M.CHK_ALREADY).format(name=member.name, at=at)
    return CheckinResult(att.id, member.id, member.name, att.checked_in_at, att.late, False, text)


def check_in(unit: Unit, *, meeting: CheckinMeeting | None, member: Attendee | None, now: datetime, channel: str,
             settings: Mapping[str, Any], entered_by: Member | None = None,
             source_key: str | None = None) -> CheckinResult:
    """Record that `member` attended `meeting`, or raise a ServiceError saying why not (nothing written).

    The record is the action's last write (Unit.write): through the webhook, a scan's one statement
    commits on its own; where the action has already written (a page's transaction), it joins that."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown check-in channel {channel!r}")
    if meeting is None or meeting.status == "deleted":
        raise NotFound(M.CHK_SCENE_UNKNOWN)
    if meeting.status == "cancelled":
        raise Conflict(M.CHK_CANCELLED)
    manual = entered_by is not None
    if manual:
        target = meeting if isinstance(meeting, Meeting) else unit.session.get(Meeting, meeting.id)
        if target is None:
            raise NotFound(M.CHK_SCENE_UNKNOWN)
        authz.require(unit.session, entered_by, Action.CHECKIN_OTHERS, target)
    if member is None:
        raise PermissionDenied(M.CHK_UNBOUND)
    if not member.active:
        raise PermissionDenied(M.CHK_INACTIVE)
    problem = eligibility_problem(unit, meeting, member)
    if problem:
        raise PermissionDenied(problem)
    opens, closes = window(meeting, settings)
    if not opens <= now <= closes:
        existing = _record(unit, meeting, member)
        if existing is not None:  # already checked in: a friendly answer even after the window
            return _repeat(existing, member, settings, source_key, manual)
        local = tz_of(settings)
        if now < opens:
            raise Conflict(M.CHK_TOO_EARLY.format(
                start=meeting.starts_at.astimezone(local).strftime("%m月%d日 %H:%M"),
                opens=opens.astimezone(local).strftime("%H:%M")))
        raise Conflict(M.CHK_CLOSED.format(end=closes.astimezone(local).strftime("%m月%d日 %H:%M")))
    values = dict(meeting_id=meeting.id, member_id=member.id, checked_in_at=now, late=is_late(meeting, now, settings),
                  channel=channel, entered_by_id=entered_by.id if entered_by else None, source_key=source_key or None)
    found = unit.write(_INSERT, **values)
    if not found:  # a second scan, or a concurrent one that committed first: read its record instead
        existing = _record(unit, meeting, member)
        if existing is None:  # the conflicting row is committed, so our next statement sees it
            raise RuntimeError(f"attendance conflict for meeting {meeting.id} member {member.id} without a row")
        return _repeat(existing, member, settings, source_key, manual)
    late = bool(values["late"])
    return CheckinResult(int(found[0][0]), member.id, member.name, now, late, True,
                         _success_text(now, late, member, settings, manual))


def sign_out(session: Session, *, meeting: Meeting, member: Member | None, now: datetime,
             settings: Mapping[str, Any]) -> str:
    """Optional sign-out (签退): stamps the member's attendance; a repeat keeps the first time."""
    if member is None:
        raise PermissionDenied(M.CHK_UNBOUND)
    att = _existing(session, meeting, member)
    if att is None:
        raise Conflict(M.CHK_NOT_CHECKED_IN)
    if att.signed_out_at is None:
        att.signed_out_at = now
        session.flush()
    return M.CHK_SIGNED_OUT.format(name=member.name, at=fmt_stamp(att.signed_out_at, settings))


def open_meetings_for(session: Session, member: Member, now: datetime, settings: Mapping[str, Any]) -> list[Meeting]:
    """Meetings of the member's branch whose check-in window is open now (for 签退 and 代签)."""
    if member.branch_id is None:
        return []
    before = timedelta(minutes=int(settings["CHECKIN_OPENS_BEFORE"]))
    return list(session.scalars(select(Meeting).where(
        Meeting.branch_id == member.branch_id, Meeting.status == "scheduled",
        Meeting.starts_at <= now + before,
        Meeting.ends_at >= now).order_by(Meeting.starts_at)))


def find_member_by_name(session: Session, branch_id: int, name: str) -> Member:
    """A member of the branch by name, for 代签."""
    found = list(session.scalars(select(Member).where(Member.branch_id == branch_id, Member.name == name,
                                                      Member.active.is_(True))))
    if not found:
        raise NotFound(M.CHK_MANUAL_NOBODY.format(name=name))
    if len(found) > 1:
        raise Conflict(M.CHK_MANUAL_MANY.format(name=name))
    return found[0]
