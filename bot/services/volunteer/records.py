"""志愿服务 records: a member logs (待确认), withdraws while pending; the team's leader or the branch's
secretary confirms (公示 follows) or returns it with a reason; during 公示 anyone of the branch objects, which
sends it back to its confirmer. Each state change is one conditional UPDATE; the member is told at once
through the outbox, the confirmer of an objection likewise.

Logging is race-safe: the member's row is locked first (SELECT … FOR UPDATE on PostgreSQL; on SQLite the
first write takes the one writer lock), so the 24-hour sum of the day and the duplicate check see every
record committed before; the partial unique index uq_volunteer_record_live has the last word on duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.infra.db import added
from bot.infra.text import in_id_range
from bot.models import Branch, Member, RoleGrant, VolunteerActivity, VolunteerRecord, VolunteerTeam, VolunteerTeamLeader
from bot.models.volunteer import LIVE_STATUSES
from bot.services import authz
from bot.services.authz import Action
from bot.services.errors import Conflict, Invalid, NotFound, PermissionDenied
from bot.services.notify.outbox import enqueue
from bot.services.org.structure import branch_ids_under
from bot.services.volunteer.publicity import public_until
from bot.services.volunteer.totals import is_final

DAY_HOURS = Decimal(24)
CENT = Decimal("0.01")
CONTENT_MAX = 100
REASON_MAX = 200
RECENT = 5  # records shown by 我的志愿


@dataclass(frozen=True)
class RecordInfo:
    """A record as channels word it. `state`: pending | publicizing | final | returned | withdrawn."""

    id: int
    member_id: int
    member_name: str
    served_on: date
    content: str
    place: str
    organizer: str
    hours: Decimal
    status: str
    state: str
    public_until: date | None
    activity_id: int | None
    team_name: str
    confirmer_name: str
    asked_name: str  # who is asked to confirm (leader_id): the team leader or the secretary
    confirmed_on: date | None
    return_reason: str
    objection: str


def _state(record: VolunteerRecord, day: date) -> str:
    if record.status == "confirmed":
        return "final" if is_final(record, day) else "publicizing"
    return record.status


def describe(session: Session, record: VolunteerRecord, now: datetime, settings: Settings) -> RecordInfo:
    member = session.get(Member, record.member_id)
    team = session.get(VolunteerTeam, record.team_id) if record.team_id else None
    confirmer = session.get(Member, record.confirmed_by_id) if record.confirmed_by_id else None
    asked = session.get(Member, record.leader_id) if record.leader_id else None
    return RecordInfo(
        id=record.id, member_id=record.member_id, member_name=member.name if member else "",
        served_on=record.served_on, content=record.content, place=record.place or "",
        organizer=record.organizer or "", hours=Decimal(record.hours).quantize(CENT), status=record.status,
        state=_state(record, today(now, settings)), public_until=record.public_until,
        activity_id=record.activity_id, team_name=team.name if team else "",
        confirmer_name=confirmer.name if confirmer else "", asked_name=asked.name if asked else "",
        confirmed_on=today(record.confirmed_at, settings) if record.confirmed_at else None,
        return_reason=record.return_reason or "", objection=record.objection or "")


def _member(actor: Member | None) -> Member:
    if actor is None:
        raise PermissionDenied("volunteer_unbound")
    if actor.branch_id is None:
        raise PermissionDenied("volunteer_no_branch")
    return actor


def normalize_hours(hours: Decimal | int | float | str) -> Decimal:
    """Hours as stored (two decimals); refuses what is not a positive number."""
    try:
        value = Decimal(str(hours))
    except (InvalidOperation, ValueError):
        raise Invalid("volunteer_hours_unreadable") from None
    if not value.is_finite():
        raise Invalid("volunteer_hours_unreadable")
    if value > DAY_HOURS:  # before rounding: 24.001 is over a day
        raise Invalid("volunteer_hours_too_many", hours=value)
    value = value.quantize(CENT, rounding=ROUND_HALF_UP) if abs(value) < 10**6 else value
    if value <= 0:
        raise Invalid("volunteer_hours_not_positive")
    return value


def check_day(served_on: date, now: datetime, settings: Settings) -> None:
    """A service day may be neither ahead nor further back than VOLUNTEER_MAX_AGE_DAYS."""
    day = today(now, settings)
    if served_on > day:
        raise Invalid("volunteer_future", day=served_on)
    max_age = int(settings["VOLUNTEER_MAX_AGE_DAYS"])
    if served_on < day - timedelta(days=max_age):
        raise Invalid("volunteer_too_old", day=served_on, days=max_age)


def _lock_member(session: Session, member_id: int) -> None:
    """Serialize one member's logging: PostgreSQL locks the row; SQLite's first write takes the writer lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Member.id).where(Member.id == member_id).with_for_update())
    else:
        session.execute(update(Member).where(Member.id == member_id).values(id=Member.id)
                        .execution_options(synchronize_session=False))


