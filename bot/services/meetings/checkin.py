"""Check-in: the one function every door calls (official-account scan, rotating QR page, mini-program, 代签).

Rules: members of the meeting's branch (of its group for a 小组会, 支委 for a 支委会), or 流动党员 registered
with the branch; the window opens CHECKIN_OPENS_BEFORE minutes before the start and closes at the end;
after start + CHECKIN_LATE_AFTER minutes the check-in is late. A second scan is a friendly "已签到",
never a second record: the unique (meeting, member) constraint holds even when two scans race, and a
retry of the same WeChat message (same source_key) gets the same success reply, with or without Redis.

The scan is the webhook's hot path: `scan_lookup` reads the meeting and the member who scanned in one raw
statement (FastRead), and `check_in` writes the record as one raw statement (FastWrite) through the
action's Unit. That write is the action's last: where nothing was written before it, it commits on its own
and seals the Unit (bot.infra.db.Unit.write). This module is the only one that writes that way, and
`check_in` writes nothing after it; other operations write through the session as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.db import Unit, insert_for
from bot.infra.fastpath import FastRead, FastWrite
from bot.models import Attendance, Branch, Meeting, Member, MobileRegistration, PartyGroup
from bot.services import authz
from bot.services.authz import Action, Sender
from bot.services.errors import Conflict, NotFound, PermissionDenied
from bot.services.meetings.scheduling import upcoming

CHANNELS = ("scan", "rotating", "manual", "miniprogram")


# Meetings only the branch's own members attend: 流动党员 registered with the branch may check in to (and
# are reminded of) its other meetings, never to these.
OWN_MEMBERS_ONLY = ("group_meeting", "committee_meeting")


@dataclass(frozen=True, slots=True)
class MeetingRef:
    """A meeting as check-in reads it: from the scan's one statement, or from a Meeting (MeetingRef.of)."""

    id: int
    branch_id: int
    group_id: int | None
    type: str
    status: str
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def of(cls, meeting: Meeting) -> MeetingRef:
        return cls(id=meeting.id, branch_id=meeting.branch_id, group_id=meeting.group_id, type=meeting.type,
                   status=meeting.status, starts_at=meeting.starts_at, ends_at=meeting.ends_at)


@dataclass(frozen=True, slots=True)
class Scan:
    """What a scan's one statement read: the meeting its scene names, and the member bound to the openid
    that scanned it (None if nobody is)."""

    meeting: MeetingRef
    member: Sender | None  # the webhook takes it as the message's sender (read together with the meeting)


# The meeting a QR's scene names and the member who scanned it, in one statement (the scan's hot path),
# read back by name.
_SCAN_COLUMNS = {
    "meeting_id": Meeting.id, "meeting_branch_id": Meeting.branch_id, "meeting_group_id": Meeting.group_id,
    "meeting_type": Meeting.type, "meeting_status": Meeting.status, "starts_at": Meeting.starts_at,
    "ends_at": Meeting.ends_at, "member_id": Member.id, "member_name": Member.name,
    "member_branch_id": Member.branch_id, "member_group_id": Member.group_id,
    "is_committee_member": Member.is_committee_member, "member_active": Member.active,
}
_BY_SCENE = FastRead(
    select(*(column.label(name) for name, column in _SCAN_COLUMNS.items()))
    .select_from(Meeting)
    .outerjoin(Member, Member.openid == bindparam("openid"))
    .where(Meeting.checkin_scene == bindparam("scene"))
)
_COLUMNS = ("meeting_id", "member_id", "checked_in_at", "late", "channel", "entered_by_id", "source_key")
# The record, in one statement: the unique (meeting, member) constraint decides, so a second scan or a
# concurrent one inserts nothing (and returns no id).
_INSERT = FastWrite(lambda dialect: insert_for(dialect)(Attendance).values({c: bindparam(c) for c in _COLUMNS})
                    .on_conflict_do_nothing(index_elements=["meeting_id", "member_id"]).returning(Attendance.id))
_RECORD_COLUMNS = {"id": Attendance.id, "checked_in_at": Attendance.checked_in_at, "late": Attendance.late,
                   "source_key": Attendance.source_key}
_EXISTING = FastRead(
    select(*(column.label(name) for name, column in _RECORD_COLUMNS.items()))
    .where(Attendance.meeting_id == bindparam("meeting_id"), Attendance.member_id == bindparam("member_id"))
)


@dataclass(frozen=True, slots=True)
class _Record:
    """A member's attendance at a meeting, as a repeat answer needs it."""

    id: int
    checked_in_at: datetime
    late: bool
    source_key: str | None


