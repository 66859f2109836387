"""Leave (请假): a member asks before a meeting; the secretary or a committee member approves or refuses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.chat import texts as M
from bot.models import LeaveRequest, Meeting, Member, RoleGrant
from bot.services import authz
from bot.services.authz import Action
from bot.services.errors import Conflict, Invalid, NotFound, PermissionDenied
from bot.services.meetings.scheduling import expected_members, fmt_when, type_label, upcoming
from bot.services.notify.outbox import enqueue, enqueue_many


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


def request_leave(session: Session, *, member: Member | None, reason: str, now: datetime,
                  settings: Mapping[str, Any], meeting: Meeting | None = None) -> LeaveRequest:
    """File a pending request for the member's next meeting and notify the approvers through the outbox."""
    if member is None:
        raise PermissionDenied(M.CHK_UNBOUND)
    reason = (reason or "").strip()[:200]
    if not reason:
        raise Invalid(M.LEAVE_NEED_REASON)
    if meeting is None:
        meeting = next_meeting_for(session, member, now)
        if meeting is None:
            raise NotFound(M.LEAVE_NO_MEETING)
    if meeting.status != "scheduled":
        raise Conflict(M.MTG_CANCELLED_ALREADY)
    if meeting.starts_at <= now:
        raise Conflict(M.LEAVE_STARTED)
    if not any(m.id == member.id for m in expected_members(session, meeting)):
        raise PermissionDenied(M.LEAVE_NO_MEETING)
    label, when = type_label(meeting.type), fmt_when(meeting.starts_at, settings, year=False)
    existing = session.scalar(select(LeaveRequest).where(LeaveRequest.meeting_id == meeting.id,
                                                         LeaveRequest.member_id == member.id))
    if existing is not None:
        raise Conflict(M.LEAVE_ALREADY.format(when=when, label=label, status=M.LEAVE_STATUS[existing.status]))
    req = LeaveRequest(meeting_id=meeting.id, member_id=member.id, reason=reason, status="pending", created_at=now)
    session.add(req)
    session.flush()
    text = M.LEAVE_NOTICE.format(name=member.name, when=when, label=label, reason=reason, id=req.id)
    enqueue_many(session, [dict(kind="leave_requested", recipient_id=approver, text=text, due_at=now,
                                subject_type="leave_request", subject_id=req.id, slot="new",
                                payload={"leave_request_id": req.id, "meeting_id": meeting.id})
                           for approver in approvers(session, meeting.branch_id)])
    return req


def pending_for(session: Session, actor: Member | None, now: datetime) -> list[LeaveRequest]:
    """Pending requests for meetings not yet ended that `actor` may decide."""
    if actor is None:
        return []
    rows = session.execute(select(LeaveRequest, Meeting).join(Meeting, Meeting.id == LeaveRequest.meeting_id).where(
        LeaveRequest.status == "pending", Meeting.status == "scheduled", Meeting.ends_at > now)
        .order_by(LeaveRequest.id).limit(200)).all()
    return [req for req, meeting in rows if authz.can(session, actor, Action.APPROVE_LEAVE, meeting)]


def describe(session: Session, req: LeaveRequest, settings: Mapping[str, Any]) -> dict[str, str]:
    meeting = session.get(Meeting, req.meeting_id)
    member = session.get(Member, req.member_id)
    assert meeting is not None and member is not None
    return {"name": member.name, "when": fmt_when(meeting.starts_at, settings, year=False),
            "label": type_label(meeting.type), "reason": req.reason, "id": str(req.id)}


def decide(session: Session, *, actor: Member | None, request_id: int, approve: bool, now: datetime,
           settings: Mapping[str, Any]) -> LeaveRequest:
    """同意 / 不同意: only the branch's secretary or committee members; the member is told."""
    req = session.get(LeaveRequest, request_id)
    if req is None:
        raise NotFound(M.LEAVE_NONE_PENDING)
    meeting = session.get(Meeting, req.meeting_id)
    if meeting is None:
        raise NotFound(M.MTG_NOT_FOUND)
    authz.require(session, actor, Action.APPROVE_LEAVE, meeting)
    assert actor is not None
    if req.status != "pending":
        raise Conflict(M.LEAVE_DECIDED_ALREADY.format(status=M.LEAVE_STATUS[req.status]))
    req.status = "approved" if approve else "rejected"
    req.decided_by_id = actor.id
    req.decided_at = now
    session.flush()
    info = describe(session, req, settings)
    text = (M.LEAVE_NOTICE_APPROVED if approve else M.LEAVE_NOTICE_REJECTED).format(**info)
    enqueue(session, kind="leave_decided", recipient_id=req.member_id, text=text, due_at=now,
            subject_type="leave_request", subject_id=req.id, slot=req.status,
            payload={"leave_request_id": req.id, "meeting_id": meeting.id, "status": req.status})
    return req