def _secretaries(session: Session, branch_id: int) -> list[int]:
    """The secretaries of a branch and of the organizations above it, nearest first."""
    out: list[int] = []
    for bid in authz.branch_chain(session, branch_id):
        out += [m for m in session.scalars(select(RoleGrant.member_id).where(
            RoleGrant.role == "secretary", RoleGrant.scope_type == "branch", RoleGrant.scope_id == bid)
            .order_by(RoleGrant.member_id)) if m not in out]
    return out


def team_leaders(session: Session, team_id: int) -> list[int]:
    return list(session.scalars(select(VolunteerTeamLeader.member_id)
                                .where(VolunteerTeamLeader.team_id == team_id).order_by(VolunteerTeamLeader.id)))


def _confirmer_for(session: Session, member_id: int, branch_id: int, team_id: int | None) -> int | None:
    """Who is asked to confirm (and reminded): the team's first leader, else the branch's secretary; never
    the member themselves."""
    candidates = (team_leaders(session, team_id) if team_id else []) + _secretaries(session, branch_id)
    return next((c for c in candidates if c != member_id), None)


def activity_for(session: Session, *, actor: Member | None, activity_id: int) -> VolunteerActivity:
    """An activity the member may log against (of their branch or above); NotFound otherwise."""
    member = _member(actor)
    assert member.branch_id is not None
    activity = session.get(VolunteerActivity, activity_id) if in_id_range(activity_id) else None
    if activity is None or activity.branch_id not in authz.branch_chain(session, member.branch_id):
        raise NotFound("volunteer_activity_not_found", id=activity_id)
    return activity


def log_record(session: Session, *, actor: Member | None, hours: Decimal, served_on: date | None, content: str,
               now: datetime, settings: Settings, place: str = "", activity_id: int | None = None) -> RecordInfo:
    """A member logs their own service (待确认): checked for the day (not ahead, not too old), the hours
    (positive; with the day's live records at most 24) and duplicates; the confirmer is named."""
    member = _member(actor)
    assert member.branch_id is not None
    value = normalize_hours(hours)
    team_id: int | None = None
    branch = session.get(Branch, member.branch_id)
    organizer = branch.name if branch else ""
    if activity_id is not None:
        activity = activity_for(session, actor=member, activity_id=activity_id)
        served_on, content, place, team_id = activity.held_on, activity.title, activity.place, activity.team_id
        team = session.get(VolunteerTeam, team_id) if team_id else None
        if team is not None:
            organizer = team.name
    content = " ".join((content or "").split())[:CONTENT_MAX]
    if not content:
        raise Invalid("volunteer_content_missing")
    if served_on is None:
        served_on = today(now, settings)
    check_day(served_on, now, settings)
    _lock_member(session, member.id)
    live = list(session.scalars(select(VolunteerRecord).where(
        VolunteerRecord.member_id == member.id, VolunteerRecord.served_on == served_on,
        VolunteerRecord.status.in_(LIVE_STATUSES))))
    same = next((r for r in live if r.content == content), None)
    if same is not None:
        raise Conflict("volunteer_duplicate", id=same.id, day=served_on, content=content)
    logged = sum((Decimal(r.hours) for r in live), Decimal(0)).quantize(CENT)
    if logged + value > DAY_HOURS:
        raise Invalid("volunteer_day_over", day=served_on, logged=logged, hours=value)
    record = VolunteerRecord(
        member_id=member.id, branch_id=member.branch_id, activity_id=activity_id, team_id=team_id,
        served_on=served_on, content=content, place=(place or "")[:200], organizer=organizer[:200], hours=value,
        leader_id=_confirmer_for(session, member.id, member.branch_id, team_id), status="pending",
        created_at=now, updated_at=now)
    if not added(session, record):  # the unique index: a duplicate committed meanwhile
        raise Conflict("volunteer_duplicate", id=0, day=served_on, content=content)
    return describe(session, record, now, settings)


