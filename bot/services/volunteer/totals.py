"""志愿服务 totals: the hours of final records (confirmed, 公示 over), per branch for the 年检 draft, and a
branch's or committee's figures by month, by team and by activity in one call. Never a ranking of people
(DOMAIN.md, the 2026 rules): no per-member figures leave this module but a member's own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, extract, func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.models import Branch, VolunteerActivity, VolunteerRecord, VolunteerTeam
from bot.services import authz
from bot.services.authz import Action, Actor
from bot.services.errors import Invalid
from bot.services.org.structure import branch_ids_under, committee_ids_under, get_branch, get_committee

ZERO = Decimal("0.00")


def final_clause(day: date) -> ColumnElement[bool]:
    """Records that are final on local day `day`: confirmed and their 公示 ended before that day."""
    return and_(VolunteerRecord.status == "confirmed", VolunteerRecord.public_until.is_not(None),
                VolunteerRecord.public_until < day)


def publicizing_clause(day: date) -> ColumnElement[bool]:
    """Records in 公示 on local day `day`: confirmed, 公示 running through `public_until`."""
    return and_(VolunteerRecord.status == "confirmed", VolunteerRecord.public_until.is_not(None),
                VolunteerRecord.public_until >= day)


def is_final(record: VolunteerRecord, day: date) -> bool:
    return record.status == "confirmed" and record.public_until is not None and record.public_until < day


def check_year(year: int) -> int:
    """A service year people may ask about; Invalid otherwise (0000, 99999)."""
    if not 2000 <= year <= 2100:
        raise Invalid("volunteer_year_invalid", year=year)
    return year


def _year_clause(year: int) -> ColumnElement[bool]:
    check_year(year)
    return and_(VolunteerRecord.served_on >= date(year, 1, 1), VolunteerRecord.served_on <= date(year, 12, 31))


def branch_hours(session: Session, branch_ids: Sequence[int], year: int, *, now: datetime,
                 settings: Settings) -> dict[int, Decimal]:
    """Hours of final records served in `year`, per branch (the record's branch when logged); every branch
    asked for is in the answer (0.00 when none). Reads only; no authorization (callers authorize)."""
    out = {bid: ZERO for bid in branch_ids}
    if not branch_ids:
        return out
    rows = session.execute(
        select(VolunteerRecord.branch_id, func.coalesce(func.sum(VolunteerRecord.hours), 0))
        .where(VolunteerRecord.branch_id.in_(list(branch_ids)), _year_clause(year),
               final_clause(today(now, settings)))
        .group_by(VolunteerRecord.branch_id))
    for bid, hours in rows:
        if bid is not None:
            out[int(bid)] = Decimal(hours).quantize(ZERO)
    return out


@dataclass(frozen=True)
class Totals:
    """A branch's or committee's hours for a year: final records, plus those still pending or in 公示, by
    month (1-12), by team and by activity as (id, name, hours), records without one last (id None)."""

    scope: str  # branch | committee
    scope_id: int
    name: str
    year: int
    final_hours: Decimal
    final_records: int
    publicizing_hours: Decimal
    pending_hours: Decimal
    members: int  # how many members have a final record (a count, not a list)
    by_month: dict[int, Decimal] = field(default_factory=dict)
    by_team: list[tuple[int | None, str, Decimal]] = field(default_factory=list)
    by_activity: list[tuple[int | None, str, Decimal]] = field(default_factory=list)


def totals(session: Session, *, actor: Actor | None, year: int, now: datetime, settings: Settings,
           branch_id: int | None = None, committee_id: int | None = None) -> Totals:
    """The one call for a branch's (its sub-branches included) or a committee's figures: VIEW_VOLUNTEER on
    the branch or the committee."""
    if branch_id is not None:
        branch = get_branch(session, branch_id)
        authz.require(session, actor, Action.VIEW_VOLUNTEER, branch)
        ids = branch_ids_under(session, branch.id)
        scope, scope_id, name = "branch", branch.id, branch.name
    elif committee_id is not None:
        committee = get_committee(session, committee_id)
        authz.require(session, actor, Action.VIEW_VOLUNTEER, committee)
        subtree = committee_ids_under(session, committee.id)
        ids = list(session.scalars(select(Branch.id).where(Branch.committee_id.in_(subtree))))
        scope, scope_id, name = "committee", committee.id, committee.name
    else:
        raise Invalid("volunteer_scope_needed")
    day = today(now, settings)
    base = and_(VolunteerRecord.branch_id.in_(ids), _year_clause(year))
    final = and_(base, final_clause(day))

    def hours_where(cond: ColumnElement[bool]) -> Decimal:
        value = session.scalar(select(func.coalesce(func.sum(VolunteerRecord.hours), 0)).where(cond))
        return Decimal(value or 0).quantize(ZERO)

    final_hours = hours_where(final)
    count = int(session.scalar(select(func.count(VolunteerRecord.id)).where(final)) or 0)
    members = int(session.scalar(select(func.count(func.distinct(VolunteerRecord.member_id))).where(final)) or 0)
    by_month: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for month, hours in session.execute(
            select(extract("month", VolunteerRecord.served_on), func.sum(VolunteerRecord.hours))
            .where(final).group_by(extract("month", VolunteerRecord.served_on))):
        by_month[int(month)] = Decimal(hours).quantize(ZERO)
    by_team = [(tid, tname or "", Decimal(hours).quantize(ZERO)) for tid, tname, hours in session.execute(
        select(VolunteerRecord.team_id, VolunteerTeam.name, func.sum(VolunteerRecord.hours))
        .outerjoin(VolunteerTeam, VolunteerTeam.id == VolunteerRecord.team_id).where(final)
        .group_by(VolunteerRecord.team_id, VolunteerTeam.name)
        .order_by(VolunteerRecord.team_id.is_(None), VolunteerRecord.team_id))]
    by_activity = [(aid, title or "", Decimal(hours).quantize(ZERO)) for aid, title, hours in session.execute(
        select(VolunteerRecord.activity_id, VolunteerActivity.title, func.sum(VolunteerRecord.hours))
        .outerjoin(VolunteerActivity, VolunteerActivity.id == VolunteerRecord.activity_id).where(final)
        .group_by(VolunteerRecord.activity_id, VolunteerActivity.title)
        .order_by(VolunteerRecord.activity_id.is_(None), VolunteerRecord.activity_id))]
    return Totals(scope=scope, scope_id=scope_id, name=name, year=year, final_hours=final_hours,
                  final_records=count, publicizing_hours=hours_where(and_(base, publicizing_clause(day))),
                  pending_hours=hours_where(and_(base, VolunteerRecord.status == "pending")), members=members,
                  by_month=dict(sorted(by_month.items())), by_team=by_team, by_activity=by_activity)

