"""年检: recording what an organization filed and the result, and reading its status and the committee's rates.

The status is read from the row's facts, never stored (`derive_status`):
- a result recorded (合格 / 基本合格 / 不合格) is the status;
- else filed to the registrar (登记管理机关): 已提交登记机关;
- else, once the registrar's deadline has passed: 未参检 (whatever the supervising unit received: an
  organization takes part in 年检 by filing with its registrar);
- else filed to the supervising unit (业务主管单位): 已提交主管单位; else 未提交.
The committee's figures (DOMAIN.md: 参检率 = filed / required, 合格率 = passed / filed):
- required: every organization of the committee and the committees below it (a row or not: an organization
  whose row the season has not opened yet reads 未提交 with its registrar's deadlines);
- filed: filed to the registrar (a result implies it); passed: the result 合格 only (基本合格 is not passed);
- overdue: a deadline passed with that step not filed (the supervising unit's step counts as done once the
  registrar has the report);
- rates are fractions rounded to 4 places, None when the denominator is 0.
换届: an organization whose board term ends within BOARD_TERM_WARN_DAYS, or has ended, is flagged.
A 基本合格 or 不合格 result becomes ONE ledger item (source 年检, source_id the AnnualInspection id): the result
is written with a conditional UPDATE (only when it changes), and the item is added only if none exists for the
row, after that UPDATE has locked the row, so concurrent recorders add one item."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.infra.text import in_id_range
from bot.models import AnnualInspection, Committee, Member, Notification, RectificationItem, RoleGrant, SocialOrg
from bot.models.inspection import INSPECTION_RESULTS
from bot.services import authz
from bot.services.authz import Action, Actor
from bot.services.errors import Invalid, NotFound, PermissionDenied
from bot.services.inspection import years
from bot.services.org.structure import branch_ids_under, committee_subtree
from bot.services.rectification import ledger

# Status keys, in the order of the flow (bot.texts.inspection words them).
NOT_FILED = "not_filed"  # 未提交
SUPERVISOR_FILED = "supervisor_filed"  # 已提交主管单位
REGISTRAR_FILED = "registrar_filed"  # 已提交登记机关
ABSENT = "absent"  # 未参检
STATUSES = (NOT_FILED, SUPERVISOR_FILED, REGISTRAR_FILED, "pass", "basic_pass", "fail", ABSENT)
POOR_RESULTS = ("basic_pass", "fail")
RESULT_KEYS = {label: key for key, label in INSPECTION_RESULTS.items()}
EARLIEST_YEAR = 2000
LATEST_YEAR = 9998  # a calendar's last year with a next one (9999, 10**20: refused, not a crash)
# The ledger row's 问题 and 问题类别 (stored data, like the models' labels).
LEDGER_PROBLEM = "{year}年度年检结论为{result}，须提交整改报告并整改"
LEDGER_CATEGORY = "年检"


@dataclass(frozen=True)
class InspectionState:
    """One organization's 年检 for a year, as read now."""

    organization_id: int
    name: str
    committee_id: int
    branch_id: int | None
    year: int
    inspection_id: int | None  # None: the row is not opened yet
    supervisor_deadline: date
    registrar_deadline: date
    supervisor_filed_on: date | None
    registrar_filed_on: date | None
    party_section_filed: bool
    result: str | None  # pass | basic_pass | fail
    result_on: date | None
    status: str  # one of STATUSES
    filed: bool  # filed to the registrar
    passed: bool  # 合格
    overdue: bool
    days_to_supervisor: int  # negative once passed
    days_to_registrar: int
    term_ends: date | None
    board_term_due: bool  # 换届: ends within BOARD_TERM_WARN_DAYS or has ended


@dataclass(frozen=True)
class CommitteeStatus:
    committee_id: int
    committee_name: str
    year: int
    required: int
    filed: int
    participation_rate: float | None  # filed / required
    passed: int
    pass_rate: float | None  # passed / filed
    overdue: int
    organizations: list[InspectionState]


@dataclass(frozen=True)
class Recorded:
    state: InspectionState
    opened: bool  # the row was opened by this call
    result_changed: bool
    ledger_item_id: int | None  # the 年检 ledger item of this row (new or earlier), if any
    ledger_item_created: bool
    ledger_deadline: date | None = None  # the new item's 整改时限


