"""三会一课 meetings: schedule, reschedule, cancel, with the branch's rules, and notices to members."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.chat import texts as M
from bot.models import Branch, Meeting, Member, PartyGroup, RoleGrant
from bot.nlp import TYPE_LABELS
from bot.services import authz
from bot.services.authz import Action
from bot.services.errors import Conflict, Invalid, NotFound
from bot.services.notify.outbox import enqueue_many

WEEKDAYS = "一二三四五六日"
KIND_LABELS = {"full": "建制型", "functional": "功能性"}
CLOSED_STATUSES = ("cancelled", "deleted")
MAX_AHEAD = timedelta(days=366)


# -- formatting (every channel shows times the same way) ----------------------------------------
def tz_of(settings: Mapping[str, Any]) -> ZoneInfo:
    return ZoneInfo(str(settings.get("TZ") or "Asia/Shanghai"))


def fmt_when(moment: datetime, settings: Mapping[str, Any], *, year: bool = True) -> str:
    """2026年12月2日（周三）19:30, in local time."""
    local = moment.astimezone(tz_of(settings))
    day = f"{local.month}月{local.day}日（周{WEEKDAYS[local.weekday()]}）{local:%H:%M}"
    return f"{local.year}年{day}" if year else day


def fmt_stamp(moment: datetime, settings: Mapping[str, Any]) -> str:
    """2026-12-02 19:28, in local time."""
    return moment.astimezone(tz_of(settings)).strftime("%Y-%m-%d %H:%M")


def type_label(meeting_type: str) -> str:
    return TYPE_LABELS.get(meeting_type, meeting_type)


# -- lookups -------------------------------------------------------------------------------------
def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.status == "deleted":
        raise NotFound(M.MTG_NOT_FOUND)
    return meeting


def managed_branch(session: Session, member: Member | None) -> Branch | None:
    """The branch a secretary or committee member acts for: their own, else the first they hold a role in."""
    if member is None:
        return None
    scoped = list(session.scalars(
        select(RoleGrant.scope_id).where(RoleGrant.member_id == member.id, RoleGrant.scope_type == "branch",
                                         RoleGrant.role.in_(("secretary", "committee_member")))
        .order_by(RoleGrant.id)))
    if member.branch_id is not None and (member.branch_id in scoped or not scoped):
        return session.get(Branch, member.branch_id)
    return session.get(Branch, scoped[0]) if scoped else None


def upcoming(session: Session, branch_id: int, now: datetime, limit: int = 10) -> list[Meeting]:
    """Scheduled meetings of a branch that have not ended, soonest first."""
    return list(session.scalars(
        select(Meeting).where(Meeting.branch_id == branch_id, Meeting.status == "scheduled", Meeting.ends_at > now)
        .order_by(Meeting.starts_at, Meeting.id).limit(limit)))


def recent(session: Session, branch_id: int, now: datetime, limit: int = 5) -> list[Meeting]:
    """Scheduled meetings that have started, latest first (for 签到情况 and 记录)."""
    return list(session.scalars(
        select(Meeting).where(Meeting.branch_id == branch_id, Meeting.status == "scheduled", Meeting.starts_at <= now)
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(limit)))


def groups_of(session: Session, branch_id: int) -> list[PartyGroup]:
    return list(session.scalars(select(PartyGroup).where(PartyGroup.branch_id == branch_id).order_by(PartyGroup.id)))


def expected_members(session: Session, meeting: Meeting) -> list[Member]:
    """Who should attend (应到): the branch's active members; a group's for 小组会; 支委 for 支委会."""
    query = select(Member).where(Member.branch_id == meeting.branch_id, Member.active.is_(True))
    if meeting.type == "committee_meeting":
        query = query.where(Member.is_committee_member.is_(True))
    elif meeting.type == "group_meeting" and meeting.group_id is not None:
        query = query.where(Member.group_id == meeting.group_id)
    return list(session.scalars(query.order_by(Member.id)))


# -- rules ---------------------------------------------------------------------------------------
def required_types(session: Session, branch: Branch, settings: Mapping[str, Any],
                   group_count: int | None = None) -> dict[str, str]:
    """Meeting type → period the branch must hold, from MEETING_RULES for its kind."""
    rules: Mapping[str, Mapping[str, str]] = settings["MEETING_RULES"]
    types = dict(rules.get(branch.kind, rules["full"]))
    if not branch.has_committee:
        types.pop("committee_meeting", None)
    if group_count is None:
        group_count = len(groups_of(session, branch.id))
    if group_count == 0:
        types.pop("group_meeting", None)
    return types


def check_type(session: Session, branch: Branch, meeting_type: str, settings: Mapping[str, Any]) -> None:
    """Refuse a type the branch does not hold, saying why."""
    allowed = required_types(session, branch, settings)
    if meeting_type in allowed:
        return
    if meeting_type == "committee_meeting" and not branch.has_committee:
        raise Invalid(M.MTG_TYPE_NO_COMMITTEE)
    if meeting_type == "group_meeting" and meeting_type in settings["MEETING_RULES"].get(branch.kind, {}):
        raise Invalid(M.MTG_TYPE_NO_GROUPS)
    raise Invalid(M.MTG_TYPE_NOT_HELD.format(
        branch=branch.name, kind=KIND_LABELS.get(branch.kind, branch.kind), label=type_label(meeting_type),
        allowed="、".join(type_label(t) for t in allowed) or "无"))


def check_time(starts_at: datetime, now: datetime, settings: Mapping[str, Any]) -> None:
    if starts_at <= now:
        raise Invalid(M.MTG_PAST.format(when=fmt_when(starts_at, settings)))
    if starts_at - now > MAX_AHEAD:
        raise Invalid(M.MTG_TOO_FAR.format(when=fmt_when(starts_at, settings)))


def resolve_group(session: Session, branch: Branch, meeting_type: str, text: str = "",
                  group_id: int | None = None) -> int | None:
    """The party group a 小组会 is for: named in the text, given, or the branch's only group."""
    if meeting_type != "group_meeting":
        return None
    groups = groups_of(session, branch.id)
    if group_id is not None:
        if any(g.id == group_id for g in groups):
            return group_id
        raise Invalid(M.MTG_TYPE_NO_GROUPS)
    named = [g for g in groups if g.name and g.name in text]
    if len(named) == 1:
        return named[0].id
    if len(groups) == 1:
        return groups[0].id
    if not groups:
        raise Invalid(M.MTG_TYPE_NO_GROUPS)
    raise Invalid(M.MTG_GROUP_AMBIGUOUS.format(groups="、".join(g.name for g in groups)))


