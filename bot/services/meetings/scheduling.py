"""三会一课 meetings: schedule, reschedule, cancel, with the branch's rules, and notices to members."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.text import in_id_range
from bot.models import Branch, Committee, Meeting, Member, Notification, PartyGroup, RoleGrant, SocialOrg
from bot.services import authz
from bot.services.authz import Action
from bot.services.errors import Conflict, Invalid, NotFound, PermissionDenied
from bot.services.notify.outbox import enqueue_many
from bot.services.org.structure import committee_subtree

MAX_AHEAD = timedelta(days=366)


# -- lookups -------------------------------------------------------------------------------------
def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id) if in_id_range(meeting_id) else None
    if meeting is None or meeting.status == "deleted":
        raise NotFound("meeting_not_found")
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


def upcoming_for(session: Session, *, actor: Member | None, now: datetime) -> tuple[Branch, list[Meeting]]:
    """会议: the upcoming meetings of the actor's own branch (or of the branch they act for)."""
    branch: Branch | None
    if actor is None or actor.branch_id is None:
        branch = managed_branch(session, actor)
    else:
        branch = session.get(Branch, actor.branch_id)
    if branch is None:
        raise PermissionDenied("unbound")
    return branch, upcoming(session, branch.id, now)


@dataclass(frozen=True)
class BranchMeeting:
    """A meeting as a committee's list shows it: with its branch."""

    id: int
    type: str
    starts_at: datetime
    place: str
    branch_id: int
    branch_name: str


OVERSEER_ROLES = ("admin", "instructor")


def oversees(session: Session, member: Member | None) -> bool:
    """Does the member read for a committee (admin) or for assigned organizations (instructor), without
    acting for a branch as its secretary or committee member? Then 会议, 进度, 签到情况 answer for the
    branches they oversee (overseen_branch_ids)."""
    if member is None:
        return False
    roles = set(session.scalars(select(RoleGrant.role).where(RoleGrant.member_id == member.id)))
    return bool(roles & set(OVERSEER_ROLES)) and not roles & {"secretary", "committee_member"}


def overseen_branch_ids(session: Session, actor: Member | None) -> list[int]:
    """The branches an admin (their committee's subtree) or an instructor (the branches covering the
    organizations assigned to them) reads; each grant is checked with authz (VIEW_BRANCH on its scope)."""
    if actor is None:
        return []
    ids: set[int] = set()
    for grant in session.scalars(select(RoleGrant).where(RoleGrant.member_id == actor.id,
                                                         RoleGrant.role.in_(OVERSEER_ROLES))):
        if grant.scope_type == "committee":
            committee = session.get(Committee, grant.scope_id)
            if committee is None or not authz.can(session, actor, Action.VIEW_BRANCH, committee):
                continue
            ids.update(session.scalars(select(Branch.id).where(
                Branch.committee_id.in_(committee_subtree(committee.id)))))
        elif grant.scope_type == "organization":
            org = session.get(SocialOrg, grant.scope_id)
            if org is not None and org.branch_id is not None and authz.can(session, actor, Action.VIEW_BRANCH, org):
                ids.add(org.branch_id)
    return sorted(ids)


def upcoming_overseen(session: Session, *, actor: Member | None, now: datetime,
                      limit: int = 20) -> list[BranchMeeting]:
    """会议 for an admin or instructor: the coming meetings of the branches they oversee, soonest first."""
    ids = overseen_branch_ids(session, actor)
    if not ids:
        raise NotFound("no_overseen_branch")
    rows = session.execute(
        select(Meeting, Branch.name).join(Branch, Branch.id == Meeting.branch_id)
        .where(Meeting.branch_id.in_(ids), Meeting.status == "scheduled", Meeting.ends_at > now)
        .order_by(Meeting.starts_at, Meeting.id).limit(limit)).all()
    return [BranchMeeting(m.id, m.type, m.starts_at, m.place or "", m.branch_id, name) for m, name in rows]