def derive_status(supervisor_filed_on: date | None, registrar_filed_on: date | None, result: str | None,
                  registrar_deadline: date, day: date) -> str:
    if result:
        return result
    if registrar_filed_on is not None:
        return REGISTRAR_FILED
    if day > registrar_deadline:
        return ABSENT
    if supervisor_filed_on is not None:
        return SUPERVISOR_FILED
    return NOT_FILED


def term_due(term_ends: date | None, day: date, settings: Settings) -> bool:
    return term_ends is not None and term_ends <= day + timedelta(days=int(settings["BOARD_TERM_WARN_DAYS"]))


def _state(org: SocialOrg, row: AnnualInspection | None, year: int, day: date, settings: Settings) -> InspectionState:
    if row is not None:
        sup_deadline, reg_deadline = row.supervisor_deadline, row.registrar_deadline
        sup_on, reg_on, party, result, result_on = (row.supervisor_filed_on, row.registrar_filed_on,
                                                    bool(row.party_section_filed), row.result, row.result_on)
    else:
        sup_deadline, reg_deadline = years.deadlines_for(org.registrar, year, settings)
        sup_on = reg_on = result_on = None
        party, result = False, None
    status = derive_status(sup_on, reg_on, result, reg_deadline, day)
    filed = reg_on is not None or result is not None
    overdue = (day > reg_deadline and not filed) or (day > sup_deadline and sup_on is None and not filed)
    return InspectionState(
        organization_id=org.id, name=org.name, committee_id=org.committee_id, branch_id=org.branch_id, year=year,
        inspection_id=row.id if row is not None else None, supervisor_deadline=sup_deadline,
        registrar_deadline=reg_deadline, supervisor_filed_on=sup_on, registrar_filed_on=reg_on,
        party_section_filed=party, result=result, result_on=result_on, status=status, filed=filed,
        passed=result == "pass", overdue=overdue, days_to_supervisor=(sup_deadline - day).days,
        days_to_registrar=(reg_deadline - day).days, term_ends=org.board_term_ends,
        board_term_due=term_due(org.board_term_ends, day, settings))


def _row(session: Session, org_id: int, year: int) -> AnnualInspection | None:
    return session.scalar(select(AnnualInspection).where(AnnualInspection.organization_id == org_id,
                                                         AnnualInspection.year == year)
                          .execution_options(populate_existing=True))


def check_year(year: int, now: datetime, settings: Settings) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR or not years.season_started(year, now, settings):
        raise Invalid("inspection_bad_year", year=year, latest=years.filing_year(now, settings))


def _org(session: Session, organization_id: int) -> SocialOrg:
    org = session.get(SocialOrg, organization_id) if in_id_range(organization_id) else None
    if org is None:
        raise NotFound("organization_not_found", id=organization_id)
    return org


def _result_key(result: str | None) -> str | None:
    if result is None:
        return None
    value = result.strip()
    if value in INSPECTION_RESULTS:
        return value
    if value in RESULT_KEYS:
        return RESULT_KEYS[value]
    raise Invalid("inspection_bad_result", result=value, known="、".join(INSPECTION_RESULTS.values()))


def owner_of(session: Session, org: SocialOrg) -> int | None:
    """Who answers for the organization's 年检 problems: its branch's secretary, else its liaison."""
    if org.branch_id is not None:
        found = session.scalar(select(RoleGrant.member_id).join(Member, Member.id == RoleGrant.member_id).where(
            RoleGrant.role == "secretary", RoleGrant.scope_type == "branch", RoleGrant.scope_id == org.branch_id,
            Member.active.is_(True)).order_by(RoleGrant.member_id).limit(1))
        if found is not None:
            return int(found)
    found = session.scalar(select(RoleGrant.member_id).join(Member, Member.id == RoleGrant.member_id).where(
        RoleGrant.role == "liaison", RoleGrant.scope_type == "organization", RoleGrant.scope_id == org.id,
        Member.active.is_(True)).order_by(RoleGrant.member_id).limit(1))
    return int(found) if found is not None else None


def _ledger_item_of(session: Session, inspection_id: int) -> int | None:
    found = session.scalar(select(RectificationItem.id).where(RectificationItem.source == "inspection",
                                                              RectificationItem.source_id == inspection_id)
                           .order_by(RectificationItem.id).limit(1))
    return int(found) if found is not None else None


