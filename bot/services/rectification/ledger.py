"""整改台账: adding an item. Every capability that finds a problem (述职评议, 年检, a check, a patrol) adds
its row here, through `add_item`; the ledger's other operations live beside it in this package."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.infra.text import in_id_range
from bot.models import (
    Branch,
    Committee,
    Member,
    RectificationItem,
    ReviewRound,
    ReviewSubmission,
    RoleGrant,
    SocialOrg,
)
from bot.models.rectification import OPEN_FOR_OWNER, RECTIFICATION_SOURCES
from bot.services import attachments, authz
from bot.services.authz import Action, Actor, Operator
from bot.services.errors import Conflict, Invalid, NotFound, PermissionDenied
from bot.services.notify.outbox import enqueue_many
from bot.services.notify.recipients import active_holders, admins_by_committee, secretaries_by_branch
from bot.services.org.structure import (
    committee_subtree,
    log_phone_lookup,
    mask_phone,
    member_by_phone,
    normalize_phone,
)

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
    org = _get(session, SocialOrg, item.organization_id)
    if item.organization_id is not None and org is None:
        raise NotFound("organization_not_found", id=item.organization_id)
    branch = _get(session, Branch, item.branch_id)
    if item.branch_id is not None and branch is None:
        raise NotFound("branch_not_found", id=item.branch_id)
    if branch is not None and org is not None and org.branch_id not in (None, branch.id):
        raise Invalid("ledger_unit_mismatch", organization=org.name, branch=branch.name)
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
        if org is not None and target is not org:
            authz.require(session, actor, Action.MANAGE_RECTIFICATION, org)
    if item.owner_id is not None and _get(session, Member, item.owner_id) is None:
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


def _get(session: Session, model: Any, ident: int | None) -> Any:
    """The row with this id, None for None or an id no column can hold (never asked of the database)."""
    return session.get(model, ident) if ident is not None and in_id_range(ident) else None


def open_items_of_branch(session: Session, branch_id: int, found_before: date) -> list[RectificationItem]:
    """The branch's items not closed (已销号) that were found before `found_before`, oldest first: what the
    next 述职 report must answer, item by item."""
    return list(session.scalars(
        select(RectificationItem)
        .where(RectificationItem.branch_id == branch_id, RectificationItem.status != "closed",
               RectificationItem.found_on < found_before)
        .order_by(RectificationItem.id)))


# -- reading an item -----------------------------------------------------------------------------
OPEN_STATUSES = ("pending", "in_progress", "awaiting_verification")
EVIDENCE_PHASE = "after"  # photos the owner sends with 已完成 (佐证材料, after)
BEFORE_PHASE = "before"  # photos of the problem as it was (佐证材料, before: 整改 <id> 整改前)
MAX_TEXT_CHARS = 2000
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class ItemView:
    """An item as people read it: its unit, its owner (or the secretaries who answer for it), its status
    and whether it is overdue (逾期: past the deadline and not closed; derived, never stored)."""

    id: int
    source: str
    category: str
    unit: str
    branch_id: int | None
    problem: str
    measures: str
    progress: str
    evidence: str
    photos: int
    owner_id: int | None
    owner_name: str | None
    deadline: date
    found_on: date | None
    status: str
    overdue: bool
    return_reason: str | None
    verifier_name: str | None
    closed_at: datetime | None
    photos_before: int = 0  # photos of the problem before rectification


def is_overdue(item: RectificationItem, day: date) -> bool:
    return item.status != "closed" and item.deadline < day


def get_item(session: Session, item_id: int) -> RectificationItem:
    """The item with this number, or NotFound (an id no column can hold is found nowhere)."""
    item = session.get(RectificationItem, item_id) if in_id_range(item_id) else None
    if item is None:
        raise NotFound("ledger_item_not_found", id=item_id)
    return item


def item_target(session: Session, item: RectificationItem) -> Branch | SocialOrg | Committee:
    """What the item's rights are checked on: its branch, else its organization, else its committee."""
    if item.branch_id is not None:
        branch = session.get(Branch, item.branch_id)
        if branch is not None:
            return branch
    if item.organization_id is not None:
        org = session.get(SocialOrg, item.organization_id)
        if org is not None:
            return org
    committee = session.get(Committee, item.committee_id)
    assert committee is not None
    return committee