def latest_overseen(session: Session, *, actor: Member | None, now: datetime) -> Meeting | None:
    """签到情况 for an admin or instructor: the most recent meeting of their branches that has started,
    else the soonest coming one."""
    ids = overseen_branch_ids(session, actor)
    if not ids:
        raise NotFound("no_overseen_branch")
    base = select(Meeting).where(Meeting.branch_id.in_(ids), Meeting.status == "scheduled")
    found = session.scalars(base.where(Meeting.starts_at <= now)
                            .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(1)).first()
    if found is None:
        found = session.scalars(base.where(Meeting.ends_at > now)
                                .order_by(Meeting.starts_at, Meeting.id).limit(1)).first()
    return found


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
def required_types(session: Session, branch: Branch, settings: Settings,
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


def check_type(session: Session, branch: Branch, meeting_type: str, settings: Settings) -> None:
    """Refuse a type the branch does not hold, saying why."""
    allowed = required_types(session, branch, settings)
    if meeting_type in allowed:
        return
    if meeting_type == "committee_meeting" and not branch.has_committee:
        raise Invalid("meeting_type_no_committee")
    if meeting_type == "group_meeting" and meeting_type in settings["MEETING_RULES"].get(branch.kind, {}):
        raise Invalid("meeting_type_no_groups")
    raise Invalid("meeting_type_not_held", branch=branch.name, kind=branch.kind, type=meeting_type,
                  allowed=list(allowed))


def check_time(starts_at: datetime, now: datetime) -> None:
    if starts_at <= now:
        raise Invalid("meeting_past", when=starts_at)
    if starts_at - now > MAX_AHEAD:
        raise Invalid("meeting_too_far", when=starts_at)


def resolve_group(session: Session, branch: Branch, meeting_type: str, text: str = "",
                  group_id: int | None = None) -> int | None:
    """The party group a 小组会 is for: named in the text, given, or the branch's only group."""
    if meeting_type != "group_meeting":
        return None
    groups = groups_of(session, branch.id)
    if group_id is not None:
        if any(g.id == group_id for g in groups):
            return group_id
        raise Invalid("meeting_type_no_groups")
    named = [g for g in groups if g.name and g.name in text]
    if len(named) == 1:
        return named[0].id
    if len(groups) == 1:
        return groups[0].id
    if not groups:
        raise Invalid("meeting_type_no_groups")
    raise Invalid("meeting_group_ambiguous", groups=[g.name for g in groups])


def prepare(session: Session, *, actor: Member | None, branch: Branch, meeting_type: str, text: str,
            settings: Settings) -> int | None:
    """The first look at a meeting a secretary names: may they schedule for the branch, does the branch
    hold this type, and which party group a 小组会 is for (named in the text, or the only one)."""
    authz.require(session, actor, Action.MANAGE_MEETING, branch)
    check_type(session, branch, meeting_type, settings)
    return resolve_group(session, branch, meeting_type, text)


def validate_new(session: Session, *, actor: Member | None, branch: Branch, meeting_type: str,
                 starts_at: datetime, now: datetime, settings: Settings) -> None:
    """Everything create_meeting checks, so the read-back can refuse before asking to confirm."""
    authz.require(session, actor, Action.MANAGE_MEETING, branch)
    check_type(session, branch, meeting_type, settings)
    check_time(starts_at, now)
    _refuse_duplicate(session, branch.id, meeting_type, starts_at)


def _refuse_duplicate(session: Session, branch_id: int, meeting_type: str, starts_at: datetime,
                      other_than: int | None = None) -> None:
    """MTG_DUPLICATE when the branch already holds a scheduled meeting of this type at this moment."""
    query = select(Meeting.id).where(Meeting.branch_id == branch_id, Meeting.type == meeting_type,
                                     Meeting.starts_at == starts_at, Meeting.status == "scheduled")
    if other_than is not None:
        query = query.where(Meeting.id != other_than)
    same = session.scalar(query.order_by(Meeting.id).limit(1))
    if same is not None:
        raise Conflict("meeting_duplicate", when=starts_at, type=meeting_type, id=same)


def _lost_to_a_duplicate(session: Session, exc: IntegrityError, branch_id: int, meeting_type: str,
                         starts_at: datetime, other_than: int | None = None) -> Conflict:
    """A concurrent action took the slot between our check and our write (uq_meeting_scheduled_slot):
    the same refusal as the check's; the caller's transaction rolls back, nothing half-written."""
    try:
        _refuse_duplicate(session, branch_id, meeting_type, starts_at, other_than)
    except Conflict as conflict:
        return conflict
    raise exc  # another constraint: not ours to word


# -- changes -------------------------------------------------------------------------------------
def create_meeting(session: Session, *, actor: Member | None, branch: Branch, meeting_type: str,
                   starts_at: datetime, now: datetime, settings: Settings, place: str = "",
                   topic: str = "", group_id: int | None = None, ends_at: datetime | None = None) -> Meeting:
    """Schedule a meeting and write a notice for each member who should attend."""
    validate_new(session, actor=actor, branch=branch, meeting_type=meeting_type, starts_at=starts_at, now=now,
                 settings=settings)
    group_id = resolve_group(session, branch, meeting_type, group_id=group_id)
    if ends_at is None:
        ends_at = starts_at + timedelta(minutes=settings["MEETING_DEFAULT_MINUTES"])
    if ends_at <= starts_at:
        raise Invalid("meeting_past", when=ends_at)
    meeting = Meeting(branch_id=branch.id, group_id=group_id, type=meeting_type, topic=(topic or "")[:200],
                      place=(place or "")[:200], starts_at=starts_at, ends_at=ends_at, status="scheduled",
                      revision=1, checkin_scene="checkin_" + secrets.token_hex(8),
                      created_by_id=actor.id if actor else None)
    try:
        with session.begin_nested():
            session.add(meeting)
    except IntegrityError as exc:
        raise _lost_to_a_duplicate(session, exc, branch.id, meeting_type, starts_at) from None
    _notify(session, meeting, "meeting_published", now, actor=actor)
    return meeting


def _open_for_change(meeting: Meeting, now: datetime) -> None:
    if meeting.status != "scheduled":
        raise Conflict("meeting_cancelled")
    if meeting.ends_at <= now:
        raise Conflict("meeting_ended")


def check_reschedule(session: Session, *, actor: Member | None, meeting: Meeting, starts_at: datetime,
                     now: datetime, settings: Settings) -> None:
    authz.require(session, actor, Action.MANAGE_MEETING, meeting)
    _open_for_change(meeting, now)
    check_time(starts_at, now)
    _refuse_duplicate(session, meeting.branch_id, meeting.type, starts_at, other_than=meeting.id)


def reschedule(session: Session, *, actor: Member | None, meeting: Meeting, starts_at: datetime,
               now: datetime, settings: Settings, place: str | None = None,
               expected_revision: int | None = None) -> Meeting:
    """改期: keep the duration, bump the revision, tell the members.

    The change is one conditional UPDATE on the revision the secretary saw (`expected_revision`, else
    the one read here): of two concurrent 改期 only the first changes the meeting; the other is told it
    changed meanwhile."""
    check_reschedule(session, actor=actor, meeting=meeting, starts_at=starts_at, now=now, settings=settings)
    old = meeting.starts_at
    seen = meeting.revision if expected_revision is None else expected_revision
    values: dict[str, Any] = {"starts_at": starts_at, "ends_at": starts_at + (meeting.ends_at - meeting.starts_at),
                              "revision": Meeting.revision + 1}
    if place:
        values["place"] = place[:200]
    try:
        with session.begin_nested():
            changed = _update_if(session, meeting, values, Meeting.revision == seen)
    except IntegrityError as exc:
        raise _lost_to_a_duplicate(session, exc, meeting.branch_id, meeting.type, starts_at,
                                   other_than=meeting.id) from None
    if not changed:
        raise Conflict("meeting_cancelled") if meeting.status != "scheduled" else Conflict("meeting_changed")
    _notify(session, meeting, "meeting_changed", now, old=old, actor=actor)
    return meeting


def check_cancel(session: Session, *, actor: Member | None, meeting: Meeting, now: datetime) -> None:
    authz.require(session, actor, Action.MANAGE_MEETING, meeting)
    _open_for_change(meeting, now)


def cancel(session: Session, *, actor: Member | None, meeting: Meeting, now: datetime,
           settings: Settings) -> Meeting:
    """取消会议: the meeting stays on record as cancelled; members are told."""
    check_cancel(session, actor=actor, meeting=meeting, now=now)
    if not _update_if(session, meeting, {"status": "cancelled", "revision": Meeting.revision + 1}):
        raise Conflict("meeting_cancelled")  # a concurrent 取消会议 (or a deletion) came first
    _notify(session, meeting, "meeting_cancelled", now, actor=actor)
    return meeting


def _update_if(session: Session, meeting: Meeting, values: dict[str, Any], *when: Any) -> bool:
    """UPDATE the meeting only while it is scheduled (and `when` holds); the row count says whether
    this action changed it. The object is read again either way."""
    session.flush()
    result = session.execute(update(Meeting).where(Meeting.id == meeting.id, Meeting.status == "scheduled", *when)
                             .values(**values).execution_options(synchronize_session=False))
    changed = int(getattr(result, "rowcount", 0) or 0) == 1
    session.refresh(meeting)
    return changed


def _notify(session: Session, meeting: Meeting, kind: str, now: datetime, old: datetime | None = None,
            actor: Member | None = None) -> int:
    """A notice of `kind` to each member who should attend but the one who acted (the secretary who
    scheduled, moved or cancelled it knows); wording: bot/texts/meetings.py NOTICES."""
    params: dict[str, Any] = {"meeting_id": meeting.id, "type": meeting.type,
                              "starts_at": meeting.starts_at.isoformat(), "place": meeting.place,
                              "revision": meeting.revision, "topic": meeting.topic or ""}
    if old is not None:
        params["old_starts_at"] = old.isoformat()
    rows = [dict(kind=kind, recipient_id=m.id, params=params, due_at=now, subject_type="meeting",
                 subject_id=meeting.id, slot=f"rev{meeting.revision}")
            for m in expected_members(session, meeting) if actor is None or m.id != actor.id]
    enqueue_many(session, rows, now)
    return len(rows)


def notified_count(session: Session, meeting: Meeting) -> int:
    """How many members the latest notice about this meeting went to (for the secretary's reply)."""
    return int(session.scalar(select(func.count()).select_from(Notification).where(
        Notification.subject_type == "meeting", Notification.subject_id == meeting.id,
        Notification.slot == f"rev{meeting.revision}")) or 0)