def _drop_stale_reminders(session: Session, inspection_id: int, *, registrar: bool) -> None:
    """A filing recorded: the reminders of that step (all of them once the registrar has the report) still
    waiting in the outbox (written during quiet hours or a holiday, due later) are not sent."""
    which = Notification.slot.like("supervisor:%") if not registrar else Notification.slot != ""
    session.execute(delete(Notification).where(
        Notification.kind == "inspection_due", Notification.subject_type == "inspection",
        Notification.subject_id == inspection_id, Notification.status == "pending", which)
        .execution_options(synchronize_session=False))


def record(session: Session, *, actor: Actor | None, organization_id: int, year: int,
           filed_supervisor: date | None, filed_registrar: date | None, party_section_filed: bool | None,
           result: str | None, now: datetime, settings: Settings) -> Recorded:
    """Record what an organization filed for `year` and the result (合格 | 基本合格 | 不合格, or its key),
    opening its row if the scheduler has not yet. Only what is given changes. Refused: an unknown
    organization, a year whose season has not started, a filing day in the future or before the season
    (1 January of year + 1), a registrar filing before the supervising unit's, a result before the registrar
    has the report, an unknown result. A 基本合格 or 不合格 result adds one ledger item (none if the row has one)."""
    org = _org(session, organization_id)
    authz.require(session, actor, Action.RECORD_INSPECTION, org)
    check_year(year, now, settings)
    key = _result_key(result)
    day = today(now, settings)
    season = date(year + 1, 1, 1)
    for which, given in (("supervisor", filed_supervisor), ("registrar", filed_registrar)):
        if given is None:
            continue
        if given > day:
            raise Invalid("inspection_date_future", which=which, day=given)
        if given < season:
            raise Invalid("inspection_date_before_season", which=which, day=given, year=year, season=season)
    opened_before = _row(session, org.id, year)
    row = opened_before or years.open_one(session, org, year, now, settings)
    sup_on = filed_supervisor or row.supervisor_filed_on
    reg_on = filed_registrar or row.registrar_filed_on
    if sup_on is not None and reg_on is not None and reg_on < sup_on:
        raise Invalid("inspection_registrar_before_supervisor", registrar=reg_on, supervisor=sup_on)
    if key is not None and reg_on is None:
        raise Invalid("inspection_result_unfiled", year=year)
    values: dict[str, object] = {}
    if filed_supervisor is not None:
        values["supervisor_filed_on"] = filed_supervisor
    if filed_registrar is not None:
        values["registrar_filed_on"] = filed_registrar
    if party_section_filed is not None:
        values["party_section_filed"] = party_section_filed
    if values:
        values["updated_at"] = now
        session.execute(update(AnnualInspection).where(AnnualInspection.id == row.id).values(**values))
    if filed_supervisor is not None or filed_registrar is not None or key is not None:
        _drop_stale_reminders(session, row.id, registrar=filed_registrar is not None or key is not None)
    changed = False
    item_id: int | None = None
    created = False
    item_deadline: date | None = None
    if key is not None:
        # Only when the result changes: of concurrent recorders of one result, one changes it.
        done = session.execute(
            update(AnnualInspection)
            .where(AnnualInspection.id == row.id,
                   or_(AnnualInspection.result.is_(None), AnnualInspection.result != key))
            .values(result=key, result_on=day, updated_at=now))
        changed = int(getattr(done, "rowcount", 0) or 0) == 1
        item_id = _ledger_item_of(session, row.id)
        if changed and key in POOR_RESULTS and item_id is None:
            item = ledger.add_item(session, actor=actor, item=ledger.NewItem(
                source="inspection", source_id=row.id, organization_id=org.id, branch_id=org.branch_id,
                problem=LEDGER_PROBLEM.format(year=year, result=INSPECTION_RESULTS[key]), category=LEDGER_CATEGORY,
                deadline=day + timedelta(days=int(settings["INSPECTION_RECTIFY_DAYS"])),
                owner_id=owner_of(session, org), found_on=day), now=now, settings=settings, authorized=True)
            item_id, created, item_deadline = item.id, True, item.deadline
    else:
        item_id = _ledger_item_of(session, row.id)
    session.flush()
    fresh = _row(session, org.id, year)
    return Recorded(state=_state(org, fresh, year, day, settings), opened=opened_before is None,
                    result_changed=changed, ledger_item_id=item_id, ledger_item_created=created,
                    ledger_deadline=item_deadline)


