"""The compliance engine: per branch and period, the required meetings, held with and without quorum, missing.

A meeting counts as held when it is not cancelled and started inside the period, before `now`. The
支部党员大会 needs more than half of the branch's full members checked in, the 支委会 more than half of its
committee members (from real attendance rows); a meeting below that is held without quorum and does not
count. Periods are in local time (TZ). `subtree_compliance` answers a committee's whole subtree with a
fixed number of grouped queries, whatever the number of branches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import local_tz
from bot.models import Attendance, Branch, Meeting, Member, PartyGroup
from bot.services import authz
from bot.services.authz import Action
from bot.services.errors import NotFound
from bot.services.meetings.attendance import quorum_met
from bot.services.meetings.scheduling import overseen_branch_ids
from bot.services.org.structure import committee_subtree


@dataclass(frozen=True)
class UnquorateMeeting:
    meeting_id: int
    starts_at: datetime
    present: int
    base: int


@dataclass(frozen=True)
class ScheduledMeeting:
    meeting_id: int
    starts_at: datetime


@dataclass
class PeriodStatus:
    meeting_type: str
    period_label: str  # "2026-11" | "2026Q4" | "2026"
    period_start: datetime
    period_end: datetime
    required: int
    held_with_quorum: int
    held_without_quorum: int
    missing: int
    period: str = "month"  # month | quarter | year
    unquorate: list[UnquorateMeeting] = field(default_factory=list)  # why some meetings did not count
    scheduled: list[ScheduledMeeting] = field(default_factory=list)  # in the period, not yet started


@dataclass
class BranchCompliance:
    branch_id: int
    branch_name: str
    committee_id: int
    items: list[PeriodStatus]
    last_activity_at: datetime | None

    @property
    def missing_types(self) -> list[str]:
        return [item.meeting_type for item in self.items if item.missing > 0]

    @property
    def missing_total(self) -> int:
        return sum(item.missing for item in self.items)


def period_bounds(now: datetime, period: str, settings: Settings) -> tuple[str, datetime, datetime]:
    """(label, start, end) of the period containing `now`, in local time, returned as aware datetimes."""
    zone = local_tz(settings)
    local = now.astimezone(zone)
    if period == "month":
        start = datetime(local.year, local.month, 1, tzinfo=zone)
        end = datetime(local.year + (local.month == 12), local.month % 12 + 1, 1, tzinfo=zone)
        return f"{local.year}-{local.month:02d}", start, end
    if period == "quarter":
        q = (local.month - 1) // 3
        start = datetime(local.year, q * 3 + 1, 1, tzinfo=zone)
        end = datetime(local.year + (q == 3), (q * 3 + 3) % 12 + 1, 1, tzinfo=zone)
        return f"{local.year}Q{q + 1}", start, end
    if period == "year":
        return str(local.year), datetime(local.year, 1, 1, tzinfo=zone), datetime(local.year + 1, 1, 1, tzinfo=zone)
    raise ValueError(f"unknown period {period!r}")


def _compute(session: Session, branch_ids: Select[Any], now: datetime,
             settings: Settings) -> list[BranchCompliance]:
    rules: Mapping[str, Mapping[str, str]] = settings["MEETING_RULES"]
    periods = {p: period_bounds(now, p, settings) for p in ("month", "quarter", "year")}
    used = {p for per_kind in rules.values() for p in per_kind.values()} or {"month"}
    earliest = min(periods[p][1] for p in used)

    # 1. the branches
    branches = list(session.scalars(select(Branch).where(Branch.id.in_(branch_ids)).order_by(Branch.id)))
    # 2. groups per branch
    groups = {int(row[0]): int(row[1]) for row in session.execute(select(PartyGroup.branch_id, func.count()).where(
        PartyGroup.branch_id.in_(branch_ids)).group_by(PartyGroup.branch_id))}
    # 3. the roll: full members and committee members per branch
    roll = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in session.execute(
        select(Member.branch_id,
               func.sum(case((Member.status == "full", 1), else_=0)),
               func.sum(case((Member.is_committee_member.is_(True), 1), else_=0)))
        .where(Member.branch_id.in_(branch_ids), Member.active.is_(True)).group_by(Member.branch_id))}
    held_filter = and_(Meeting.branch_id.in_(branch_ids), Meeting.status == "scheduled",
                       Meeting.starts_at >= earliest, Meeting.starts_at <= now)
    # 4. meetings held in the widest period, and those scheduled in it that have not started yet
    latest_end = max(periods[p][2] for p in used)
    meetings: list[Any] = []
    coming_rows: list[Any] = []
    for row in session.execute(select(Meeting.id, Meeting.branch_id, Meeting.type, Meeting.starts_at,
                                      Meeting.group_id).where(
            Meeting.branch_id.in_(branch_ids), Meeting.status == "scheduled", Meeting.starts_at >= earliest,
            Meeting.starts_at < latest_end).order_by(Meeting.starts_at, Meeting.id)):
        (meetings if row.starts_at <= now else coming_rows).append(row)
    coming: dict[int, list[Any]] = defaultdict(list)
    for later in coming_rows:
        coming[later.branch_id].append(later)
    # 5. who of the roll came to each of them
    present = {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in session.execute(
        select(Attendance.meeting_id,
               func.sum(case((Member.status == "full", 1), else_=0)),
               func.sum(case((Member.is_committee_member.is_(True), 1), else_=0)))
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .join(Member, and_(Member.id == Attendance.member_id, Member.branch_id == Meeting.branch_id,
                           Member.active.is_(True)))
        .where(held_filter).group_by(Attendance.meeting_id))}
    # 6. last activity ever
    last: dict[int, datetime] = {int(row[0]): row[1] for row in session.execute(
        select(Meeting.branch_id, func.max(Meeting.starts_at)).where(
            Meeting.branch_id.in_(branch_ids), Meeting.status == "scheduled", Meeting.starts_at <= now)
        .group_by(Meeting.branch_id))}

    by_branch: dict[int, list[Any]] = defaultdict(list)
    for row in meetings:
        by_branch[row.branch_id].append(row)
    out = []
    for branch in branches:
        full_count, committee_count = roll.get(branch.id, (0, 0))
        types = dict(rules.get(branch.kind, rules["full"]))
        if not branch.has_committee:
            types.pop("committee_meeting", None)
        group_count = int(groups.get(branch.id, 0))
        if group_count == 0:
            types.pop("group_meeting", None)
        items = []
        for mtype, period in types.items():
            label, start, end = periods[period]
            ok = bad = 0
            covered: set[int | None] = set()
            none_groups = 0
            unquorate = []
            for row in by_branch.get(branch.id, []):
                if row.type != mtype or not (start <= row.starts_at < end):
                    continue
                full_present, committee_present = present.get(row.id, (0, 0))
                if mtype == "general_meeting":
                    met, came, base = quorum_met(full_present, full_count), full_present, full_count
                elif mtype == "committee_meeting":
                    met, came, base = quorum_met(committee_present, committee_count), committee_present, \
                        committee_count
                else:
                    met, came, base = True, 0, 0
                if met:
                    ok += 1
                    if row.group_id is None:
                        none_groups += 1
                    covered.add(row.group_id)
                else:
                    bad += 1
                    unquorate.append(UnquorateMeeting(row.id, row.starts_at, came, base))
            if mtype == "group_meeting":
                required = group_count
                missing = max(0, required - len(covered - {None}) - none_groups)
            else:
                required = 1
                missing = max(0, required - ok)
            scheduled = [ScheduledMeeting(row.id, row.starts_at) for row in coming.get(branch.id, [])
                         if row.type == mtype and start <= row.starts_at < end]
            items.append(PeriodStatus(mtype, label, start, end, required, ok, bad, missing, period, unquorate,
                                      scheduled))
        out.append(BranchCompliance(branch.id, branch.name, branch.committee_id, items, last.get(branch.id)))
    return out


def branch_compliance(session: Session, *, actor: authz.Actor | None, branch: Branch, now: datetime,
                      settings: Settings) -> BranchCompliance:
    """进度: one branch's figures, for whoever may view its compliance."""
    authz.require(session, actor, Action.VIEW_COMPLIANCE, branch)
    [found] = _compute(session, select(Branch.id).where(Branch.id == branch.id), now, settings)
    return found


