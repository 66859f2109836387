"""Sweeps: each asks the database "what is due now and has not been written?" and writes outbox rows.

Every sweep is `sweep_<name>(session, now, settings) -> int` (notification rows written) and runs in
the caller's transaction, so the decision and its rows commit together. The outbox key (kind,
recipient, subject, slot) makes a second run, a second scheduler or a restart write nothing new.
Queries are set-based and bounded by an indexed time window; Python only shapes the rows found.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.chat import texts as M
from bot.models import (
    AnnualInspection,
    Branch,
    Committee,
    LeaveRequest,
    Meeting,
    Member,
    MobileRegistration,
    Notification,
    RectificationItem,
    ReviewRound,
    ReviewSubmission,
    RoleGrant,
    SocialOrg,
    VolunteerRecord,
)
from bot.models.rectification import OPEN_FOR_OWNER
from bot.services.meetings.checkin import OWN_MEMBERS_ONLY
from bot.services.notify.outbox import enqueue_many
from bot.services.notify.timing import at_local, daily_due, local, next_allowed, parse_hhmm

log = logging.getLogger("zhibu.sweeps")

Settings = Mapping[str, Any]
Sweep = Callable[[Session, datetime, Settings], int]


# -- helpers -----------------------------------------------------------------------------------------
def _not_written(kind: str, subject_type: str, subject_id: Any, slot: Any, recipient_id: Any) -> ColumnElement[bool]:
    """No outbox row yet for this (kind, subject, slot, recipient): the notice's key is built in SQL exactly
    as bot.services.outbox.notice_key builds it, so each candidate is one probe of the unique key index,
    whatever the planner believes about the table's size (fresh rows are not yet in its statistics)."""
    return ~exists().where(Notification.key == _key_sql(kind, recipient_id, subject_type, subject_id, slot))


def _key_sql(kind: str, recipient_id: Any, subject_type: str, subject_id: Any, slot: Any) -> ColumnElement[str]:
    def part(value: Any) -> ColumnElement[str]:
        if value is None or isinstance(value, int | str):
            return literal(str(value) if value else "-", String)
        return func.coalesce(cast(value, String), "-")  # a column or expression

    slot_sql = literal(slot, String) if isinstance(slot, str) else slot
    return (literal(f"{kind}|", String) + part(recipient_id) + literal(f"|{subject_type}:", String)
            + part(subject_id) + literal("|", String) + slot_sql)


def _role_holders(role: str, scope_type: str, scope_id: Any) -> ColumnElement[bool]:
    return and_(RoleGrant.role == role, RoleGrant.scope_type == scope_type, RoleGrant.scope_id == scope_id)


def _fmt_day(day: date) -> str:
    return f"{day.month}月{day.day}日"


def _fmt_when(moment: datetime, settings: Settings) -> str:
    t = local(moment, settings)
    return f"{t.month}月{t.day}日{t:%H:%M}"


def _days_slot(days_left: int, steps: Iterable[int]) -> int | None:
    """The reminder step a deadline `days_left` away falls in: the smallest step ≥ days_left."""
    for step in sorted(steps):
        if days_left <= step:
            return step
    return None


def _step_ranges(steps: Iterable[int]) -> list[tuple[int, int, int]]:
    """(step, first, last) day ranges: steps (30, 7, 1) → (1, 0, 1), (7, 2, 7), (30, 8, 30)."""
    out, first = [], 0
    for step in sorted(steps):
        out.append((step, first, step))
        first = step + 1
    return out


def _today(now: datetime, settings: Settings) -> date:
    return local(now, settings).date()


def _subtree(session: Session, committee_id: int) -> list[int]:
    parents = dict(session.execute(select(Committee.id, Committee.parent_id)).all())
    out, frontier = [committee_id], [committee_id]
    while frontier:
        frontier = [cid for cid, parent in parents.items() if parent in frontier]
        out += frontier
    return out