def get_record(session: Session, record_id: int) -> VolunteerRecord:
    record = session.get(VolunteerRecord, record_id) if in_id_range(record_id) else None
    if record is None:
        raise NotFound("volunteer_not_found", id=record_id)
    return record


def _changed(session: Session, record: VolunteerRecord, from_status: str, **values: object) -> bool:
    """One conditional UPDATE from `from_status`; True if this call made the change."""
    result = session.execute(
        update(VolunteerRecord).where(VolunteerRecord.id == record.id, VolunteerRecord.status == from_status)
        .values(**values).execution_options(synchronize_session=False))
    session.refresh(record)
    return int(getattr(result, "rowcount", 0) or 0) == 1


def withdraw(session: Session, *, actor: Member | None, record_id: int, now: datetime,
             settings: Settings) -> RecordInfo:
    """撤销志愿: the member's own record, while pending."""
    member = _member(actor)
    record = get_record(session, record_id)
    if record.member_id != member.id:
        raise PermissionDenied("volunteer_not_own", id=record_id)
    if record.status != "pending" or not _changed(session, record, "pending", status="withdrawn", updated_at=now):
        raise Conflict("volunteer_not_pending", id=record_id, state=_state(record, today(now, settings)))
    return describe(session, record, now, settings)


def leads_team(session: Session, actor: Member, team_id: int | None) -> bool:
    if team_id is None:
        return False
    return session.scalar(select(VolunteerTeamLeader.id).where(
        VolunteerTeamLeader.team_id == team_id, VolunteerTeamLeader.member_id == actor.id)) is not None


def _require_confirmer(session: Session, actor: Member | None, record: VolunteerRecord) -> Member:
    """The leader of the record's team or the secretary of its branch; never on one's own record."""
    if actor is None:
        raise PermissionDenied("volunteer_unbound")
    if record.member_id == actor.id:
        raise Invalid("volunteer_confirm_own", id=record.id)
    branch = session.get(Branch, record.branch_id) if record.branch_id else None
    if leads_team(session, actor, record.team_id):
        return actor
    if branch is not None and authz.can(session, actor, Action.CONFIRM_VOLUNTEER, branch):
        return actor
    if record.branch_id is not None and actor.branch_id != record.branch_id:
        raise PermissionDenied("volunteer_other_branch", id=record.id)
    raise PermissionDenied("volunteer_not_confirmer", id=record.id)


def _tell_member(session: Session, record: VolunteerRecord, kind: str, now: datetime, slot: str,
                 **params: object) -> None:
    enqueue(session, kind=kind, recipient_id=record.member_id, due_at=now, now=now,
            params={"record_id": record.id, "content": record.content, "served_on": record.served_on.isoformat(),
                    "hours": str(Decimal(record.hours).quantize(CENT)), **params},
            subject_type="volunteer_record", subject_id=record.id, slot=slot)