@dataclass(frozen=True)
class CheckinResult:
    """What a check-in did (worded by bot.texts.meetings.checkin_reply)."""

    attendance_id: int
    member_id: int
    member_name: str
    checked_in_at: datetime
    late: bool
    created: bool  # False: the member had already checked in (a second scan or a retry)
    manual: bool  # entered for the member by a secretary or committee member (代签)
    same_message: bool = False  # a repeat of the message that made the record (WeChat's retry)


@dataclass(frozen=True)
class SignOut:
    member_name: str
    signed_out_at: datetime


def window(meeting: MeetingRef, settings: Settings) -> tuple[datetime, datetime]:
    """When check-in opens and closes."""
    return meeting.starts_at - timedelta(minutes=settings["CHECKIN_OPENS_BEFORE"]), meeting.ends_at


def is_late(meeting: MeetingRef, at: datetime, settings: Settings) -> bool:
    return at > meeting.starts_at + timedelta(minutes=settings["CHECKIN_LATE_AFTER"])


def scan_lookup(unit: Unit, scene: str, openid: str) -> Scan:
    """The meeting an official-account QR's scene names (EventKey of SCAN, without qrscene_), and the
    member bound to the openid that scanned it, in one statement."""
    found = unit.read(_BY_SCENE, scene=scene[:64], openid=openid)
    if not found:
        raise NotFound("checkin_scene_unknown")
    row = dict(zip(_SCAN_COLUMNS, found[0], strict=True))
    if row["meeting_status"] == "deleted":
        raise NotFound("checkin_scene_unknown")
    meeting = MeetingRef(id=row["meeting_id"], branch_id=row["meeting_branch_id"], group_id=row["meeting_group_id"],
                         type=row["meeting_type"], status=row["meeting_status"], starts_at=row["starts_at"],
                         ends_at=row["ends_at"])
    member = None
    if row["member_id"] is not None:
        member = Sender(id=row["member_id"], name=row["member_name"], branch_id=row["member_branch_id"],
                        group_id=row["member_group_id"], is_committee_member=row["is_committee_member"],
                        active=row["member_active"])
    return Scan(meeting, member)


def attendee_by_openid(session: Session, openid: str) -> Sender | None:
    """The member bound to an openid, as check-in reads them (the H5 page's door)."""
    member = session.scalar(select(Member).where(Member.openid == openid))
    return Sender.of(member) if member is not None else None


def _eligibility(unit: Unit, meeting: MeetingRef, member: Sender) -> None:
    """Refuse if `member` may not check in to `meeting` (the usual case reads nothing more)."""
    if member.branch_id == meeting.branch_id:
        if meeting.type == "group_meeting" and meeting.group_id is not None and member.group_id != meeting.group_id:
            group = unit.session.get(PartyGroup, meeting.group_id)
            raise PermissionDenied("checkin_not_group", group=group.name if group else None)
        if meeting.type == "committee_meeting" and not member.is_committee_member:
            raise PermissionDenied("checkin_not_committee")
        return
    if meeting.type not in OWN_MEMBERS_ONLY:
        registered = unit.session.scalar(select(MobileRegistration.id).where(
            MobileRegistration.member_id == member.id, MobileRegistration.host_branch_id == meeting.branch_id))
        if registered is not None:
            return
    branch = unit.session.get(Branch, meeting.branch_id)
    raise PermissionDenied("checkin_not_member", branch=branch.name if branch else None)


def _record(unit: Unit, meeting: MeetingRef, member: Sender) -> _Record | None:
    found = unit.read(_EXISTING, meeting_id=meeting.id, member_id=member.id)
    return _Record(**dict(zip(_RECORD_COLUMNS, found[0], strict=True))) if found else None


def _repeat(att: _Record, member: Sender, source_key: str | None, manual: bool) -> CheckinResult:
    return CheckinResult(att.id, member.id, member.name, att.checked_in_at, att.late, created=False, manual=manual,
                         same_message=bool(source_key) and att.source_key == source_key)