# -- meetings ------------------------------------------------------------------------------------------
def sweep_meetings(session: Session, now: datetime, settings: Settings) -> int:
    """Reminders N hours before a meeting (MEETING_REMINDERS) to each expected member, and the
    secretary's reminder on the day after to record the minutes. Published/changed notices are
    written by the meetings service when the secretary acts, not here.

    Expected: the branch's active members (of the group for a 小组会, 支委 for a 支委会), and the 流动党员
    registered with the branch for its other meetings, who may check in there too (一方隶属、多重管理)."""
    written = 0
    hours = sorted(settings["MEETING_REMINDERS"], reverse=True)
    for i, h in enumerate(hours):
        lower = hours[i + 1] if i + 1 < len(hours) else 0
        slot = literal(f"{h}h:r") + cast(Meeting.revision, String)
        columns = (Meeting.id, Meeting.type, Meeting.topic, Meeting.place, Meeting.starts_at, Meeting.revision,
                   Member.id)
        due_now = and_(Meeting.status == "scheduled", Meeting.starts_at > now + timedelta(hours=lower),
                       Meeting.starts_at <= now + timedelta(hours=h), Member.active.is_(True),
                       ~exists().where(LeaveRequest.meeting_id == Meeting.id, LeaveRequest.member_id == Member.id,
                                       LeaveRequest.status == "approved"),
                       _not_written("meeting_reminder", "meeting", Meeting.id, slot, Member.id))
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
        rows = []
        for query in (own, mobile):
            for mid, mtype, topic, place, starts_at, revision, member_id in session.execute(query):
                due, urgent = _meeting_due(now, starts_at, hours[-1], settings)
                label = M.MEETING_TYPE_NAMES.get(mtype, mtype)
                when = _fmt_when(starts_at, settings)
                rows.append(dict(
                    kind="meeting_reminder", recipient_id=member_id, subject_type="meeting", subject_id=mid,
                    slot=f"{h}h:r{revision}", due_at=due, urgent=urgent,
                    text=M.REMIND_MEETING.format(label=label, when=when, place=place or "待定",
                                                 topic=f"，主题：{topic}" if topic else ""),
                    payload={"fields": {"thing1": M.REMIND_MEETING_TITLE.format(label=label), "time2": when,
                                        "thing3": place or topic}, "meeting_id": mid, "hours": h},
                ))
        written += enqueue_many(session, rows)
    written += _minutes_reminders(session, now, settings)
    return written


def _meeting_due(now: datetime, starts_at: datetime, last_hours: int, settings: Settings) -> tuple[datetime, bool]:
    """Reminders keep quiet hours and holidays unless waiting would pass the last reminder: then now."""
    deferred = next_allowed(now, settings)
    if deferred <= starts_at - timedelta(hours=last_hours) and deferred < starts_at:
        return deferred, False
    return now, True


def _minutes_reminders(session: Session, now: datetime, settings: Settings) -> int:
    today = _today(now, settings)
    start = at_local(today - timedelta(days=1), parse_hhmm("00:00"), settings).astimezone(UTC)
    end = at_local(today, parse_hhmm("00:00"), settings).astimezone(UTC)
    q = (
        select(Meeting.id, Meeting.type, Meeting.starts_at, Branch.name, RoleGrant.member_id)
        .join(Branch, Branch.id == Meeting.branch_id)
        .join(RoleGrant, _role_holders("secretary", "branch", Meeting.branch_id))
        .where(Meeting.status == "scheduled", Meeting.starts_at >= start, Meeting.starts_at < end,
               Meeting.starts_at < now, Meeting.recorded_at.is_(None),
               _not_written("minutes_reminder", "meeting", Meeting.id, "minutes", RoleGrant.member_id))
    )
    due = daily_due(now, settings)
    rows = []
    for mid, mtype, starts_at, branch, secretary_id in session.execute(q):
        label = M.MEETING_TYPE_NAMES.get(mtype, mtype)
        when = _fmt_when(starts_at, settings)
        rows.append(dict(kind="minutes_reminder", recipient_id=secretary_id, subject_type="meeting", subject_id=mid,
                         slot="minutes", due_at=due,
                         text=M.REMIND_MINUTES.format(branch=branch, when=when, label=label),
                         payload={"fields": {"thing1": M.REMIND_MINUTES_TITLE, "thing2": f"{label} {when}"}}))
    return enqueue_many(session, rows)