def answerers(session: Session, item: RectificationItem) -> list[int]:
    """Who answers the item: its owner (责任人), or, when it has none, its branch's active secretaries."""
    if item.owner_id is not None:
        return [item.owner_id]
    if item.branch_id is None:
        return []
    return sorted(secretaries_by_branch(session, [item.branch_id]).get(item.branch_id, []))


def _answers_for(session: Session, actor: Actor | None, item: RectificationItem) -> bool:
    return isinstance(actor, Operator) or (actor is not None and actor.id in answerers(session, item))


# A committee may name its 验收人 besides its admins: RoleGrant(role="verifier", scope_type="committee"),
# covering the committee's subtree. They see, close (销号) and return (退回整改) its items; nothing else.
VERIFIER_ROLE = "verifier"


def _verifier_scopes(session: Session, actor: Actor | None) -> list[int]:
    """The committees the actor is named 验收人 of (none for the operator, an inactive or unbound member)."""
    if not isinstance(actor, Member) or not actor.active:
        return []
    return list(session.scalars(select(RoleGrant.scope_id).where(
        RoleGrant.member_id == actor.id, RoleGrant.role == VERIFIER_ROLE, RoleGrant.scope_type == "committee")))


def names_verifier(session: Session, actor: Actor | None, item: RectificationItem) -> bool:
    """Whether the actor is a 验收人 named by the item's committee or a committee above it."""
    scopes = _verifier_scopes(session, actor)
    return bool(scopes) and bool(set(scopes) & set(authz.committee_chain(session, item.committee_id)))


def _visible(session: Session, actor: Actor | None, item: RectificationItem) -> RectificationItem:
    """The item if the actor may know of it (it answers for it, reads its unit's ledger, verifies it, or
    belongs to its branch); else it is not found, as an item of another committee is to everyone there."""
    if _answers_for(session, actor, item) or authz.can(session, actor, Action.VIEW_RECTIFICATION,
                                                       item_target(session, item)) \
            or names_verifier(session, actor, item):
        return item
    own_branch = getattr(actor, "branch_id", None)
    if own_branch is not None and own_branch == item.branch_id:
        return item
    raise NotFound("ledger_item_not_found", id=item.id)


def unit_label(branch: str, organization: str) -> str:
    """单位 as the ledger writes it: an organization's item (年检) names the organization, and its branch when
    it has one (the branch answers for it); a branch's item its branch."""
    if organization and branch:
        return f"{organization}（{branch}）"
    return organization or branch


def item_unit_name(session: Session, item: RectificationItem) -> str:
    branch = _get(session, Branch, item.branch_id)
    org = _get(session, SocialOrg, item.organization_id)
    return unit_label(branch.name if branch is not None else "", org.name if org is not None else "")


def _name(session: Session, member_id: int | None) -> str | None:
    if member_id is None:
        return None
    member = session.get(Member, member_id)
    return member.name if member is not None else None


def describe(session: Session, item: RectificationItem, now: datetime, settings: Settings) -> ItemView:
    return ItemView(
        id=item.id, source=item.source, category=item.category or "", unit=item_unit_name(session, item),
        branch_id=item.branch_id, problem=item.problem, measures=item.measures or "", progress=item.progress or "",
        evidence=item.evidence or "", photos=attachments.count(session, SUBJECT, item.id, EVIDENCE_PHASE),
        owner_id=item.owner_id, owner_name=_name(session, item.owner_id), deadline=item.deadline,
        found_on=item.found_on, status=item.status, overdue=is_overdue(item, today(now, settings)),
        return_reason=item.return_reason, verifier_name=_name(session, item.verifier_id), closed_at=item.closed_at,
        photos_before=attachments.count(session, SUBJECT, item.id, BEFORE_PHASE))