def validate_new(session: Session, *, actor: Member | None, branch: Branch, meeting_type: str,
                 starts_at: datetime, now: datetime, settings: Mapping[str, Any]) -> None:
    """Everything create_meeting checks, so the read-back can refuse before asking to confirm."""
    authz.require(session, actor, Action.MANAGE_MEETING, branch)
    check_type(session, branch, meeting_type, settings)
    check_time(starts_at, now, settings)
    same = session.scalar(select(Meeting.id).where(
        Meeting.branch_id == branch.id, Meeting.type == meeting_type, Meeting.starts_at == starts_at,
        Meeting.status == "scheduled"))
    if same is not None:
        raise Conflict(M.MTG_DUPLICATE.format(when=fmt_when(starts_at, settings), label=type_label(meeting_type),
                                              id=same))


# -- changes -------------------------------------------------------------------------------------
def create_meeting(session: Session, *, actor: Member | None, branch: Branch, meeting_type: str,
                   starts_at: datetime, now: datetime, settings: Mapping[str, Any], place: str = "",
                   topic: str = "", group_id: int | None = None, ends_at: datetime | None = None) -> Meeting:
    """Schedule a meeting and write a notice for each member who should attend."""
    validate_new(session, actor=actor, branch=branch, meeting_type=meeting_type, starts_at=starts_at, now=now,
                 settings=settings)
    group_id = resolve_group(session, branch, meeting_type, group_id=group_id)
    if ends_at is None:
        ends_at = starts_at + timedelta(minutes=int(settings["MEETING_DEFAULT_MINUTES"]))
    if ends_at <= starts_at:
        raise Invalid(M.MTG_PAST.format(when=fmt_when(ends_at, settings)))
    meeting = Meeting(branch_id=branch.id, group_id=group_id, type=meeting_type, topic=(topic or "")[:200],
                      place=(place or "")[:200], starts_at=starts_at, ends_at=ends_at, status="scheduled",
                      revision=1, checkin_scene="checkin_" + secrets.token_hex(8),
                      created_by_id=actor.id if actor else None)
    session.add(meeting)
    session.flush()
    _notify(session, meeting, "meeting_published", now, settings)
    return meeting