# -- leave ---------------------------------------------------------------------------------------------
def sweep_leave(session: Session, now: datetime, settings: Settings) -> int:
    """Once a day, each secretary with leave requests still waiting (older than LEAVE_REMIND_AFTER
    minutes, for meetings not yet begun) is told how many."""
    today = _today(now, settings)
    cutoff = now - timedelta(minutes=int(settings["LEAVE_REMIND_AFTER"]))
    slot = today.isoformat()
    q = (
        select(RoleGrant.member_id, Branch.id, Branch.name, func.count(LeaveRequest.id))
        .select_from(LeaveRequest)
        .join(Meeting, Meeting.id == LeaveRequest.meeting_id)
        .join(Branch, Branch.id == Meeting.branch_id)
        .join(RoleGrant, _role_holders("secretary", "branch", Meeting.branch_id))
        .where(LeaveRequest.status == "pending", LeaveRequest.created_at <= cutoff, Meeting.starts_at > now,
               Meeting.status == "scheduled",
               _not_written("leave_pending", "branch", Branch.id, slot, RoleGrant.member_id))
        .group_by(RoleGrant.member_id, Branch.id, Branch.name)
    )
    due = daily_due(now, settings)
    rows = [dict(kind="leave_pending", recipient_id=sec, subject_type="branch", subject_id=bid, slot=slot, due_at=due,
                 text=M.REMIND_LEAVE.format(branch=name, count=count),
                 payload={"fields": {"thing1": M.REMIND_LEAVE_TITLE, "thing2": f"{name} {count}条"}})
            for sec, bid, name, count in session.execute(q)]
    return enqueue_many(session, rows)


# -- compliance ------------------------------------------------------------------------------------------
def sweep_compliance(session: Session, now: datetime, settings: Settings) -> int:
    """From COMPLIANCE_REMIND_DAY, secretaries of branches missing this month's meetings (and, in a
    quarter's last month, this quarter's) are reminded once; branches without any activity for
    INACTIVE_DAYS are flagged once a month to their committee's admins."""
    try:
        from bot.services.meetings import compliance
    except ImportError:  # the meetings work provides it; until then there is nothing to compare with
        log.warning("bot.services.compliance missing: compliance sweep skipped")
        return 0
    today = _today(now, settings)
    month = f"{today:%Y-%m}"
    reports = compliance.all_compliance(session, now, settings)
    if not reports:
        return 0
    branch_ids = [r.branch_id for r in reports]
    secretaries: dict[int, list[int]] = defaultdict(list)
    for member_id, scope_id in session.execute(
        select(RoleGrant.member_id, RoleGrant.scope_id).join(Member, Member.id == RoleGrant.member_id)
        .where(RoleGrant.role == "secretary", RoleGrant.scope_type == "branch", RoleGrant.scope_id.in_(branch_ids),
               Member.active.is_(True))
    ):
        secretaries[scope_id].append(member_id)
    admins = _admins_by_committee(session, {r.committee_id for r in reports})
    created = dict(session.execute(select(Branch.id, Branch.created_at)
                                   .where(Branch.id.in_(branch_ids))).all())
    rows: list[dict[str, Any]] = []
    remind_due = daily_due(now, settings)
    quarter_end_month = today.month % 3 == 0
    for r in reports:
        if today.day >= int(settings["COMPLIANCE_REMIND_DAY"]):
            missing = []
            for item in r.items:
                if not item.missing or not _current(item, now, today):
                    continue
                span = _span_days(item)
                if span <= 31 or (span <= 92 and quarter_end_month):
                    missing.append((span, M.MEETING_TYPE_NAMES.get(item.meeting_type, item.meeting_type),
                                    _last_day(item, settings)))
            if missing:
                period = M.PERIOD_NAMES["quarter" if any(s > 31 for s, _, _ in missing) else "month"]
                names = "、".join(name for _, name, _ in missing)
                deadline = _fmt_day(max(end for _, _, end in missing))
                for sec in secretaries.get(r.branch_id, []):
                    rows.append(dict(kind="compliance_gap", recipient_id=sec, subject_type="branch",
                                     subject_id=r.branch_id, slot=month, due_at=remind_due,
                                     text=M.REMIND_COMPLIANCE.format(branch=r.branch_name, period=period,
                                                                     missing=names, deadline=deadline),
                                     payload={"fields": {"thing1": M.REMIND_COMPLIANCE_TITLE, "thing2": names}}))
        last = r.last_activity_at
        since = last or created.get(r.branch_id) or now
        days = (now - since).days
        if days >= int(settings["INACTIVE_DAYS"]):
            text = (M.FLAG_INACTIVE.format(branch=r.branch_name, days=days, last=_fmt_day(local(last, settings).date()))
                    if last else M.FLAG_INACTIVE_NEVER.format(branch=r.branch_name))
            for admin in admins.get(r.committee_id, []):
                rows.append(dict(kind="branch_inactive", recipient_id=admin, subject_type="branch",
                                 subject_id=r.branch_id, slot=month, due_at=remind_due, text=text,
                                 payload={"fields": {"thing1": M.FLAG_INACTIVE_TITLE, "thing2": r.branch_name}}))
    return enqueue_many(session, rows)