def view_item(session: Session, *, actor: Actor | None, item_id: int, now: datetime, settings: Settings) -> ItemView:
    """One item, for whoever may know of it."""
    return describe(session, _visible(session, actor, get_item(session, item_id)), now, settings)


def my_open_items(session: Session, *, actor: Member | None, now: datetime, settings: Settings) -> list[ItemView]:
    """整改: the items the actor answers for (owned, or owner-less items of a branch they are secretary of)
    that are not closed, by deadline."""
    if actor is None:
        raise PermissionDenied("ledger_unbound")
    branches = list(session.scalars(select(RoleGrant.scope_id).where(
        RoleGrant.member_id == actor.id, RoleGrant.role == "secretary", RoleGrant.scope_type == "branch")))
    mine = RectificationItem.owner_id == actor.id
    if branches:
        mine = or_(mine, and_(RectificationItem.owner_id.is_(None), RectificationItem.branch_id.in_(branches)))
    rows = session.scalars(select(RectificationItem).where(mine, RectificationItem.status.in_(OPEN_STATUSES))
                           .order_by(RectificationItem.deadline, RectificationItem.id).limit(100))
    return [describe(session, row, now, settings) for row in rows]


# -- the owner's side: answer, evidence, submit ---------------------------------------------------
SUBJECT = "rectification_item"


def _owned(session: Session, actor: Actor | None, item_id: int) -> RectificationItem:
    """The item, if the actor answers for it: else not found (not theirs to know) or refused (someone
    else's item of their own branch)."""
    if actor is None:
        raise PermissionDenied("ledger_unbound")
    item = _visible(session, actor, get_item(session, item_id))
    if not _answers_for(session, actor, item):
        raise PermissionDenied("ledger_not_owner", id=item.id, owner=_name(session, item.owner_id) or "")
    return item


def _refuse_unless_open_for_owner(item: RectificationItem) -> None:
    if item.status == "closed":
        raise Conflict("ledger_closed", id=item.id)
    if item.status == "awaiting_verification":
        raise Conflict("ledger_awaiting_verification", id=item.id)


def _update_if(session: Session, item: RectificationItem, statuses: tuple[str, ...], values: dict[str, Any]) -> bool:
    """One conditional UPDATE: the change is made only while the item is in one of `statuses`."""
    result = session.execute(
        update(RectificationItem).where(RectificationItem.id == item.id, RectificationItem.status.in_(statuses))
        .values(**values).execution_options(synchronize_session=False))
    changed = int(getattr(result, "rowcount", 0) or 0) == 1
    session.refresh(item)
    return changed


def _clean(text: str, reason: str, limit: int = MAX_TEXT_CHARS) -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid(reason)
    if len(text) > limit:
        raise Invalid("ledger_text_too_long", limit=limit)
    return text


def answer(session: Session, *, actor: Actor | None, item_id: int, text: str, now: datetime,
           settings: Settings) -> ItemView:
    """整改 <id> <measures or progress>: the first answer is the item's 整改措施 (unless it has them),
    later ones its 完成情况; the item moves to 整改中."""
    item = _owned(session, actor, item_id)
    text = _clean(text, "ledger_empty_answer")
    _refuse_unless_open_for_owner(item)
    values: dict[str, Any] = {"status": "in_progress", "updated_at": now}
    values["measures" if not (item.measures or "").strip() else "progress"] = text
    if not _update_if(session, item, OPEN_FOR_OWNER, values):
        _refuse_unless_open_for_owner(item)
    return describe(session, item, now, settings)


