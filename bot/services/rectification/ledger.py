"""整改台账: adding an item. Every capability that finds a problem (述职评议, 年检, a check, a patrol) adds
its row here, through `add_item`; the ledger's other operations live beside it in this package."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.models import Branch, Committee, Member, RectificationItem, SocialOrg
from bot.models.rectification import RECTIFICATION_SOURCES
from bot.services import authz
from bot.services.authz import Action, Actor
from bot.services.errors import Invalid, NotFound

MAX_PROBLEM_CHARS = 500
MAX_MEASURES_CHARS = 2000
MAX_CATEGORY_CHARS = 50


@dataclass(frozen=True)
class NewItem:
    """What a finder knows of a problem. The unit is a branch (单位 for a party organization) or a social
    organization (年检), or both; the owner (责任人) a member, or None: the unit's secretary answers later."""

    source: str  # a key of RECTIFICATION_SOURCES
    problem: str
    deadline: date
    branch_id: int | None = None
    organization_id: int | None = None
    source_id: int | None = None  # the ReviewSubmission / AnnualInspection it came from
    owner_id: int | None = None
    measures: str = ""
    category: str = ""
    found_on: date | None = None  # default: today


def add_item(session: Session, *, actor: Actor | None, item: NewItem, now: datetime, settings: Settings,
             authorized: bool = False) -> RectificationItem:
    """Add one item to the ledger of the unit's committee. The actor needs MANAGE_RECTIFICATION on the unit
    unless the calling service has authorized the finding itself (`authorized`: a reviewer named for the
    round naming a problem of a report). Refused: an unknown source, an empty or overlong problem, a
    deadline in the past, an unknown unit or owner."""
    if item.source not in RECTIFICATION_SOURCES:
        raise Invalid("ledger_bad_source", source=item.source, known="、".join(RECTIFICATION_SOURCES.values()))
    problem = " ".join((item.problem or "").split())
    if not problem:
        raise Invalid("ledger_empty_problem")
    if len(problem) > MAX_PROBLEM_CHARS:
        raise Invalid("ledger_problem_too_long", limit=MAX_PROBLEM_CHARS)
    if len(item.measures or "") > MAX_MEASURES_CHARS:
        raise Invalid("ledger_measures_too_long", limit=MAX_MEASURES_CHARS)
    if len(item.category or "") > MAX_CATEGORY_CHARS:
        raise Invalid("ledger_category_too_long", limit=MAX_CATEGORY_CHARS)
    day = today(now, settings)
    if item.deadline < day:
        raise Invalid("ledger_deadline_past", deadline=item.deadline)
    target: Branch | SocialOrg
    org = session.get(SocialOrg, item.organization_id) if item.organization_id is not None else None
    if item.organization_id is not None and org is None:
        raise NotFound("organization_not_found", id=item.organization_id)
    branch = session.get(Branch, item.branch_id) if item.branch_id is not None else None
    if item.branch_id is not None and branch is None:
        raise NotFound("branch_not_found", id=item.branch_id)
    if branch is None and org is not None and org.branch_id is not None:
        branch = session.get(Branch, org.branch_id)
    if branch is not None:
        target = branch
        committee_id = branch.committee_id
    elif org is not None:
        target = org
        committee_id = org.committee_id
    else:
        raise Invalid("ledger_no_unit")
    if not authorized:
        authz.require(session, actor, Action.MANAGE_RECTIFICATION, target)
    if item.owner_id is not None and session.get(Member, item.owner_id) is None:
        raise NotFound("member_not_found", id=item.owner_id)
    assert session.get(Committee, committee_id) is not None
    row = RectificationItem(
        source=item.source, source_id=item.source_id, committee_id=committee_id,
        organization_id=org.id if org is not None else None, branch_id=branch.id if branch is not None else None,
        category=(item.category or "").strip(), found_on=item.found_on or day, problem=problem,
        measures=(item.measures or "").strip(), owner_id=item.owner_id, deadline=item.deadline, status="pending",
        created_by_id=getattr(actor, "id", None), created_at=now, updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def open_items_of_branch(session: Session, branch_id: int, found_before: date) -> list[RectificationItem]:
    """The branch's items not closed (已销号) that were found before `found_before`, oldest first: what the
    next 述职 report must answer, item by item."""
    return list(session.scalars(
        select(RectificationItem)
        .where(RectificationItem.branch_id == branch_id, RectificationItem.status != "closed",
               RectificationItem.found_on < found_before)
        .order_by(RectificationItem.id)))