def _current(item: Any, now: datetime, today: date) -> bool:
    """Is `now` inside the item's period? (period_end is exclusive; datetimes or dates.)"""
    start, end = item.period_start, item.period_end
    if isinstance(start, datetime):
        return bool(start <= now < end)
    return bool(start <= today <= end)


def _span_days(item: Any) -> int:
    return int((item.period_end - item.period_start).days)


def _last_day(item: Any, settings: Settings) -> date:
    end = item.period_end
    if isinstance(end, datetime):
        return local(end - timedelta(seconds=1), settings).date()
    return end  # type: ignore[no-any-return]


def _admins_by_committee(session: Session, committee_ids: Iterable[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    ids = list(committee_ids)
    if not ids:
        return out
    for member_id, scope_id in session.execute(
        select(RoleGrant.member_id, RoleGrant.scope_id).join(Member, Member.id == RoleGrant.member_id)
        .where(RoleGrant.role == "admin", RoleGrant.scope_type == "committee", RoleGrant.scope_id.in_(ids),
               Member.active.is_(True))
    ):
        out[scope_id].append(member_id)
    return out


# -- 述职 ----------------------------------------------------------------------------------------------
REVIEW_STEPS = (7, 1)


def sweep_review(session: Session, now: datetime, settings: Settings) -> int:
    """7 and 1 days before an open round's deadline, secretaries who have not submitted are reminded."""
    today = _today(now, settings)
    rounds = session.execute(
        select(ReviewRound.id, ReviewRound.committee_id, ReviewRound.title, ReviewRound.deadline)
        .where(ReviewRound.status == "open", ReviewRound.deadline > now,
               ReviewRound.deadline <= now + timedelta(days=max(REVIEW_STEPS) + 1))
    ).all()
    rows = []
    due = daily_due(now, settings)
    for rid, committee_id, title, deadline in rounds:
        days_left = (local(deadline, settings).date() - today).days
        step = _days_slot(days_left, REVIEW_STEPS)
        if step is None:
            continue
        slot = f"d{step}"
        q = (
            select(Branch.id, Branch.name, RoleGrant.member_id)
            .join(RoleGrant, _role_holders("secretary", "branch", Branch.id))
            .where(Branch.committee_id.in_(_subtree(session, committee_id)),
                   ~exists().where(ReviewSubmission.round_id == rid, ReviewSubmission.branch_id == Branch.id,
                                   ReviewSubmission.submitted_at.is_not(None)),
                   _not_written("review_due", "review_round", rid, slot, RoleGrant.member_id))
        )
        for bid, bname, sec in session.execute(q):
            rows.append(dict(kind="review_due", recipient_id=sec, subject_type="review_round", subject_id=rid,
                             slot=slot, due_at=due,
                             text=M.REMIND_REVIEW.format(title=title, deadline=_fmt_when(deadline, settings),
                                                         days=max(days_left, 0), branch=bname),
                             payload={"fields": {"thing1": M.REMIND_REVIEW_TITLE,
                                                 "time2": _fmt_when(deadline, settings), "thing3": title},
                                      "branch_id": bid}))
    return enqueue_many(session, rows)


# -- rectification -------------------------------------------------------------------------------------
RECTIFICATION_STEPS = (7, 1)
OVERDUE_LOOKBACK_DAYS = 3  # after an outage, overdue items this recent are still flagged; older ones not


def sweep_rectification(session: Session, now: datetime, settings: Settings) -> int:
    """7 and 1 days before the deadline to the owner; the day after, overdue, to the owner and the
    committee's admins."""
    today = _today(now, settings)
    due = daily_due(now, settings)
    rows: list[dict[str, Any]] = []
    item = RectificationItem
    for step, first, last in _step_ranges(RECTIFICATION_STEPS):
        slot = f"d{step}"
        soon = session.execute(
            select(item.id, item.problem, item.deadline, item.owner_id)
            .where(item.deadline >= today + timedelta(days=first), item.deadline <= today + timedelta(days=last),
                   item.status.in_(OPEN_FOR_OWNER), item.owner_id.is_not(None),
                   _not_written("rectification_due", "rectification", item.id, slot, item.owner_id))
        ).all()
        for iid, problem, deadline, owner in soon:
            days_left = (deadline - today).days
            rows.append(dict(kind="rectification_due", recipient_id=owner, subject_type="rectification",
                             subject_id=iid, slot=slot, due_at=due,
                             text=M.REMIND_RECTIFICATION.format(problem=_short(problem), deadline=_fmt_day(deadline),
                                                                days=days_left),
                             payload={"fields": {"thing1": M.REMIND_RECTIFICATION_TITLE, "thing2": problem,
                                                 "time3": _fmt_day(deadline)}}))
    overdue = session.execute(
        select(item.id, item.problem, item.deadline, item.owner_id, item.committee_id, Member.name)
        .outerjoin(Member, Member.id == item.owner_id)
        .where(item.deadline < today, item.deadline >= today - timedelta(days=OVERDUE_LOOKBACK_DAYS),
               item.status != "closed",
               ~exists().where(Notification.subject_type == "rectification", Notification.subject_id == item.id,
                               Notification.slot == "overdue", Notification.kind == "rectification_overdue"))
    ).all()
    admins = _admins_by_committee(session, {row[4] for row in overdue})
    for iid, problem, deadline, owner_id, committee_id, owner_name in overdue:
        text = M.FLAG_RECTIFICATION_OVERDUE.format(problem=_short(problem), owner=owner_name or "未指定",
                                                   deadline=_fmt_day(deadline))
        recipients = ([owner_id] if owner_id else []) + [a for a in admins.get(committee_id, []) if a != owner_id]
        for rid in recipients:
            rows.append(dict(kind="rectification_overdue", recipient_id=rid, subject_type="rectification",
                             subject_id=iid, slot="overdue", due_at=due, text=text,
                             payload={"fields": {"thing1": M.FLAG_RECTIFICATION_OVERDUE_TITLE, "thing2": problem,
                                                 "time3": _fmt_day(deadline)}}))
    return enqueue_many(session, rows)


def _short(text: str, limit: int = 30) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# -- 年检 ----------------------------------------------------------------------------------------------
INSPECTION_STEPS = (30, 7, 1)


def open_inspection_year(session: Session, year: int, settings: Settings) -> int:
    """Make sure every organization has its 年检 row for `year` (filed in year + 1), with the
    deadlines of its registrar (INSPECTION_DEADLINES, "default" for the rest). Set-based."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    table: dict[str, dict[str, str]] = dict(settings["INSPECTION_DEADLINES"])
    named = [k for k in table if k != "default"]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    written = 0
    for registrar, pair in table.items():
        sup_m, sup_d = (int(x) for x in pair["supervisor"].split("-"))
        reg_m, reg_d = (int(x) for x in pair["registrar"].split("-"))
        which = SocialOrg.registrar == registrar if registrar != "default" else SocialOrg.registrar.not_in(named)
        src = select(SocialOrg.id, literal(year), literal(date(year + 1, sup_m, sup_d)),
                     literal(date(year + 1, reg_m, reg_d)), literal(datetime.now(UTC).replace(tzinfo=None))).where(
            which, ~exists().where(AnnualInspection.organization_id == SocialOrg.id, AnnualInspection.year == year))
        stmt = insert(AnnualInspection).from_select(
            ["organization_id", "year", "supervisor_deadline", "registrar_deadline", "created_at"], src
        ).on_conflict_do_nothing(index_elements=["organization_id", "year"])
        written += int(getattr(session.execute(stmt), "rowcount", 0) or 0)
    return written


def sweep_inspection(session: Session, now: datetime, settings: Settings) -> int:
    """30, 7 and 1 days before each 年检 deadline not yet filed, to the organization's branch
    secretary or its liaison."""
    today = _today(now, settings)
    open_inspection_year(session, today.year - 1, settings)
    due = daily_due(now, settings)
    rows: list[dict[str, Any]] = []
    horizon = today + timedelta(days=max(INSPECTION_STEPS))
    ai = AnnualInspection
    for which, deadline_col, filed_col in (("supervisor", ai.supervisor_deadline, ai.supervisor_filed_on),
                                           ("registrar", ai.registrar_deadline, ai.registrar_filed_on)):
        found = session.execute(
            select(ai.id, ai.year, deadline_col, SocialOrg.id, SocialOrg.name, SocialOrg.branch_id)
            .join(SocialOrg, SocialOrg.id == ai.organization_id)
            .where(deadline_col >= today, deadline_col <= horizon, filed_col.is_(None),
                   or_(*(and_(deadline_col >= today + timedelta(days=first),
                              deadline_col <= today + timedelta(days=last),
                              ~exists().where(Notification.subject_type == "inspection",
                                              Notification.subject_id == ai.id,
                                              Notification.slot == f"{which}:d{step}"))
                         for step, first, last in _step_ranges(INSPECTION_STEPS))))
        ).all()
        if not found:
            continue
        org_ids = [f[3] for f in found]
        branch_ids = [f[5] for f in found if f[5] is not None]
        by_branch: dict[int, list[int]] = defaultdict(list)
        by_org: dict[int, list[int]] = defaultdict(list)
        for member_id, _role, scope_type, scope_id in session.execute(
            select(RoleGrant.member_id, RoleGrant.role, RoleGrant.scope_type, RoleGrant.scope_id)
            .where(or_(and_(RoleGrant.role == "secretary", RoleGrant.scope_type == "branch",
                            RoleGrant.scope_id.in_(branch_ids)),
                       and_(RoleGrant.role == "liaison", RoleGrant.scope_type == "organization",
                            RoleGrant.scope_id.in_(org_ids))))
        ):
            (by_branch if scope_type == "branch" else by_org)[scope_id].append(member_id)
        for aid, year, deadline, org_id, org_name, branch_id in found:
            days_left = (deadline - today).days
            step = _days_slot(days_left, INSPECTION_STEPS)
            if step is None:
                continue
            recipients = set(by_org.get(org_id, [])) | set(by_branch.get(branch_id, []) if branch_id else [])
            for rid in sorted(recipients):
                rows.append(dict(
                    kind="inspection_due", recipient_id=rid, subject_type="inspection", subject_id=aid,
                    slot=f"{which}:d{step}", due_at=due,
                    text=M.REMIND_INSPECTION.format(org=org_name, year=year, deadline=_fmt_day(deadline),
                                                    where=M.INSPECTION_WHERE[which], days=days_left),
                    payload={"fields": {"thing1": M.REMIND_INSPECTION_TITLE, "thing2": org_name,
                                        "time3": _fmt_day(deadline)}}))
    return enqueue_many(session, rows)


# -- volunteer records ---------------------------------------------------------------------------------
def sweep_volunteer(session: Session, now: datetime, settings: Settings) -> int:
    """Once a day, each leader with records waiting for confirmation is told how many."""
    today = _today(now, settings)
    slot = today.isoformat()
    q = (
        select(VolunteerRecord.leader_id, func.count(VolunteerRecord.id))
        .where(VolunteerRecord.status == "pending", VolunteerRecord.leader_id.is_not(None),
               _not_written("volunteer_pending", "member", VolunteerRecord.leader_id, slot, VolunteerRecord.leader_id))
        .group_by(VolunteerRecord.leader_id)
    )
    due = daily_due(now, settings)
    rows = [dict(kind="volunteer_pending", recipient_id=leader, subject_type="member", subject_id=leader, slot=slot,
                 due_at=due, text=M.REMIND_VOLUNTEER.format(count=count),
                 payload={"fields": {"thing1": M.REMIND_VOLUNTEER_TITLE, "thing2": f"{count}条"}})
            for leader, count in session.execute(q)]
    return enqueue_many(session, rows)


# -- the weekly digest ---------------------------------------------------------------------------------
def sweep_digest(session: Session, now: datetime, settings: Settings) -> int:
    """From DIGEST_TIME (Monday 08:30) each committee admin gets this week's short summary, once."""
    day_name, _, at = str(settings["DIGEST_TIME"]).partition(" ")
    weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(day_name)
    today = _today(now, settings)
    start_day = today - timedelta(days=(today.weekday() - weekday) % 7)
    if now < at_local(start_day, parse_hhmm(at), settings):
        return 0
    iso = start_day.isocalendar()
    slot = f"{iso.year}-W{iso.week:02d}"
    admins = session.execute(
        select(RoleGrant.member_id, RoleGrant.scope_id, Committee.name)
        .join(Committee, Committee.id == RoleGrant.scope_id)
        .join(Member, Member.id == RoleGrant.member_id)
        .where(RoleGrant.role == "admin", RoleGrant.scope_type == "committee", Member.active.is_(True),
               _not_written("digest", "committee", RoleGrant.scope_id, slot, RoleGrant.member_id))
    ).all()
    rows = []
    for admin_id, committee_id, committee_name in admins:
        figures = digest_figures(session, committee_id, now, settings)
        rows.append(dict(kind="digest", recipient_id=admin_id, subject_type="committee", subject_id=committee_id,
                         slot=slot, due_at=next_allowed(now, settings),
                         text=M.DIGEST.format(committee=committee_name, week=slot, **figures),
                         payload={"fields": {"thing1": M.DIGEST_TITLE, "thing2": committee_name},
                                  "figures": figures}))
    return enqueue_many(session, rows)


def digest_figures(session: Session, committee_id: int, now: datetime, settings: Settings) -> dict[str, int]:
    """The week's figures for a committee's subtree (also what a later digest page shows)."""
    ids = _subtree(session, committee_id)
    week_ago = now - timedelta(days=7)
    met = session.execute(
        select(func.count(Meeting.id), func.count(func.distinct(Meeting.branch_id)))
        .join(Branch, Branch.id == Meeting.branch_id)
        .where(Branch.committee_id.in_(ids), Meeting.status == "scheduled",
               Meeting.starts_at >= week_ago, Meeting.starts_at < now)
    ).one()
    today = _today(now, settings)
    open_items, overdue = session.execute(
        select(func.count(RectificationItem.id),
               func.count(RectificationItem.id).filter(RectificationItem.deadline < today))
        .where(RectificationItem.committee_id.in_(ids), RectificationItem.status != "closed")
    ).one()
    undeliverable = session.scalar(
        select(func.count(Notification.id))
        .join(Member, Member.id == Notification.recipient_id)
        .join(Branch, Branch.id == Member.branch_id)
        .where(Notification.status.in_(("undeliverable", "redirected", "failed")),
               Notification.due_at >= week_ago, Notification.due_at < now, Branch.committee_id.in_(ids))
    ) or 0
    gaps = inactive = 0
    try:
        from bot.services.meetings import compliance

        for r in compliance.subtree_compliance(session, committee_id, now, settings):
            if any(i.missing and _current(i, now, today) and _span_days(i) <= 31 for i in r.items):
                gaps += 1
            if r.last_activity_at is None or (now - r.last_activity_at).days >= int(settings["INACTIVE_DAYS"]):
                inactive += 1
    except ImportError:
        pass
    return {"meetings": int(met[0] or 0), "branches_met": int(met[1] or 0), "gaps": gaps, "inactive": inactive,
            "open_items": int(open_items or 0), "overdue": int(overdue or 0), "undeliverable": int(undeliverable)}


ALL_SWEEPS: dict[str, Sweep] = {
    "meetings": sweep_meetings,
    "leave": sweep_leave,
    "compliance": sweep_compliance,
    "review": sweep_review,
    "rectification": sweep_rectification,
    "inspection": sweep_inspection,
    "volunteer": sweep_volunteer,
    "digest": sweep_digest,
}