def start_evidence(session: Session, *, actor: Actor | None, item_id: int, text: str, now: datetime,
                   settings: Settings) -> ItemView:
    """整改 <id> 已完成 <text>: the text is the 佐证材料's words (may be empty: photos follow); the item is
    整改中 until 提交."""
    item = _owned(session, actor, item_id)
    text = (text or "").strip()
    if len(text) > MAX_TEXT_CHARS:
        raise Invalid("ledger_text_too_long", limit=MAX_TEXT_CHARS)
    _refuse_unless_open_for_owner(item)
    values: dict[str, Any] = {"status": "in_progress", "updated_at": now}
    if text:
        values["evidence"] = text
    if not _update_if(session, item, OPEN_FOR_OWNER, values):
        _refuse_unless_open_for_owner(item)
    return describe(session, item, now, settings)


def add_evidence_text(session: Session, *, actor: Actor | None, item_id: int, text: str, now: datetime,
                      settings: Settings) -> ItemView:
    """More words for the evidence (a text sent between 已完成 and 提交): appended on a new line."""
    item = _owned(session, actor, item_id)
    text = _clean(text, "ledger_empty_answer")
    _refuse_unless_open_for_owner(item)
    joined = "\n".join(t for t in ((item.evidence or "").strip(), text) if t)
    if len(joined) > MAX_TEXT_CHARS:
        raise Invalid("ledger_text_too_long", limit=MAX_TEXT_CHARS)
    if not _update_if(session, item, OPEN_FOR_OWNER, {"evidence": joined, "updated_at": now}):
        _refuse_unless_open_for_owner(item)
    return describe(session, item, now, settings)


def add_evidence_photo(session: Session, *, actor: Actor | None, item_id: int, media_id: str, now: datetime,
                       settings: Settings) -> attachments.Attached:
    """A photo of the evidence (phase "after"), kept by its media id; the channel fetches it after the commit."""
    item = _owned(session, actor, item_id)
    _refuse_unless_open_for_owner(item)
    return attachments.add(session, subject_type=SUBJECT, subject_id=item.id, media_id=media_id,
                           created_by_id=getattr(actor, "id", None), now=now, phase=EVIDENCE_PHASE)


def start_before(session: Session, *, actor: Actor | None, item_id: int, now: datetime,
                 settings: Settings) -> ItemView:
    """整改 <id> 整改前: whoever answers for an open item may send photos of the problem as it was."""
    item = _owned(session, actor, item_id)
    _refuse_unless_open_for_owner(item)
    return describe(session, item, now, settings)


def add_before_photo(session: Session, *, actor: Actor | None, item_id: int, media_id: str, now: datetime,
                     settings: Settings) -> attachments.Attached:
    """A photo of the problem before rectification (phase "before"); it is no evidence of the work done, so
    提交 and 销号 still need words or a photo sent with 已完成."""
    item = _owned(session, actor, item_id)
    _refuse_unless_open_for_owner(item)
    return attachments.add(session, subject_type=SUBJECT, subject_id=item.id, media_id=media_id,
                           created_by_id=getattr(actor, "id", None), now=now, phase=BEFORE_PHASE)


def has_evidence(session: Session, item: RectificationItem) -> bool:
    return bool((item.evidence or "").strip()) or attachments.count(session, SUBJECT, item.id, EVIDENCE_PHASE) > 0


def submit(session: Session, *, actor: Actor | None, item_id: int, now: datetime, settings: Settings) -> ItemView:
    """提交: the evidence goes to verification (待验收). Refused without evidence (no words, no photo); of two
    submissions at once one moves the item and the other is told it was submitted already."""
    item = _owned(session, actor, item_id)
    if item.status == "awaiting_verification":
        raise Conflict("ledger_submitted_already", id=item.id)
    _refuse_unless_open_for_owner(item)
    if not has_evidence(session, item):
        raise Invalid("ledger_no_evidence", id=item.id)
    if not _update_if(session, item, OPEN_FOR_OWNER, {"status": "awaiting_verification", "submitted_at": now,
                                                      "updated_at": now}):
        if item.status == "awaiting_verification":
            raise Conflict("ledger_submitted_already", id=item.id)
        _refuse_unless_open_for_owner(item)
    view = describe(session, item, now, settings)
    params = {"item_id": item.id, "problem": item.problem, "unit": view.unit, "deadline": item.deadline.isoformat()}
    slot = f"submitted:{now.isoformat()}"
    enqueue_many(session, [dict(kind="rectification_submitted", recipient_id=rid, params=params, due_at=now,
                                subject_type="rectification", subject_id=item.id, slot=slot)
                           for rid in verifiers(session, item)], now)
    return view