def states(session: Session, orgs: list[SocialOrg], year: int, now: datetime,
           settings: Settings) -> list[InspectionState]:
    """The year's state of each organization (rows read in one query), in the order given."""
    day = today(now, settings)
    ids = [o.id for o in orgs]
    rows = {r.organization_id: r for r in session.scalars(
        select(AnnualInspection).where(AnnualInspection.organization_id.in_(ids), AnnualInspection.year == year))} \
        if ids else {}
    return [_state(o, rows.get(o.id), year, day, settings) for o in orgs]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def status(session: Session, *, actor: Actor | None, committee_id: int, year: int, now: datetime,
           settings: Settings) -> CommitteeStatus:
    """The committee's 年检 for `year`: its organizations (and those of the committees below it) with their
    status, and the figures behind 参检率 and 合格率 (see the module's docstring for each definition)."""
    committee = session.get(Committee, committee_id) if in_id_range(committee_id) else None
    if committee is None:
        raise NotFound("committee_not_found", id=committee_id)
    authz.require(session, actor, Action.VIEW_INSPECTION, committee)
    check_year(year, now, settings)
    orgs = list(session.scalars(select(SocialOrg).where(SocialOrg.committee_id.in_(committee_subtree(committee_id)))
                                .order_by(SocialOrg.id)))
    found = states(session, orgs, year, now, settings)
    required = len(found)
    filed = sum(1 for s in found if s.filed)
    passed = sum(1 for s in found if s.passed)
    return CommitteeStatus(committee_id=committee.id, committee_name=committee.name, year=year, required=required,
                           filed=filed, participation_rate=_rate(filed, required), passed=passed,
                           pass_rate=_rate(passed, filed), overdue=sum(1 for s in found if s.overdue),
                           organizations=found)


def organizations_of(session: Session, actor: Actor | None) -> list[SocialOrg]:
    """The organizations a secretary, committee member, liaison or instructor answers for: those covered by
    their branches (and the branches below) and those assigned to them; each checked with VIEW_INSPECTION."""
    if not isinstance(actor, Member):
        authz.deny(actor, Action.VIEW_INSPECTION, "own organizations")
    branch_ids: set[int] = set()
    org_ids: set[int] = set()
    for grant in authz.grants(session, actor):
        if grant.scope_type == "branch" and grant.role in ("secretary", "committee_member"):
            branch_ids.update(branch_ids_under(session, grant.scope_id))
        elif grant.scope_type == "organization" and grant.role in ("liaison", "instructor"):
            org_ids.add(grant.scope_id)
    if not branch_ids and not org_ids:
        return []
    orgs = session.scalars(select(SocialOrg).where(or_(SocialOrg.branch_id.in_(branch_ids), SocialOrg.id.in_(org_ids)))
                           .order_by(SocialOrg.id))
    return [o for o in orgs if authz.can(session, actor, Action.VIEW_INSPECTION, o)]


def admin_committees(session: Session, actor: Actor | None) -> list[int]:
    """The committees a member is an admin of (年检 by chat shows their figures), by id."""
    if not isinstance(actor, Member):
        return []
    return sorted(g.scope_id for g in authz.grants(session, actor) if g.role == "admin" and g.scope_type == "committee")


def mine(session: Session, *, actor: Actor | None, year: int, now: datetime,
         settings: Settings) -> list[InspectionState]:
    """年检 by chat: the year's state of the sender's organizations. Refused when they answer for none."""
    check_year(year, now, settings)
    orgs = organizations_of(session, actor)
    if not orgs:
        raise PermissionDenied("inspection_no_organization")
    return states(session, orgs, year, now, settings)


def view_org(session: Session, *, actor: Actor | None, organization_id: int) -> SocialOrg:
    """An organization the actor may read the 年检 of (NotFound / PermissionDenied otherwise)."""
    org = _org(session, organization_id)
    authz.require(session, actor, Action.VIEW_INSPECTION, org)
    return org
