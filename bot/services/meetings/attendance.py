"""Attendance figures of a meeting (应到 / 实到 / 请假 / 缺席 / 迟到) and its quorum, from real check-ins."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Attendance, LeaveRequest, Meeting, Member
from bot.services import authz
from bot.services.authz import Action
from bot.services.meetings.scheduling import expected_members

QUORUM_TYPES = ("general_meeting", "committee_meeting")


def quorum_met(present: int, base: int) -> bool:
    """More than half: 3 of 5, 4 of 6; nobody on the roll means no quorum."""
    return base > 0 and present * 2 > base


@dataclass
class AttendanceSummary:
    meeting_id: int
    type: str
    starts_at: datetime
    ended: bool
    expected: int  # 应到
    present: int  # 实到 (of those expected; a member on leave who came is present)
    leave: int  # 请假 (approved, did not come)
    absent: int  # 缺席 (expected, no check-in, no approved leave)
    late: int  # 迟到
    extra: int  # present but not on the roll (流动党员 registered with the branch)
    quorum_rule: str | None  # general_meeting | committee_meeting | None (no rule)
    quorum_base: int
    quorum_present: int
    quorum_met: bool | None
    present_names: list[str] = field(default_factory=list)
    late_names: list[str] = field(default_factory=list)
    leave_names: list[str] = field(default_factory=list)
    absent_names: list[str] = field(default_factory=list)
    started: bool = True  # False: the meeting has not begun (签到情况 says so, no quorum yet)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["starts_at"] = self.starts_at.isoformat()
        return data


def summarize(session: Session, *, actor: authz.Actor | None, meeting: Meeting, now: datetime) -> AttendanceSummary:
    """签到情况 of one meeting, for whoever may view its attendance (the CLI as the operator)."""
    authz.require(session, actor, Action.VIEW_ATTENDANCE, meeting)
    roll = expected_members(session, meeting)
    roll_ids = {m.id for m in roll}
    rows = session.execute(
        select(Attendance, Member).join(Member, Member.id == Attendance.member_id)
        .where(Attendance.meeting_id == meeting.id).order_by(Attendance.checked_in_at, Attendance.id)).all()
    present_ids = {att.member_id for att, _ in rows}
    on_leave = set(session.scalars(select(LeaveRequest.member_id).where(
        LeaveRequest.meeting_id == meeting.id, LeaveRequest.status == "approved")))
    present_names = [m.name for att, m in rows if m.id in roll_ids]
    late_names = [m.name for att, m in rows if att.late]
    leave_names = [m.name for m in roll if m.id in on_leave and m.id not in present_ids]
    absent_names = [m.name for m in roll if m.id not in present_ids and m.id not in on_leave]
    rule: str | None = meeting.type if meeting.type in QUORUM_TYPES else None
    base = present_q = 0
    met: bool | None = None
    if rule == "general_meeting":  # more than half of the full (voting) members
        voters = {m.id for m in roll if m.status == "full"}
        base, present_q = len(voters), len(voters & present_ids)
        met = quorum_met(present_q, base)
    elif rule == "committee_meeting":  # more than half of the committee
        base, present_q = len(roll_ids), len(roll_ids & present_ids)
        met = quorum_met(present_q, base)
    return AttendanceSummary(
        meeting_id=meeting.id, type=meeting.type, starts_at=meeting.starts_at, ended=meeting.ends_at <= now,
        expected=len(roll), present=len(present_names), leave=len(leave_names), absent=len(absent_names),
        late=len(late_names), extra=len(rows) - len(present_names), quorum_rule=rule, quorum_base=base,
        quorum_present=present_q, quorum_met=met, present_names=present_names, late_names=late_names,
        leave_names=leave_names, absent_names=absent_names, started=meeting.starts_at <= now)