def verifiers(session: Session, item: RectificationItem) -> list[int]:
    """Who verifies an item (销号 / 退回整改) and is told when it is submitted: the active admins of its
    committee and the 验收人 named by it or a committee above it."""
    chain = authz.committee_chain(session, item.committee_id)
    named = active_holders(session, VERIFIER_ROLE, "committee", chain)
    found = set(admins_by_committee(session, [item.committee_id]).get(item.committee_id, []))
    return sorted(found.union(*named.values()))


def awaiting(session: Session, *, actor: Member | None, now: datetime, settings: Settings) -> list[ItemView]:
    """待验收: the items submitted for verification that the actor may close (the subtrees of the committees
    they are admin of), oldest submission first."""
    if actor is None:
        raise PermissionDenied("ledger_unbound")
    granted = select(RoleGrant.scope_id).where(RoleGrant.member_id == actor.id, RoleGrant.role == "admin",
                                               RoleGrant.scope_type == "committee")
    named = set(_verifier_scopes(session, actor))
    committees = [c for c in session.scalars(select(Committee).where(or_(Committee.id.in_(granted),
                                                                         Committee.id.in_(named))))
                  if c.id in named or authz.can(session, actor, Action.MANAGE_RECTIFICATION, c)]
    if not committees:
        raise PermissionDenied("forbidden")
    ids: set[int] = set()
    for committee in committees:
        ids.update(session.scalars(committee_subtree(committee.id)))
    rows = session.scalars(select(RectificationItem).where(RectificationItem.status == "awaiting_verification",
                                                           RectificationItem.committee_id.in_(ids))
                           .order_by(RectificationItem.submitted_at, RectificationItem.id).limit(50))
    return [describe(session, row, now, settings) for row in rows]


def submittable(session: Session, *, actor: Member | None, now: datetime, settings: Settings) -> list[ItemView]:
    """The actor's items with evidence that are not yet submitted (提交 outside the evidence step)."""
    return [v for v in my_open_items(session, actor=actor, now=now, settings=settings)
            if v.status in OPEN_FOR_OWNER and (v.evidence.strip() or v.photos)]


# -- the verifier's side: 销号, 退回整改 --------------------------------------------------------------
def _managed(session: Session, actor: Actor | None, item_id: int) -> RectificationItem:
    """The item, if the actor may verify it: committee staff (MANAGE_RECTIFICATION) or a named 验收人."""
    item = _visible(session, actor, get_item(session, item_id))
    if not names_verifier(session, actor, item):
        authz.require(session, actor, Action.MANAGE_RECTIFICATION, item_target(session, item))
    return item


def close(session: Session, *, actor: Actor | None, item_id: int, now: datetime, settings: Settings) -> ItemView:
    """销号: committee staff (MANAGE_RECTIFICATION on the item's unit) or a named 验收人 close an item submitted
    for verification (待验收) with its evidence; the closer is its 验收人. Refused: no evidence at all (no words,
    no photo), not submitted (or returned meanwhile). Of two closings at once one closes it and the other is
    told it was."""
    item = _managed(session, actor, item_id)
    if item.status == "closed":
        raise Conflict("ledger_closed_already", id=item.id)
    if not has_evidence(session, item):
        raise Invalid("ledger_close_no_evidence", id=item.id)
    if item.status != "awaiting_verification":
        raise Conflict("ledger_close_not_submitted", id=item.id, status=item.status)
    if not _update_if(session, item, ("awaiting_verification",),
                      {"status": "closed", "closed_at": now, "updated_at": now,
                       "verifier_id": getattr(actor, "id", None)}):
        if item.status == "closed":
            raise Conflict("ledger_closed_already", id=item.id)
        raise Conflict("ledger_close_not_submitted", id=item.id, status=item.status)
    return describe(session, item, now, settings)


