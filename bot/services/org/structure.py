"""The organization tree: committees → party organizations → groups, the social organizations they
cover, the 统一社会信用代码 check, and what a member reads of it: their own record (我的), a member's card
(党员), a branch's card (支部) and a committee's coverage figures (党委), each authorized here."""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from bot.infra.db import added
from bot.infra.text import in_id_range, parse_id
from bot.models import Branch, Committee, Member, MobileRegistration, PartyGroup, RoleGrant, SocialOrg
from bot.services.authz import Action, Actor, can, deny, require
from bot.services.errors import Conflict, Invalid, NotFound

# Reads of personal data (个人信息保护法 Art. 51): who read whose record.
personal_log = logging.getLogger("zhibu.personal_data")

# -- 统一社会信用代码 (GB 32100-2015) ---------------------------------------------------------------
# 31 characters: digits and capital letters without I, O, Z, S, V.
CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# Registration department 5 (民政): the second character is the organization category.
CIVIL_AFFAIRS = "5"
ORG_TYPE_CATEGORY = {"social_group": "1", "private_nonenterprise": "2", "foundation": "3"}
ORG_TYPES = tuple(ORG_TYPE_CATEGORY)
FORMATIONS = ("single", "joint", "attached")
MIN_FULL_MEMBERS = 3  # a branch needs 3 full members (单独组建; below that it cannot stay 建制型)


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 whose first 17 characters are given."""
    if len(first17) != 17 or any(c not in CREDIT_CODE_CHARS for c in first17):
        raise ValueError("need 17 characters from the code's alphabet")
    total = sum(CREDIT_CODE_CHARS.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str:
    """The code, upper-cased and trimmed, or Invalid saying what is wrong with it."""
    value = (code or "").strip().upper()
    if len(value) != 18:
        raise Invalid("credit_code_length", n=len(value))
    bad = [c for c in value if c not in CREDIT_CODE_CHARS]
    if bad:
        raise Invalid("credit_code_chars", chars="".join(dict.fromkeys(bad)))
    if credit_code_check_char(value[:17]) != value[17]:
        raise Invalid("credit_code_check")
    return value


def create_social_org(
    session: Session,
    *,
    actor: Actor,
    committee_id: int,
    name: str,
    credit_code: str,
    org_type: str,
    branch_id: int | None = None,
    registrar: str = "",
    supervisor: str = "",
    board_term_ends: date | None = None,
    full_member_count: int = 0,
) -> SocialOrg:
    """Register a social organization under a committee, optionally covered by a branch (the committee's
    admin, or the operator)."""
    code = validate_credit_code(credit_code)
    if org_type not in ORG_TYPES:
        raise Invalid("org_type_unknown", value=org_type)
    if code[0] == CIVIL_AFFAIRS and code[1] != ORG_TYPE_CATEGORY[org_type]:
        raise Invalid("credit_code_category", org_type=org_type)
    committee = get_committee(session, committee_id)
    require(session, actor, Action.MANAGE_ORGANIZATIONS, committee)
    if branch_id is not None:
        branch = get_branch(session, branch_id)
        if committee_id not in committee_ids_under(session, branch.committee_id) and \
                branch.committee_id not in committee_ids_under(session, committee_id):
            raise Invalid("org_branch_other_committee")
    org = SocialOrg(committee_id=committee_id, name=name.strip(), credit_code=code, org_type=org_type,
                    branch_id=branch_id, registrar=registrar, supervisor=supervisor,
                    board_term_ends=board_term_ends, full_member_count=full_member_count)
    if not added(session, org):
        raise Conflict("credit_code_taken", code=code)
    return org


# -- lookups -------------------------------------------------------------------------------------
def get_branch(session: Session, branch_id: int) -> Branch:
    branch = session.get(Branch, branch_id) if in_id_range(branch_id) else None
    if branch is None:
        raise NotFound("branch_not_found", id=branch_id)
    return branch


def get_committee(session: Session, committee_id: int) -> Committee:
    committee = session.get(Committee, committee_id) if in_id_range(committee_id) else None
    if committee is None:
        raise NotFound("committee_not_found", id=committee_id)
    return committee


def committee_subtree(committee_id: int) -> Select[Any]:
    """The ids of a committee and every committee below it, as a SELECT (one recursive query) that other
    queries use as a subquery: `Branch.committee_id.in_(committee_subtree(cid))`."""
    tree = select(Committee.id).where(Committee.id == committee_id).cte("committee_tree", recursive=True)
    tree = tree.union_all(select(Committee.id).where(Committee.parent_id == tree.c.id))
    return select(tree.c.id)


def committee_ids_under(session: Session, committee_id: int) -> list[int]:
    """A committee and every committee below it (the committee first)."""
    below = sorted(int(c) for c in session.scalars(committee_subtree(committee_id)) if c != committee_id)
    return [committee_id, *below]


def branch_ids_under(session: Session, branch_id: int) -> list[int]:
    """A party organization and every one below it (a 党委's 党支部s)."""
    found = [branch_id]
    frontier = [branch_id]
    while frontier:
        children = [b for b in session.scalars(select(Branch.id).where(Branch.parent_id.in_(frontier)))
                    if b not in found]
        found += children
        frontier = children
    return found


def branches_of_committee(session: Session, committee_id: int) -> list[Branch]:
    """Every party organization in the committee's subtree, by id."""
    ids = committee_ids_under(session, committee_id)
    return list(session.scalars(select(Branch).where(Branch.committee_id.in_(ids)).order_by(Branch.id)))


# -- counts --------------------------------------------------------------------------------------
def full_member_counts(session: Session, branch_ids: list[int]) -> dict[int, int]:
    """Active full (正式) members per branch, counting each branch alone."""
    if not branch_ids:
        return {}
    rows = session.execute(
        select(Member.branch_id, func.count())
        .where(Member.branch_id.in_(branch_ids), Member.status == "full", Member.active.is_(True))
        .group_by(Member.branch_id)
    ).all()
    counts = {b: 0 for b in branch_ids}
    counts.update({b: int(n) for b, n in rows if b is not None})
    return counts


def mask_phone(phone: str | None) -> str:
    """138****5678: how a phone number shows everywhere but the member's own view."""
    if not phone:
        return "—"
    if len(phone) >= 7:
        return phone[:3] + "****" + phone[-4:]
    return "****"


def _name_of(session: Session, model: type[Branch] | type[Committee] | type[PartyGroup] | type[SocialOrg],
             ident: int | None) -> str | None:
    obj = session.get(model, ident) if ident else None
    name: str | None = getattr(obj, "name", None)
    return name or None


SCOPES: dict[str, type[Branch] | type[Committee] | type[SocialOrg]] = {
    "branch": Branch, "committee": Committee, "organization": SocialOrg}


# -- phone numbers: the identity that crosses branches -----------------------------------------------
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# What a typed id may look like: `#…`, or digits with an optional sign (the digits of any script, so that
# `٣` or `-1` is answered as an id not found, not looked up as a name).
_ID_LIKE = re.compile(r"#.+|[-+]?\d+", re.DOTALL)


def mobile_number(text: str | None) -> str | None:
    """A mainland mobile number from what a person typed (spaces, dashes, brackets, +86 allowed), or None."""
    digits = re.sub(r"[\s\-()（）]", "", text or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if _MOBILE.fullmatch(digits) else None


def normalize_phone(text: str) -> str:
    """A mainland mobile number from what a secretary typed, or Invalid("mobile_phone_format")."""
    phone = mobile_number(text)
    if phone is None:
        raise Invalid("mobile_phone_format")
    return phone


def log_phone_lookup(actor: Actor | None, phone: str, member: Member | None, outcome: str) -> None:
    """Every lookup of a member by phone number, in the personal-data access log: who asked, the number
    (masked), whom it found (if anyone) and what the asker was told (found, out_of_scope, nobody, …)."""
    reader = getattr(actor, "who", None) or getattr(actor, "id", None)
    personal_log.info("personal data lookup: reader=%s by=phone phone=%s member=%s outcome=%s",
                      reader, mask_phone(phone), member.id if member is not None else "-", outcome)


def member_by_phone(session: Session, phone: str) -> Member | None:
    """The member with this (normalized) mobile number; the caller logs the lookup (log_phone_lookup)."""
    return session.scalar(select(Member).where(Member.phone == phone))


# -- who may be looked at ------------------------------------------------------------------------
def members_for(session: Session, actor: Member, query: str, action: Action, *,
                active_only: bool = False) -> list[Member]:
    """Members `actor` may take `action` on, meant by `query`: a mobile number (logged; one outside the
    actor's scope is answered as nobody, so no name leaks), an id (`#n` or `n`; one that no id column can
    hold is simply not found), or a name. Nothing found: NotFound naming what was asked for; found by
    id or name but none allowed: PermissionDenied (logged)."""
    query = query.strip()
    phone = mobile_number(query) if not query.startswith("#") else None
    if phone is not None:
        member = member_by_phone(session, phone)
        if member is None or (active_only and not member.active):
            log_phone_lookup(actor, phone, member, "nobody")
            raise NotFound("member_phone_not_found", phone=mask_phone(phone))
        if not can(session, actor, action, member):
            log_phone_lookup(actor, phone, member, "out_of_scope")
            raise NotFound("member_phone_not_found", phone=mask_phone(phone))
        log_phone_lookup(actor, phone, member, "found")
        return [member]
    if _ID_LIKE.fullmatch(query):
        ident = parse_id(query)
        found_by_id = session.get(Member, ident) if ident is not None else None
        if found_by_id is None or (active_only and not found_by_id.active):
            raise NotFound("member_id_not_found", id=query.removeprefix("#").strip())
        found = [found_by_id]
    else:
        found = list(session.scalars(select(Member).where(Member.name == query, Member.active.is_(True))
                                     .order_by(Member.id)))
        if not found:
            raise NotFound("member_name_not_found", name=query)
    allowed = [m for m in found if can(session, actor, action, m)]
    if not allowed:
        require(session, actor, action, found[0])  # logs and raises
    return allowed


# -- 我的: the member's own record ------------------------------------------------------------------
@dataclass(frozen=True)
class HeldRole:
    role: str  # member, secretary, committee_member, liaison, instructor, admin
    scope: str | None  # the name of the branch, committee or organization it is held for


@dataclass(frozen=True)
class OwnRecord:
    """What a member reads about themselves: the one view with the phone number unmasked."""

    name: str
    phone: str | None
    status: str  # full | probationary
    joined_on: date | None
    branch: str | None
    group: str | None
    organization: str | None
    title: str
    roles: list[HeldRole]
    hosts: list[str]  # 流动党员: the branches they are registered with besides their own


def own_record(session: Session, *, actor: Member) -> OwnRecord:
    """The acting member's own record. No other record can be asked for here, and a member may always
    read what is held about them (a member whose record was 停用 included), so there is nothing to refuse."""
    roles = [HeldRole("member", None)] if actor.branch_id else []
    for g in session.scalars(select(RoleGrant).where(RoleGrant.member_id == actor.id).order_by(RoleGrant.id)):
        model = SCOPES.get(g.scope_type)
        roles.append(HeldRole(g.role, _name_of(session, model, g.scope_id) if model is not None else None))
    hosts = list(session.scalars(
        select(Branch.name).join(MobileRegistration, MobileRegistration.host_branch_id == Branch.id)
        .where(MobileRegistration.member_id == actor.id)))
    return OwnRecord(
        name=actor.name,
        phone=actor.phone,
        status=actor.status,
        joined_on=actor.joined_on,
        branch=_name_of(session, Branch, actor.branch_id),
        group=_name_of(session, PartyGroup, actor.group_id),
        organization=_name_of(session, SocialOrg, actor.org_id),
        title=actor.title,
        roles=roles,
        hosts=hosts,
    )


# -- 党员: a member's card ----------------------------------------------------------------------------
@dataclass(frozen=True)
class MemberCard:
    """A member's record as another member reads it: the phone number masked."""

    id: int
    name: str
    phone: str  # masked
    status: str  # full | probationary
    joined_on: date | None
    branch: str | None
    group: str | None
    title: str
    bound: bool  # has bound a WeChat account


def member_cards(session: Session, *, actor: Member, query: str) -> list[MemberCard]:
    """The records of the members named `query` (or with id `#n`) that `actor` may read; each read is
    logged, since a member's record is personal data."""
    visible = members_for(session, actor, query, Action.VIEW_MEMBER)
    for m in visible:
        if m.id != actor.id:
            personal_log.info("personal data read: reader=%s member=%s fields=record", actor.id, m.id)
    return [MemberCard(
        id=m.id,
        name=m.name,
        phone=mask_phone(m.phone),
        status=m.status,
        joined_on=m.joined_on,
        branch=_name_of(session, Branch, m.branch_id),
        group=_name_of(session, PartyGroup, m.group_id),
        title=m.title,
        bound=bool(m.openid),
    ) for m in visible]


# -- 支部: a branch's card ----------------------------------------------------------------------------
@dataclass(frozen=True)
class BranchRef:
    id: int
    name: str


@dataclass(frozen=True)
class BranchCard:
    """What a secretary reads about a party organization: counts, groups, covered organizations."""

    id: int
    name: str
    committee: str
    level: str  # party_committee | general_branch | branch
    formation: str  # single | joint | attached
    kind: str  # full | functional
    secretaries: list[str]
    full: int
    probationary: int
    bound: int
    groups: list[str]
    orgs: list[str]
    unbound: list[str]  # active members without a bound WeChat account, by id
    sub_branches: list[str]
    below_minimum: bool  # a 建制型 党支部 with fewer than 3 full members


@dataclass(frozen=True)
class BranchOverview:
    """The card of the branch asked for (or the only/own one), and the other branches the reader may
    open; no card: the reader must pick one of `others`."""

    card: BranchCard | None
    others: list[BranchRef]


def _branch_card(session: Session, branch: Branch) -> BranchCard:
    members = list(session.scalars(select(Member).where(Member.branch_id == branch.id, Member.active.is_(True))
                                   .order_by(Member.id)))
    secretaries = list(session.scalars(
        select(Member.name).join(RoleGrant, RoleGrant.member_id == Member.id)
        .where(RoleGrant.role == "secretary", RoleGrant.scope_type == "branch", RoleGrant.scope_id == branch.id)
        .order_by(Member.id)))
    committee = session.get(Committee, branch.committee_id)
    full = sum(1 for m in members if m.status == "full")
    return BranchCard(
        id=branch.id,
        name=branch.name,
        committee=committee.name if committee else "",
        level=branch.level,
        formation=branch.formation,
        kind=branch.kind,
        secretaries=secretaries,
        full=full,
        probationary=sum(1 for m in members if m.status == "probationary"),
        bound=sum(1 for m in members if m.openid),
        groups=list(session.scalars(select(PartyGroup.name).where(PartyGroup.branch_id == branch.id)
                                    .order_by(PartyGroup.id))),
        orgs=list(session.scalars(select(SocialOrg.name).where(SocialOrg.branch_id == branch.id)
                                  .order_by(SocialOrg.id))),
        unbound=[m.name for m in members if not m.openid],
        sub_branches=list(session.scalars(select(Branch.name).where(Branch.parent_id == branch.id)
                                          .order_by(Branch.id))),
        below_minimum=branch.kind == "full" and branch.level == "branch" and full < MIN_FULL_MEMBERS,
    )


def _branches_visible_to(session: Session, actor: Member) -> list[Branch]:
    """The party organizations `actor` may read the card of, own branch first."""
    ids: list[int] = []
    if actor.branch_id is not None:
        ids.append(actor.branch_id)
    for g in session.scalars(select(RoleGrant).where(RoleGrant.member_id == actor.id)):
        if g.scope_type == "branch":
            ids += branch_ids_under(session, g.scope_id)
        elif g.scope_type == "committee":
            ids += [b.id for b in branches_of_committee(session, g.scope_id)]
        elif g.scope_type == "organization":
            org = session.get(SocialOrg, g.scope_id)
            if org is not None and org.branch_id is not None:
                ids.append(org.branch_id)
    result: list[Branch] = []
    for bid in dict.fromkeys(ids):
        branch = session.get(Branch, bid)
        if branch is not None and can(session, actor, Action.VIEW_BRANCH, branch):
            result.append(branch)
    return result


def branch_overview(session: Session, *, actor: Member, branch_id: int | None = None) -> BranchOverview:
    """The card of branch `branch_id`; without one, the branches `actor` may read: the only one's card,
    or their own branch's card with the others listed after it, or the list to pick from."""
    if branch_id is not None:
        branch = get_branch(session, branch_id)
        require(session, actor, Action.VIEW_BRANCH, branch)
        return BranchOverview(_branch_card(session, branch), [])
    visible = _branches_visible_to(session, actor)
    if not visible:
        deny(actor, Action.VIEW_BRANCH, f"Branch#{actor.branch_id}")
    refs = [BranchRef(b.id, b.name) for b in visible]
    if len(visible) == 1:
        return BranchOverview(_branch_card(session, visible[0]), [])
    if visible[0].id == actor.branch_id:  # their own branch first, the others they may open after it
        return BranchOverview(_branch_card(session, visible[0]), refs[1:])
    return BranchOverview(None, refs)


# -- 党委: coverage --------------------------------------------------------------------------------
@dataclass
class Coverage:
    committee: Committee
    organizations: int
    with_own_branch: int  # covered by a branch formed 单独
    covered: int  # a branch, a liaison or an instructor
    branches_by_formation: dict[str, int]
    below_minimum: list[tuple[Branch, int]]  # 建制型 branches with fewer than 3 full members
    uncovered: list[str]

    @property
    def single_rate(self) -> float | None:
        return self.with_own_branch / self.organizations if self.organizations else None

    @property
    def coverage_rate(self) -> float | None:
        return self.covered / self.organizations if self.organizations else None


def coverage(session: Session, committee_id: int, *, actor: Actor) -> Coverage:
    """The committee's headline figures: 单独组建率, 覆盖率, branches by formation, small branches."""
    committee = get_committee(session, committee_id)
    require(session, actor, Action.VIEW_COMMITTEE, committee)
    return _coverage(session, committee)


def committee_figures(session: Session, *, actor: Member, committee_id: int | None = None) -> list[Coverage]:
    """The coverage of committee `committee_id`, or of every committee `actor` administers."""
    if committee_id is not None:
        return [coverage(session, committee_id, actor=actor)]
    ids = session.scalars(select(RoleGrant.scope_id).where(RoleGrant.member_id == actor.id,
                                                          RoleGrant.scope_type == "committee"))
    committees = [c for c in (session.get(Committee, i) for i in dict.fromkeys(ids)) if c is not None]
    administered = [c for c in committees if can(session, actor, Action.VIEW_COMMITTEE, c)]
    if not administered:
        deny(actor, Action.VIEW_COMMITTEE, "Committee#*")
    return [_coverage(session, c) for c in administered]


def _coverage(session: Session, committee: Committee) -> Coverage:
    ids = committee_ids_under(session, committee.id)
    branches = {b.id: b for b in branches_of_committee(session, committee.id)}
    orgs = list(session.scalars(select(SocialOrg).where(SocialOrg.committee_id.in_(ids)).order_by(SocialOrg.id)))
    org_ids = [o.id for o in orgs]
    looked_after = set(session.scalars(
        select(RoleGrant.scope_id).where(RoleGrant.scope_type == "organization",
                                         RoleGrant.role.in_(("liaison", "instructor")),
                                         RoleGrant.scope_id.in_(org_ids)))) if org_ids else set()
    with_own = sum(1 for o in orgs if o.branch_id in branches and branches[o.branch_id].formation == "single")
    covered = [o for o in orgs if o.branch_id is not None or o.id in looked_after]

    by_formation: Counter[str] = Counter({f: 0 for f in FORMATIONS})
    by_formation.update(b.formation for b in branches.values())
    counts = full_member_counts(session, list(branches))
    children: dict[int, list[int]] = defaultdict(list)
    for b in branches.values():
        if b.parent_id is not None:
            children[b.parent_id].append(b.id)

    def total(bid: int) -> int:
        return counts.get(bid, 0) + sum(total(c) for c in children[bid])

    below = [(b, total(b.id)) for b in branches.values() if b.kind == "full" and total(b.id) < MIN_FULL_MEMBERS]
    return Coverage(
        committee=committee,
        organizations=len(orgs),
        with_own_branch=with_own,
        covered=len(covered),
        branches_by_formation=dict(by_formation),
        below_minimum=below,
        uncovered=[o.name for o in orgs if o not in covered],
    )