def _open_for_change(meeting: Meeting, now: datetime) -> None:
    if meeting.status != "scheduled":
        raise Conflict(M.MTG_CANCELLED_ALREADY)
    if meeting.ends_at <= now:
        raise Conflict(M.MTG_ENDED)


def check_reschedule(session: Session, *, actor: Member | None, meeting: Meeting, starts_at: datetime,
                     now: datetime, settings: Mapping[str, Any]) -> None:
    authz.require(session, actor, Action.MANAGE_MEETING, meeting)
    _open_for_change(meeting, now)
    check_time(starts_at, now, settings)


def reschedule(session: Session, *, actor: Member | None, meeting: Meeting, starts_at: datetime,
               now: datetime, settings: Mapping[str, Any], place: str | None = None) -> Meeting:
    """改期: keep the duration, bump the revision, tell the members."""
    check_reschedule(session, actor=actor, meeting=meeting, starts_at=starts_at, now=now, settings=settings)
    old = meeting.starts_at
    duration = meeting.ends_at - meeting.starts_at
    meeting.starts_at = starts_at
    meeting.ends_at = starts_at + duration
    if place:
        meeting.place = place[:200]
    meeting.revision += 1
    session.flush()
    _notify(session, meeting, "meeting_changed", now, settings, old=old)
    return meeting


def check_cancel(session: Session, *, actor: Member | None, meeting: Meeting, now: datetime) -> None:
    authz.require(session, actor, Action.MANAGE_MEETING, meeting)
    _open_for_change(meeting, now)


def cancel(session: Session, *, actor: Member | None, meeting: Meeting, now: datetime,
           settings: Mapping[str, Any]) -> Meeting:
    """取消会议: the meeting stays on record as cancelled; members are told."""
    check_cancel(session, actor=actor, meeting=meeting, now=now)
    meeting.status = "cancelled"
    meeting.revision += 1
    session.flush()
    _notify(session, meeting, "meeting_cancelled", now, settings)
    return meeting


def notice_text(meeting: Meeting, kind: str, settings: Mapping[str, Any], old: datetime | None = None) -> str:
    label = type_label(meeting.type)
    when = fmt_when(meeting.starts_at, settings, year=False)
    place = f"，地点：{meeting.place}" if meeting.place else ""
    if kind == "meeting_cancelled":
        return M.NOTICE_CANCELLED.format(when=when, label=label)
    if kind == "meeting_changed":
        return M.NOTICE_CHANGED.format(label=label, when=when, place=place,
                                       old=fmt_when(old or meeting.starts_at, settings, year=False))
    topic = f"，主题：{meeting.topic}" if meeting.topic else ""
    return M.NOTICE_PUBLISHED.format(when=when, label=label, place=place, topic=topic)


def _notify(session: Session, meeting: Meeting, kind: str, now: datetime, settings: Mapping[str, Any],
            old: datetime | None = None) -> int:
    text = notice_text(meeting, kind, settings, old)
    payload = {"meeting_id": meeting.id, "type": meeting.type, "starts_at": meeting.starts_at.isoformat(),
               "place": meeting.place, "revision": meeting.revision}
    rows = [dict(kind=kind, recipient_id=m.id, text=text, due_at=now, subject_type="meeting",
                 subject_id=meeting.id, slot=f"rev{meeting.revision}", payload=payload)
            for m in expected_members(session, meeting)]
    enqueue_many(session, rows)
    return len(rows)


def notified_count(session: Session, meeting: Meeting) -> int:
    """How many members the latest notice about this meeting went to (for the secretary's reply)."""
    from bot.models import Notification

    return int(session.scalar(select(func.count()).select_from(Notification).where(
        Notification.subject_type == "meeting", Notification.subject_id == meeting.id,
        Notification.slot == f"rev{meeting.revision}")) or 0)