def subtree_compliance(session: Session, committee_id: int, now: datetime,
                       settings: Settings) -> list[BranchCompliance]:
    """Every branch under the committee and its sub-committees, in a fixed number of queries (the scheduler's
    digest: what is due, no actor)."""
    ids = select(Branch.id).where(Branch.committee_id.in_(committee_subtree(committee_id)))
    return _compute(session, ids, now, settings)


def overview(session: Session, *, actor: authz.Actor | None, now: datetime,
             settings: Settings) -> list[BranchCompliance]:
    """进度 for an admin or instructor: every branch they oversee (scheduling.overseen_branch_ids, each
    grant checked with authz), most behind first (most meetings missing, then longest without a meeting)."""
    if not isinstance(actor, Member):
        authz.deny(actor, Action.VIEW_COMPLIANCE, "overview")
    ids = overseen_branch_ids(session, actor)
    if not ids:
        raise NotFound("no_overseen_branch")
    found = _compute(session, select(Branch.id).where(Branch.id.in_(ids)), now, settings)
    return sorted(found, key=lambda bc: (-bc.missing_total, bc.last_activity_at.timestamp()
                                         if bc.last_activity_at else float("-inf"), bc.branch_id))


def all_compliance(session: Session, now: datetime, settings: Settings) -> list[BranchCompliance]:
    """Every branch of every committee, in the same fixed number of queries (the scheduler's sweep)."""
    return _compute(session, select(Branch.id), now, settings)