def check_in(unit: Unit, *, meeting: MeetingRef, member: Sender | None, now: datetime, channel: str,
             settings: Settings, entered_by: Member | None = None,
             source_key: str | None = None) -> CheckinResult:
    """Record that `member` attended `meeting`, or raise a ServiceError saying why not (nothing written).

    A member checks themselves in (their eligibility is the rule); 代签 (`entered_by`) needs CHECKIN_OTHERS.
    The record is the action's last write (see the module's docstring): through the webhook, a scan's one
    statement commits on its own; where the action has already written (a page's transaction), it joins that."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown check-in channel {channel!r}")
    if meeting.status == "deleted":
        raise NotFound("checkin_scene_unknown")
    if meeting.status == "cancelled":
        raise Conflict("checkin_cancelled")
    manual = entered_by is not None
    if manual:
        target = unit.session.get(Meeting, meeting.id)  # the identity map's, when the caller read it
        if target is None:
            raise NotFound("checkin_scene_unknown")
        authz.require(unit.session, entered_by, Action.CHECKIN_OTHERS, target)
    if member is None:
        raise PermissionDenied("unbound")
    if not member.active:
        raise PermissionDenied("checkin_inactive")
    _eligibility(unit, meeting, member)
    opens, closes = window(meeting, settings)
    if not opens <= now <= closes:
        existing = _record(unit, meeting, member)
        if existing is not None:  # already checked in: a friendly answer even after the window
            return _repeat(existing, member, source_key, manual)
        if now < opens:
            raise Conflict("checkin_too_early", starts_at=meeting.starts_at, opens=opens)
        raise Conflict("checkin_closed", closes=closes)
    late = is_late(meeting, now, settings)
    found = unit.write(_INSERT, meeting_id=meeting.id, member_id=member.id, checked_in_at=now, late=late,
                       channel=channel, entered_by_id=entered_by.id if entered_by else None,
                       source_key=source_key or None)
    if not found:  # a second scan, or a concurrent one that committed first: read its record instead
        existing = _record(unit, meeting, member)
        if existing is None:  # the conflicting row is committed, so our next statement sees it
            raise RuntimeError(f"attendance conflict for meeting {meeting.id} member {member.id} without a row")
        return _repeat(existing, member, source_key, manual)
    return CheckinResult(int(found[0][0]), member.id, member.name, now, late, created=True, manual=manual)


def check_in_by_name(unit: Unit, *, actor: Member | None, branch: Branch, name: str, now: datetime,
                     settings: Settings, source_key: str | None = None) -> CheckinResult:
    """代签: check in the branch's member called `name` to the branch's meeting whose window is open now,
    entered by `actor` (who needs CHECKIN_OTHERS on it)."""
    meetings = [MeetingRef.of(m) for m in upcoming(unit.session, branch.id, now, limit=10)]
    open_now = [m for m in meetings if window(m, settings)[0] <= now]
    if not open_now:
        raise NotFound("checkin_no_meeting_now")
    target = find_member_by_name(unit.session, branch.id, name)
    return check_in(unit, meeting=open_now[0], member=Sender.of(target), now=now, channel="manual",
                    settings=settings, entered_by=actor, source_key=source_key)


def sign_out(session: Session, *, member: Member | None, now: datetime, settings: Settings) -> SignOut:
    """Optional sign-out (签退) from the member's meeting open now: stamps their attendance; a repeat keeps
    the first time."""
    if member is None:
        raise PermissionDenied("unbound")
    found = open_meetings_for(session, member, now, settings)
    if not found:
        raise NotFound("checkin_no_meeting_now")
    att = session.scalar(select(Attendance).where(Attendance.meeting_id == found[0].id,
                                                  Attendance.member_id == member.id))
    if att is None:
        raise Conflict("checkin_not_checked_in")
    if att.signed_out_at is None:
        att.signed_out_at = now
        session.flush()
    return SignOut(member.name, att.signed_out_at)


def open_meetings_for(session: Session, member: Member, now: datetime, settings: Settings) -> list[Meeting]:
    """Meetings of the member's branch whose check-in window is open now (for 签退)."""
    if member.branch_id is None:
        return []
    before = timedelta(minutes=settings["CHECKIN_OPENS_BEFORE"])
    return list(session.scalars(select(Meeting).where(
        Meeting.branch_id == member.branch_id, Meeting.status == "scheduled",
        Meeting.starts_at <= now + before,
        Meeting.ends_at >= now).order_by(Meeting.starts_at)))


def find_member_by_name(session: Session, branch_id: int, name: str) -> Member:
    """A member of the branch by name, for 代签."""
    found = list(session.scalars(select(Member).where(Member.branch_id == branch_id, Member.name == name,
                                                      Member.active.is_(True))))
    if not found:
        raise NotFound("checkin_nobody", name=name)
    if len(found) > 1:
        raise Conflict("checkin_name_ambiguous", name=name)
    return found[0]
