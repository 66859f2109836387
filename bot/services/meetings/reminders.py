"""What is due for 三会一课: reminders before a meeting, the secretary's reminder to record the minutes,
leave requests still waiting, and the compliance reminders (meetings missing this period, branches
without activity). Each function answers the scheduler's "what is due now and not yet written?" with
outbox.Due items (kind, recipient, subject, slot, when, params); it writes nothing.

Queries are set-based and bounded by an indexed time window; Python only shapes the rows found.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import at_local, local, today
from bot.models import Branch, LeaveRequest, Meeting, Member, MobileRegistration, RoleGrant
from bot.services.meetings import compliance
from bot.services.meetings.checkin import OWN_MEMBERS_ONLY
from bot.services.notify.outbox import Due, not_written
from bot.services.notify.recipients import admins_by_committee, role_holders, secretaries_by_branch
from bot.services.notify.timing import daily_due, next_allowed, parse_hhmm


# -- before a meeting -----------------------------------------------------------------------------
def meeting_reminders_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    """Reminders N hours before a meeting (MEETING_REMINDERS) to each expected member; a meeting moved
    (its revision bumped) is reminded again.

    Expected: the branch's active members (of the group for a 小组会, 支委 for a 支委会), and the 流动党员
    registered with the branch for its other meetings, who may check in there too (一方隶属、多重管理)."""
    due: list[Due] = []
    hours = sorted(settings["MEETING_REMINDERS"], reverse=True)
    deferred = next_allowed(now, settings)
    for i, h in enumerate(hours):
        lower = hours[i + 1] if i + 1 < len(hours) else 0
        slot = literal(f"{h}h:r") + cast(Meeting.revision, String)
        columns = (Meeting.id, Meeting.type, Meeting.topic, Meeting.place, Meeting.starts_at, Meeting.revision,
                   Member.id)
        due_now = and_(Meeting.status == "scheduled", Meeting.starts_at > now + timedelta(hours=lower),
                       Meeting.starts_at <= now + timedelta(hours=h), Member.active.is_(True),
                       ~exists().where(LeaveRequest.meeting_id == Meeting.id, LeaveRequest.member_id == Member.id,
                                       LeaveRequest.status == "approved"),
                       not_written("meeting_reminder", "meeting", Meeting.id, slot, Member.id))
        own = (
            select(*columns).join(Member, Member.branch_id == Meeting.branch_id)
            .where(due_now, or_(Meeting.group_id.is_(None), Member.group_id == Meeting.group_id),
                   or_(Meeting.type != "committee_meeting", Member.is_committee_member.is_(True)))
        )
        mobile = (
            select(*columns)
            .join(MobileRegistration, MobileRegistration.host_branch_id == Meeting.branch_id)
            .join(Member, Member.id == MobileRegistration.member_id)
            .where(due_now, Meeting.type.not_in(OWN_MEMBERS_ONLY))
        )
        params_of: dict[int, dict[str, Any]] = {}  # one params mapping per meeting, shared by its rows
        for query in (own, mobile):
            for mid, mtype, topic, place, starts_at, revision, member_id in session.execute(query):
                params = params_of.get(mid)
                if params is None:
                    params = params_of[mid] = {"meeting_id": mid, "hours": h, "type": mtype, "topic": topic,
                                               "place": place, "starts_at": starts_at.isoformat()}
                at, urgent = _reminder_due(now, deferred, starts_at, hours[-1])
                due.append(Due("meeting_reminder", member_id, "meeting", mid, f"{h}h:r{revision}", at, params,
                               urgent))
    return due


def _reminder_due(now: datetime, deferred: datetime, starts_at: datetime, last_hours: int) -> tuple[datetime, bool]:
    """Reminders keep quiet hours and holidays (`deferred`: the next allowed moment) unless waiting would
    pass the last reminder: then now, urgent."""
    if deferred <= starts_at - timedelta(hours=last_hours) and deferred < starts_at:
        return deferred, False
    return now, True


# -- after a meeting ------------------------------------------------------------------------------
def minutes_reminders_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    """The day after a meeting that has begun and has no minutes, its branch's secretaries are reminded."""
    day = today(now, settings)
    start = at_local(day - timedelta(days=1), parse_hhmm("00:00"), settings).astimezone(UTC)
    end = at_local(day, parse_hhmm("00:00"), settings).astimezone(UTC)
    q = (
        select(Meeting.id, Meeting.type, Meeting.starts_at, Branch.name, RoleGrant.member_id)
        .join(Branch, Branch.id == Meeting.branch_id)
        .join(RoleGrant, role_holders("secretary", "branch", Meeting.branch_id))
        .where(Meeting.status == "scheduled", Meeting.starts_at >= start, Meeting.starts_at < end,
               Meeting.starts_at < now, Meeting.recorded_at.is_(None),
               not_written("minutes_reminder", "meeting", Meeting.id, "minutes", RoleGrant.member_id))
    )
    at = daily_due(now, settings)
    return [Due("minutes_reminder", secretary_id, "meeting", mid, "minutes", at,
                {"meeting_id": mid, "type": mtype, "starts_at": starts_at.isoformat(), "branch": branch})
            for mid, mtype, starts_at, branch, secretary_id in session.execute(q)]


