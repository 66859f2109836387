"""The weekly digest: a committee subtree's figures (WeeklyFigures), and the digests due: on the digest day
from DIGEST_TIME (Monday 08:30) each committee admin gets the past week's, once; never on another day (a
scheduler started on a Wednesday sends nothing until Monday). Returns outbox.Due items; writes nothing."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import at_local, today
from bot.models import Branch, Committee, Meeting, Member, Notification, RectificationItem, RoleGrant
from bot.services.meetings import compliance
from bot.services.meetings.reminders import monthly_gap
from bot.services.notify.outbox import Due, not_written
from bot.services.notify.timing import next_allowed, parse_hhmm
from bot.services.org.structure import committee_ids_under

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
UNDELIVERED = ("undeliverable", "redirected", "failed")


@dataclass(frozen=True)
class WeeklyFigures:
    """A committee subtree's week: meetings held (and by how many branches), branches missing this month's
    meetings and without activity for INACTIVE_DAYS, rectification items open (and overdue), notices that
    could not reach their member."""

    meetings: int
    branches_met: int
    gaps: int
    inactive: int
    open_items: int
    overdue: int
    undeliverable: int


def weekly_figures(session: Session, committee_id: int, now: datetime, settings: Settings,
                   since: datetime | None = None, until: datetime | None = None) -> WeeklyFigures:
    """The week [since, until) (default: the 7 days before `now`) for the committee and every committee
    below it; open items and compliance as of `now`."""
    ids = committee_ids_under(session, committee_id)
    week_ago = since if since is not None else now - timedelta(days=7)
    end = until if until is not None else now
    met = session.execute(
        select(func.count(Meeting.id), func.count(func.distinct(Meeting.branch_id)))
        .join(Branch, Branch.id == Meeting.branch_id)
        .where(Branch.committee_id.in_(ids), Meeting.status == "scheduled",
               Meeting.starts_at >= week_ago, Meeting.starts_at < end)
    ).one()
    day = today(now, settings)
    open_items, overdue = session.execute(
        select(func.count(RectificationItem.id),
               func.count(RectificationItem.id).filter(RectificationItem.deadline < day))
        .where(RectificationItem.committee_id.in_(ids), RectificationItem.status != "closed")
    ).one()
    undeliverable = session.scalar(
        select(func.count(Notification.id))
        .join(Member, Member.id == Notification.recipient_id)
        .join(Branch, Branch.id == Member.branch_id)
        .where(Notification.status.in_(UNDELIVERED), Notification.due_at >= week_ago, Notification.due_at < end,
               Branch.committee_id.in_(ids))
    ) or 0
    gaps = inactive = 0
    for r in compliance.subtree_compliance(session, committee_id, now, settings):
        if monthly_gap(r, now, day):
            gaps += 1
        if r.last_activity_at is None or (now - r.last_activity_at).days >= settings["INACTIVE_DAYS"]:
            inactive += 1
    return WeeklyFigures(meetings=int(met[0] or 0), branches_met=int(met[1] or 0), gaps=gaps, inactive=inactive,
                         open_items=int(open_items or 0), overdue=int(overdue or 0), undeliverable=int(undeliverable))


def digest_day(now: datetime, settings: Settings) -> date | None:
    """Today if it is the digest day (DIGEST_TIME's weekday) and DIGEST_TIME has passed, else None."""
    day_name, _, at = settings["DIGEST_TIME"].partition(" ")
    day = today(now, settings)
    if day.weekday() != WEEKDAYS.index(day_name) or now < at_local(day, parse_hhmm(at), settings):
        return None
    return day


def week_of(now: datetime, settings: Settings) -> str | None:
    """This digest's slot ("2026-W48") on the digest day once DIGEST_TIME has passed, else None."""
    day = digest_day(now, settings)
    if day is None:
        return None
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def digests_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    """Each active committee admin's digest of this week, not yet written."""
    week, day = week_of(now, settings), digest_day(now, settings)
    if week is None or day is None:
        return []
    first = day - timedelta(days=7)  # the seven days before the digest day, counted whole
    since, until = at_local(first, time(0), settings), at_local(day, time(0), settings)
    admins = session.execute(
        select(RoleGrant.member_id, RoleGrant.scope_id, Committee.name)
        .join(Committee, Committee.id == RoleGrant.scope_id)
        .join(Member, Member.id == RoleGrant.member_id)
        .where(RoleGrant.role == "admin", RoleGrant.scope_type == "committee", Member.active.is_(True),
               not_written("digest", "committee", RoleGrant.scope_id, week, RoleGrant.member_id))
    ).all()
    at = next_allowed(now, settings)
    due: list[Due] = []
    figures_of: dict[int, WeeklyFigures] = {}  # a committee's figures, once for all its admins
    for admin_id, committee_id, committee in admins:
        figures = figures_of.get(committee_id)
        if figures is None:
            figures = figures_of[committee_id] = weekly_figures(session, committee_id, now, settings,
                                                                since, until)
        due.append(Due("digest", admin_id, "committee", committee_id, week, at,
                       {"committee_id": committee_id, "committee": committee, "week": week,
                        "first": first.isoformat(), "last": (day - timedelta(days=1)).isoformat(),
                        "figures": asdict(figures)}))
    return due