def _confirm_one(session: Session, actor: Member, record: VolunteerRecord, now: datetime,
                 settings: Settings) -> bool:
    day = today(now, settings)
    until = public_until(day, settings)
    done = _changed(session, record, "pending", status="confirmed", confirmed_by_id=actor.id, confirmed_at=now,
                    public_until=until, updated_at=now)
    if done:
        _tell_member(session, record, "volunteer_confirmed", now, f"confirmed:{now.isoformat()}",
                     public_until=until.isoformat())
    return done


def confirm(session: Session, *, actor: Member | None, record_id: int, now: datetime,
            settings: Settings) -> RecordInfo:
    """确认志愿: pending → confirmed, in 公示 through public_until; the member is told."""
    record = get_record(session, record_id)
    confirmer = _require_confirmer(session, actor, record)
    if record.status != "pending" or not _confirm_one(session, confirmer, record, now, settings):
        raise Conflict("volunteer_not_pending", id=record_id, state=_state(record, today(now, settings)))
    return describe(session, record, now, settings)


def confirmable(session: Session, actor: Member | None, now: datetime, settings: Settings,
                limit: int = 200) -> list[VolunteerRecord]:
    """Pending records `actor` may confirm: their teams' and their branches' (as secretary), not their own."""
    if actor is None:
        return []
    teams = list(session.scalars(select(VolunteerTeamLeader.team_id).where(VolunteerTeamLeader.member_id == actor.id)))
    branches = [int(g.scope_id) for g in authz.grants(session, actor)
                if g.role == "secretary" and g.scope_type == "branch" and g.scope_id is not None]
    scope_branches: list[int] = []
    for bid in branches:
        scope_branches += branch_ids_under(session, bid)
    if not teams and not scope_branches:
        return []
    cond = VolunteerRecord.team_id.in_(teams) | VolunteerRecord.branch_id.in_(scope_branches)
    return list(session.scalars(select(VolunteerRecord).where(
        VolunteerRecord.status == "pending", VolunteerRecord.member_id != actor.id, cond)
        .order_by(VolunteerRecord.id).limit(limit)))


def pending_for(session: Session, *, actor: Member | None, now: datetime, settings: Settings) -> list[RecordInfo]:
    return [describe(session, r, now, settings) for r in confirmable(session, actor, now, settings)]


def confirm_all(session: Session, *, actor: Member | None, now: datetime, settings: Settings) -> list[RecordInfo]:
    """确认全部: every pending record the sender may confirm (the ones another confirmer took meanwhile are
    left out). Empty: nothing to confirm."""
    done: list[RecordInfo] = []
    for record in confirmable(session, actor, now, settings):
        assert actor is not None
        if _confirm_one(session, actor, record, now, settings):
            done.append(describe(session, record, now, settings))
    return done


def return_record(session: Session, *, actor: Member | None, record_id: int, reason: str, now: datetime,
                  settings: Settings) -> RecordInfo:
    """退回志愿: pending → returned with a reason; the member is told (they may log it again, corrected)."""
    reason = " ".join((reason or "").split())[:REASON_MAX]
    record = get_record(session, record_id)
    confirmer = _require_confirmer(session, actor, record)
    if not reason:
        raise Invalid("volunteer_reason_missing", action="return", id=record_id)
    if record.status != "pending" or not _changed(session, record, "pending", status="returned",
                                                  return_reason=reason, confirmed_by_id=confirmer.id,
                                                  updated_at=now):
        raise Conflict("volunteer_not_pending", id=record_id, state=_state(record, today(now, settings)))
    _tell_member(session, record, "volunteer_returned", now, "returned", reason=reason, by=confirmer.name)
    return describe(session, record, now, settings)