# -- leave ----------------------------------------------------------------------------------------
def leave_reminders_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    """Once a day, each secretary with leave requests still waiting (older than LEAVE_REMIND_AFTER
    minutes, for meetings not yet begun) is told how many."""
    cutoff = now - timedelta(minutes=settings["LEAVE_REMIND_AFTER"])
    slot = today(now, settings).isoformat()
    q = (
        select(RoleGrant.member_id, Branch.id, Branch.name, func.count(LeaveRequest.id))
        .select_from(LeaveRequest)
        .join(Meeting, Meeting.id == LeaveRequest.meeting_id)
        .join(Branch, Branch.id == Meeting.branch_id)
        .join(RoleGrant, role_holders("secretary", "branch", Meeting.branch_id))
        .where(LeaveRequest.status == "pending", LeaveRequest.created_at <= cutoff, Meeting.starts_at > now,
               Meeting.status == "scheduled",
               not_written("leave_pending", "branch", Branch.id, slot, RoleGrant.member_id))
        .group_by(RoleGrant.member_id, Branch.id, Branch.name)
    )
    at = daily_due(now, settings)
    return [Due("leave_pending", secretary, "branch", branch_id, slot, at,
                {"branch_id": branch_id, "branch": name, "count": int(count)})
            for secretary, branch_id, name, count in session.execute(q)]


# -- compliance -----------------------------------------------------------------------------------
def compliance_reminders_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    """From COMPLIANCE_REMIND_DAY, secretaries of branches missing this month's meetings (and, in a
    quarter's last month, this quarter's) are reminded once a month; branches without any activity for
    INACTIVE_DAYS are flagged once a month to their committee's admins."""
    day = today(now, settings)
    month = f"{day:%Y-%m}"
    reports = compliance.all_compliance(session, now, settings)
    if not reports:
        return []
    branch_ids = [r.branch_id for r in reports]
    secretaries = secretaries_by_branch(session, branch_ids)
    admins = admins_by_committee(session, {r.committee_id for r in reports})
    created = dict(session.execute(select(Branch.id, Branch.created_at).where(Branch.id.in_(branch_ids))).all())
    at = daily_due(now, settings)
    quarter_end_month = day.month % 3 == 0
    due: list[Due] = []
    for r in reports:
        if day.day >= settings["COMPLIANCE_REMIND_DAY"]:
            missing: list[tuple[int, str, date]] = []
            for item in r.items:
                if not item.missing or not in_period(item, now, day):
                    continue
                span = span_days(item)
                if span <= 31 or (span <= 92 and quarter_end_month):
                    missing.append((span, item.meeting_type, last_day(item, settings)))
            if missing:
                gap = {"branch_id": r.branch_id, "branch": r.branch_name,
                       "period": "quarter" if any(s > 31 for s, _, _ in missing) else "month",
                       "missing": [t for _, t, _ in missing],
                       "deadline": max(end for _, _, end in missing).isoformat()}
                due += [Due("compliance_gap", sec, "branch", r.branch_id, month, at, gap)
                        for sec in secretaries.get(r.branch_id, [])]
        last = r.last_activity_at
        since = last or created.get(r.branch_id) or now
        days = (now - since).days
        if days >= settings["INACTIVE_DAYS"]:
            flag = {"branch_id": r.branch_id, "branch": r.branch_name, "days": days,
                    "last_activity_at": last.isoformat() if last else None}
            due += [Due("branch_inactive", admin, "branch", r.branch_id, month, at, flag)
                    for admin in admins.get(r.committee_id, [])]
    return due


def in_period(item: compliance.PeriodStatus, now: datetime, day: date) -> bool:
    """Is `now` inside the item's period? (period_end is exclusive; datetimes or dates.)"""
    start, end = item.period_start, item.period_end
    if isinstance(start, datetime):
        return bool(start <= now < end)
    return bool(start <= day <= end)


def span_days(item: compliance.PeriodStatus) -> int:
    return int((item.period_end - item.period_start).days)


def last_day(item: compliance.PeriodStatus, settings: Settings) -> date:
    """The period's last local day."""
    end: datetime | date = item.period_end
    if isinstance(end, datetime):
        return local(end - timedelta(seconds=1), settings).date()
    return end


def monthly_gap(report: compliance.BranchCompliance, now: datetime, day: date) -> bool:
    """Does the branch miss a meeting of a period of a month or less that `now` (local day `day`) is in?"""
    return any(i.missing and in_period(i, now, day) and span_days(i) <= 31 for i in report.items)