def return_item(session: Session, *, actor: Actor | None, item_id: int, reason: str, now: datetime,
                settings: Settings) -> ItemView:
    """退回整改: evidence found wanting goes back to 整改中 with the reason; whoever answers for the item is
    told at once (notice rectification_returned)."""
    item = _managed(session, actor, item_id)
    reason = _clean(reason, "ledger_return_needs_reason", MAX_REASON_CHARS)
    if item.status != "awaiting_verification":
        raise Conflict("ledger_not_awaiting", id=item.id, status=item.status)
    if not _update_if(session, item, ("awaiting_verification",),
                      {"status": "in_progress", "return_reason": reason, "submitted_at": None, "updated_at": now}):
        raise Conflict("ledger_not_awaiting", id=item.id, status=item.status)
    params = {"item_id": item.id, "problem": item.problem, "reason": reason, "deadline": item.deadline.isoformat()}
    slot = f"returned:{now.isoformat()}"
    enqueue_many(session, [dict(kind="rectification_returned", recipient_id=rid, params=params, due_at=now,
                                subject_type="rectification", subject_id=item.id, slot=slot)
                           for rid in answerers(session, item)], now)
    return describe(session, item, now, settings)


# -- adding from a channel ------------------------------------------------------------------------
def source_key(given: str) -> str:
    """A source as people write it (述职评议) or as stored (review): the stored key; unknown ones unchanged
    (add_item refuses them)."""
    given = (given or "").strip()
    for key, label in RECTIFICATION_SOURCES.items():
        if given in (key, label):
            return key
    return given


def latest_report_id(session: Session, branch_id: int) -> int | None:
    """The branch's report in the latest review round it reports in, if any."""
    return session.scalar(select(ReviewSubmission.id).join(ReviewRound, ReviewRound.id == ReviewSubmission.round_id)
                          .where(ReviewSubmission.branch_id == branch_id)
                          .order_by(ReviewRound.year.desc(), ReviewRound.id.desc()).limit(1))


def add(session: Session, *, actor: Actor | None, branch_id: int | None, source: str, problem: str, deadline: date,
        now: datetime, settings: Settings, owner_phone: str | None = None, measures: str = "",
        category: str = "", organization_id: int | None = None) -> RectificationItem:
    """`ledger add`: an item of a branch (or of a social organization: its branch, if it has one, is the
    unit), its owner named by phone; a 述职评议 item is linked to the branch's report in its latest round."""
    if branch_id is not None and not in_id_range(branch_id):
        raise NotFound("branch_not_found", id=branch_id)
    if organization_id is not None and not in_id_range(organization_id):
        raise NotFound("organization_not_found", id=organization_id)
    key = source_key(source)
    owner_id: int | None = None
    if owner_phone:
        phone = normalize_phone(owner_phone)
        owner = member_by_phone(session, phone)
        log_phone_lookup(actor, phone, owner, "found" if owner else "nobody")
        if owner is None:
            raise NotFound("ledger_owner_unknown", phone=mask_phone(phone))
        owner_id = owner.id
    source_id = latest_report_id(session, branch_id) if key == "review" and branch_id is not None else None
    return add_item(session, actor=actor, now=now, settings=settings,
                    item=NewItem(source=key, problem=problem, deadline=deadline, branch_id=branch_id,
                                 organization_id=organization_id, source_id=source_id, owner_id=owner_id,
                                 measures=measures, category=category))