def object_to(session: Session, *, actor: Member | None, record_id: int, reason: str, now: datetime,
              settings: Settings) -> RecordInfo:
    """异议: anyone of the record's branch, during its 公示: back to pending with the objection, for the one
    who confirmed it (told at once, reminded daily)."""
    member = _member(actor)
    record = get_record(session, record_id)
    branch = session.get(Branch, record.branch_id) if record.branch_id else None
    if member.branch_id != record.branch_id and not (
            branch is not None and authz.can(session, member, Action.CONFIRM_VOLUNTEER, branch)):
        raise PermissionDenied("volunteer_other_branch", id=record_id)
    reason = " ".join((reason or "").split())[:REASON_MAX]
    if not reason:
        raise Invalid("volunteer_reason_missing", action="objection", id=record_id)
    day = today(now, settings)
    if _state(record, day) != "publicizing":
        raise Conflict("volunteer_not_publicizing", id=record_id, state=_state(record, day))
    confirmer_id = record.confirmed_by_id
    result = session.execute(
        update(VolunteerRecord).where(VolunteerRecord.id == record.id, VolunteerRecord.status == "confirmed",
                                      VolunteerRecord.public_until >= day)
        .values(status="pending", objection=reason, objected_by_id=member.id, leader_id=confirmer_id,
                confirmed_by_id=None, confirmed_at=None, public_until=None, updated_at=now)
        .execution_options(synchronize_session=False))
    session.refresh(record)
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        raise Conflict("volunteer_not_publicizing", id=record_id, state=_state(record, day))
    owner = session.get(Member, record.member_id)
    if confirmer_id is not None:
        enqueue(session, kind="volunteer_objected", recipient_id=confirmer_id, due_at=now, now=now,
                params={"record_id": record.id, "name": owner.name if owner else "", "content": record.content,
                        "served_on": record.served_on.isoformat(), "reason": reason},
                subject_type="volunteer_record", subject_id=record.id, slot=f"objected:{now.isoformat()}")
    return describe(session, record, now, settings)


@dataclass(frozen=True)
class MyVolunteer:
    """我的志愿: this year's and all-time hours (final, and in 公示 or pending apart), the last records."""

    year: int
    year_final: Decimal
    year_open: Decimal  # pending or in 公示 this year
    total_final: Decimal
    total_open: Decimal
    volunteer_no: str
    recent: list[RecordInfo]
    teams_led: list[str] = field(default_factory=list)  # the 服务队 the member leads (they confirm for them)
    to_confirm: int = 0  # pending records of others waiting for this member's confirmation


def my_volunteer(session: Session, *, actor: Member | None, now: datetime, settings: Settings) -> MyVolunteer:
    if actor is None:
        raise PermissionDenied("volunteer_unbound")
    day = today(now, settings)
    records = list(session.scalars(select(VolunteerRecord).where(
        VolunteerRecord.member_id == actor.id).order_by(VolunteerRecord.served_on.desc(), VolunteerRecord.id.desc())))
    year = day.year
    zero = Decimal("0.00")

    def total(which: list[VolunteerRecord]) -> Decimal:
        return sum((Decimal(r.hours) for r in which), zero).quantize(CENT)

    final = [r for r in records if is_final(r, day)]
    open_ = [r for r in records if r.status in LIVE_STATUSES and not is_final(r, day)]
    return MyVolunteer(
        year=year, year_final=total([r for r in final if r.served_on.year == year]),
        year_open=total([r for r in open_ if r.served_on.year == year]), total_final=total(final),
        total_open=total(open_), volunteer_no=actor.volunteer_no or "",
        recent=[describe(session, r, now, settings) for r in records[:RECENT]],
        teams_led=list(session.scalars(select(VolunteerTeam.name)
                                       .join(VolunteerTeamLeader, VolunteerTeamLeader.team_id == VolunteerTeam.id)
                                       .where(VolunteerTeamLeader.member_id == actor.id).order_by(VolunteerTeam.id))),
        to_confirm=len(confirmable(session, actor, now, settings)))

