"""Leave (请假): a member asks before a meeting; the secretary or a committee member approves or refuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.models import Attendance, LeaveRequest, Meeting, Member, RoleGrant
from bot.services import authz
from bot.services.authz import Action
from bot.services.errors import Conflict, Invalid, NotFound, PermissionDenied
from bot.services.meetings.scheduling import expected_members, upcoming
from bot.services.notify.outbox import enqueue, enqueue_many


@dataclass(frozen=True)
class LeaveInfo:
    """A leave request and what it is about (worded by bot.texts.meetings.leave_fields)."""

    id: int
    member_id: int
    member_name: str
    meeting_id: int
    meeting_type: str
    starts_at: datetime
    reason: str
    status: str  # pending | approved | rejected


def leave_candidates(session: Session, member: Member | None, now: datetime) -> list[Meeting]:
    """The meetings the member may still ask leave for: scheduled, not started, expected at, not checked
    in to, soonest first (请假 without naming a meeting picks from these)."""
    if member is None:
        raise PermissionDenied("unbound")
    if member.branch_id is None:
        return []
    checked = set(session.scalars(select(Attendance.meeting_id).where(Attendance.member_id == member.id)))
    return [m for m in upcoming(session, member.branch_id, now, limit=20)
            if m.starts_at > now and m.id not in checked
            and any(e.id == member.id for e in expected_members(session, m))]


def next_meeting_for(session: Session, member: Member, now: datetime) -> Meeting | None:
    """The soonest scheduled meeting, not yet started, that the member is expected at."""
    if member.branch_id is None:
        return None
    for meeting in upcoming(session, member.branch_id, now, limit=20):
        if meeting.starts_at > now and any(m.id == member.id for m in expected_members(session, meeting)):
            return meeting
    return None


def approvers(session: Session, branch_id: int) -> list[int]:
    """Members who get the leave notice: the branch's secretaries (committee members may also decide)."""
    return list(session.scalars(select(RoleGrant.member_id).where(
        RoleGrant.role == "secretary", RoleGrant.scope_type == "branch", RoleGrant.scope_id == branch_id)
        .order_by(RoleGrant.member_id)).unique())


def _info(req: LeaveRequest, meeting: Meeting, member: Member) -> LeaveInfo:
    return LeaveInfo(id=req.id, member_id=member.id, member_name=member.name, meeting_id=meeting.id,
                     meeting_type=meeting.type, starts_at=meeting.starts_at, reason=req.reason, status=req.status)


def describe(session: Session, req: LeaveRequest) -> LeaveInfo:
    meeting = session.get(Meeting, req.meeting_id)
    member = session.get(Member, req.member_id)
    assert meeting is not None and member is not None
    return _info(req, meeting, member)


def request_leave(session: Session, *, member: Member | None, reason: str, now: datetime,
                  meeting: Meeting | None = None) -> LeaveInfo:
    """File a pending request for the member's next meeting and notify the approvers through the outbox."""
    if member is None:
        raise PermissionDenied("unbound")
    reason = (reason or "").strip()[:200]
    if not reason:
        raise Invalid("leave_need_reason")
    if meeting is None:
        meeting = next_meeting_for(session, member, now)
        if meeting is None:
            raise NotFound("leave_no_meeting")
    if meeting.status != "scheduled":
        raise Conflict("meeting_cancelled")
    if meeting.starts_at <= now:
        raise Conflict("leave_started")
    if not any(m.id == member.id for m in expected_members(session, meeting)):
        raise PermissionDenied("leave_no_meeting")
    if session.scalar(select(Attendance.id).where(Attendance.meeting_id == meeting.id,
                                                  Attendance.member_id == member.id)) is not None:
        raise Conflict("leave_checked_in", when=meeting.starts_at, type=meeting.type)
    existing = session.scalar(select(LeaveRequest).where(LeaveRequest.meeting_id == meeting.id,
                                                         LeaveRequest.member_id == member.id))
    if existing is not None:
        raise Conflict("leave_already", when=meeting.starts_at, type=meeting.type, status=existing.status)
    req = LeaveRequest(meeting_id=meeting.id, member_id=member.id, reason=reason, status="pending", created_at=now)
    session.add(req)
    session.flush()
    params = {"leave_request_id": req.id, "meeting_id": meeting.id, "name": member.name, "type": meeting.type,
              "starts_at": meeting.starts_at.isoformat(), "reason": reason}
    enqueue_many(session, [dict(kind="leave_requested", recipient_id=approver, params=params, due_at=now,
                                subject_type="leave_request", subject_id=req.id, slot="new")
                           for approver in approvers(session, meeting.branch_id)], now)
    return _info(req, meeting, member)


def pending_for(session: Session, actor: Member | None, now: datetime) -> list[LeaveInfo]:
    """Pending requests for meetings not yet ended that `actor` may decide (APPROVE_LEAVE on each)."""
    if actor is None:
        return []
    rows = session.execute(select(LeaveRequest, Meeting).join(Meeting, Meeting.id == LeaveRequest.meeting_id).where(
        LeaveRequest.status == "pending", Meeting.status == "scheduled", Meeting.ends_at > now)
        .order_by(LeaveRequest.id).limit(200)).all()
    return [describe(session, req) for req, meeting in rows
            if req.member_id != actor.id and authz.can(session, actor, Action.APPROVE_LEAVE, meeting)]


def decide(session: Session, *, actor: Member | None, request_id: int, approve: bool, now: datetime) -> LeaveInfo:
    """同意 / 不同意: only the branch's secretary or committee members, never on their own request nor for
    a cancelled meeting; the member is told. Decided by one conditional UPDATE of the pending request:
    of two decisions at once the first wins and the other is told it was decided already."""
    req = session.get(LeaveRequest, request_id)
    if req is None:
        raise NotFound("leave_none_pending")
    meeting = session.get(Meeting, req.meeting_id)
    if meeting is None:
        raise NotFound("meeting_not_found")
    authz.require(session, actor, Action.APPROVE_LEAVE, meeting)
    assert actor is not None
    if req.member_id == actor.id:
        raise Invalid("leave_own")
    if meeting.status != "scheduled":
        raise Conflict("leave_meeting_cancelled")
    if req.status != "pending":
        raise Conflict("leave_decided_already", status=req.status)
    result = session.execute(
        update(LeaveRequest).where(LeaveRequest.id == req.id, LeaveRequest.status == "pending")
        .values(status="approved" if approve else "rejected", decided_by_id=actor.id, decided_at=now)
        .execution_options(synchronize_session=False))
    decided = int(getattr(result, "rowcount", 0) or 0) == 1
    session.refresh(req)
    if not decided:
        raise Conflict("leave_decided_already", status=req.status)
    info = describe(session, req)
    enqueue(session, kind="leave_decided", recipient_id=req.member_id, due_at=now, now=now,
            params={"leave_request_id": req.id, "meeting_id": meeting.id, "status": req.status,
                    "type": meeting.type, "starts_at": meeting.starts_at.isoformat()},
            subject_type="leave_request", subject_id=req.id, slot=req.status)
    return info
