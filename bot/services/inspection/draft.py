"""The party-work section (党建工作情况) of an organization's 年检 report for a year, drafted from the records
the system already holds ("enter once, reuse everywhere": no figure is typed here):
- the branch covering it: its form (单独/联合/挂靠组建, 建制型/功能性) and its active members (正式/预备, as
  of now: the roll keeps no history); a branch several organizations share (联合组建) names the others, and
  its figures (members, meetings, attendance, hours) are the joint branch's, the same in each organization's
  draft, never split or added up again; the members working in this organization (Member.org_id) are
  counted apart;
- meetings held in the year against those required by type (MEETING_RULES for the branch's kind: a monthly
  type 12 times, quarterly 4, yearly 1; 党小组会 per group; no 支委会 without a committee, no 党小组会 without
  groups), held counted as the compliance engine counts them: not cancelled, started before now, and for the
  支部党员大会 / 支委会 with quorum (more than half of the full / committee members on the roll); meetings
  without quorum are listed apart;
- the attendance rate over those meetings: members checked in of those expected (应到, meetings.scheduling);
- volunteer hours of final records served in the year (services.volunteer.totals.branch_hours);
- the 述职 grade of the branch's report for the year (services.review.rounds.final_grade_of);
- the ledger items of the organization, or of its branch but of no other organization (a joint branch's
  partners' own items stay in their drafts), found up to the end of the year that were found in it or are
  still open, with their state (逾期 derived: past the deadline and not closed)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import local_tz, today
from bot.models import AnnualInspection, Attendance, Branch, Meeting, Member, PartyGroup, RectificationItem, SocialOrg
from bot.services.authz import Actor
from bot.services.inspection import filing
from bot.services.meetings.attendance import quorum_met
from bot.services.meetings.scheduling import expected_members, required_types
from bot.services.rectification.ledger import is_overdue
from bot.services.review.rounds import final_grade_of
from bot.services.volunteer.totals import branch_hours

PER_YEAR = {"month": 12, "quarter": 4, "year": 1}


@dataclass(frozen=True)
class MeetingLine:
    meeting_type: str
    required: int
    held: int  # counted (with quorum where the type has a rule)
    held_without_quorum: int


@dataclass(frozen=True)
class DraftItem:
    id: int
    source: str  # a key of RECTIFICATION_SOURCES
    problem: str
    found_on: date | None
    deadline: date
    status: str  # a key of RECTIFICATION_STATUSES
    overdue: bool


@dataclass(frozen=True)
class PartyWorkDraft:
    organization_id: int
    organization_name: str
    year: int
    branch_id: int | None  # None: no party organization covers it (联络员)
    branch_name: str | None
    formation: str | None  # single | joint | attached
    kind: str | None  # full | functional
    full_members: int
    probationary_members: int
    partners: list[str]  # the other organizations sharing the branch (联合组建), by id
    own_members: int  # active members of the branch working in this organization (Member.org_id)
    meetings: list[MeetingLine]
    meetings_required: int
    meetings_held: int
    attendance_expected: int
    attendance_present: int
    attendance_rate: float | None  # present / expected, 4 places; None without meetings
    volunteer_hours: Decimal
    review_grade: str | None
    items: list[DraftItem]
    items_closed: int
    party_section_filed: bool  # 双提交, as recorded for the year


def _meetings(session: Session, branch: Branch, year: int, now: datetime,
              settings: Settings) -> tuple[list[MeetingLine], int, int]:
    zone = local_tz(settings)
    start, end = datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    groups = int(session.scalar(select(func.count()).select_from(PartyGroup)
                                .where(PartyGroup.branch_id == branch.id)) or 0)
    types = required_types(session, branch, settings, group_count=groups)
    roll = list(session.scalars(select(Member).where(Member.branch_id == branch.id, Member.active.is_(True))))
    full_ids = {m.id for m in roll if m.status == "full"}
    committee_ids = {m.id for m in roll if m.is_committee_member}
    held = list(session.scalars(select(Meeting).where(
        Meeting.branch_id == branch.id, Meeting.status == "scheduled", Meeting.starts_at >= start,
        Meeting.starts_at < end, Meeting.starts_at <= now).order_by(Meeting.starts_at, Meeting.id)))
    came: dict[int, set[int]] = {}
    for meeting_id, member_id in session.execute(select(Attendance.meeting_id, Attendance.member_id).where(
            Attendance.meeting_id.in_([m.id for m in held]))):
        came.setdefault(meeting_id, set()).add(member_id)
    counted: Counter[str] = Counter()
    unquorate: Counter[str] = Counter()
    expected_total = present_total = 0
    for meeting in held:
        present = came.get(meeting.id, set())
        if meeting.type == "general_meeting":
            met = quorum_met(len(present & full_ids), len(full_ids))
        elif meeting.type == "committee_meeting":
            met = quorum_met(len(present & committee_ids), len(committee_ids))
        else:
            met = True
        (counted if met else unquorate)[meeting.type] += 1
        expected = {m.id for m in expected_members(session, meeting)}
        expected_total += len(expected)
        present_total += len(expected & present)
    lines = []
    for mtype, period in types.items():
        required = PER_YEAR[period] * (groups if mtype == "group_meeting" else 1)
        lines.append(MeetingLine(mtype, required, counted[mtype], unquorate[mtype]))
    listed = set(types)
    lines += [MeetingLine(mtype, 0, counted[mtype], unquorate[mtype])
              for mtype in sorted(set(counted) | set(unquorate)) if mtype not in listed]
    return lines, expected_total, present_total


def draft(session: Session, *, actor: Actor | None, organization_id: int, year: int, now: datetime,
          settings: Settings) -> PartyWorkDraft:
    """年检材料: the party-work section of the organization's report on `year`, for whoever may read its 年检."""
    org = filing.view_org(session, actor=actor, organization_id=organization_id)
    filing.check_year(year, now, settings)
    day = today(now, settings)
    branch = session.get(Branch, org.branch_id) if org.branch_id is not None else None
    meetings: list[MeetingLine] = []
    expected = present = full = probationary = 0
    hours = Decimal("0.00")
    grade: str | None = None
    partners: list[str] = []
    own = 0
    if branch is not None:
        partners = list(session.scalars(select(SocialOrg.name).where(
            SocialOrg.branch_id == branch.id, SocialOrg.id != org.id).order_by(SocialOrg.id)))
        own = int(session.scalar(select(func.count()).select_from(Member).where(
            Member.branch_id == branch.id, Member.active.is_(True), Member.org_id == org.id)) or 0)
        counts = {str(status): int(n) for status, n in session.execute(select(Member.status, func.count()).where(
            Member.branch_id == branch.id, Member.active.is_(True)).group_by(Member.status))}
        full, probationary = counts.get("full", 0), counts.get("probationary", 0)
        meetings, expected, present = _meetings(session, branch, year, now, settings)
        hours = branch_hours(session, [branch.id], year, now=now, settings=settings)[branch.id]
        grade = final_grade_of(session, branch.id, year)
    year_end = date(year, 12, 31)
    unit = RectificationItem.organization_id == org.id
    if branch is not None:  # the branch's own items, not those of another organization sharing it
        unit = or_(unit, and_(RectificationItem.branch_id == branch.id, RectificationItem.organization_id.is_(None)))
    rows = list(session.scalars(select(RectificationItem).where(
        unit, or_(RectificationItem.found_on.is_(None), RectificationItem.found_on <= year_end))
        .order_by(RectificationItem.id)))
    items = [DraftItem(r.id, r.source, r.problem, r.found_on, r.deadline, r.status, is_overdue(r, day))
             for r in rows if r.status != "closed" or (r.found_on is not None and r.found_on.year == year)]
    # The items the report on `year` led to (a poor result recorded in year + 1) belong to it too.
    row = session.scalar(select(AnnualInspection).where(AnnualInspection.organization_id == org.id,
                                                        AnnualInspection.year == year))
    if row is not None:
        listed = {i.id for i in items}
        items += [DraftItem(r.id, r.source, r.problem, r.found_on, r.deadline, r.status, is_overdue(r, day))
                  for r in session.scalars(select(RectificationItem).where(
                      RectificationItem.source == "inspection", RectificationItem.source_id == row.id)
                      .order_by(RectificationItem.id)) if r.id not in listed]
    return PartyWorkDraft(
        organization_id=org.id, organization_name=org.name, year=year,
        branch_id=branch.id if branch else None, branch_name=branch.name if branch else None,
        formation=branch.formation if branch else None, kind=branch.kind if branch else None,
        full_members=full, probationary_members=probationary, partners=partners, own_members=own, meetings=meetings,
        meetings_required=sum(m.required for m in meetings), meetings_held=sum(m.held for m in meetings),
        attendance_expected=expected, attendance_present=present,
        attendance_rate=round(present / expected, 4) if expected else None, volunteer_hours=hours,
        review_grade=grade, items=items, items_closed=sum(1 for i in items if i.status == "closed"),
        party_section_filed=bool(row.party_section_filed) if row is not None else False)
