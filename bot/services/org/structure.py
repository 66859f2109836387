"""The organization tree: committees → party organizations → groups, the social organizations they
cover, the 统一社会信用代码 check, and the coverage figures a committee reads."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.chat import texts as M
from bot.models import Branch, Committee, Member, PartyGroup, RoleGrant, SocialOrg
from bot.services.authz import Action, can, require
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
        raise Invalid(M.CREDIT_CODE_LENGTH.format(n=len(value)))
    bad = [c for c in value if c not in CREDIT_CODE_CHARS]
    if bad:
        raise Invalid(M.CREDIT_CODE_CHARS.format(chars="".join(dict.fromkeys(bad))))
    if credit_code_check_char(value[:17]) != value[17]:
        raise Invalid(M.CREDIT_CODE_CHECK)
    return value


def create_social_org(
    session: Session,
    *,
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
    """Register a social organization under a committee, optionally covered by a branch."""
    code = validate_credit_code(credit_code)
    if org_type not in ORG_TYPES:
        raise Invalid(M.ORG_TYPE_UNKNOWN.format(value=org_type))
    if code[0] == CIVIL_AFFAIRS and code[1] != ORG_TYPE_CATEGORY[org_type]:
        raise Invalid(M.CREDIT_CODE_CATEGORY.format(type=M.ORG_TYPE_LABELS[org_type]))
    get_committee(session, committee_id)
    if branch_id is not None:
        branch = get_branch(session, branch_id)
        if committee_id not in committee_ids_under(session, branch.committee_id) and \
                branch.committee_id not in committee_ids_under(session, committee_id):
            raise Invalid(M.ORG_BRANCH_OTHER_COMMITTEE)
    org = SocialOrg(committee_id=committee_id, name=name.strip(), credit_code=code, org_type=org_type,
                    branch_id=branch_id, registrar=registrar, supervisor=supervisor,
                    board_term_ends=board_term_ends, full_member_count=full_member_count)
    try:
        with session.begin_nested():
            session.add(org)
    except IntegrityError as exc:
        raise Conflict(M.CREDIT_CODE_TAKEN.format(code=code)) from exc
    return org


# -- lookups -------------------------------------------------------------------------------------
def get_branch(session: Session, branch_id: int) -> Branch:
    branch = session.get(Branch, branch_id)
    if branch is None:
        raise NotFound(M.BRANCH_NOT_FOUND.format(id=branch_id))
    return branch


def get_committee(session: Session, committee_id: int) -> Committee:
    committee = session.get(Committee, committee_id)
    if committee is None:
        raise NotFound(M.COMMITTEE_NOT_FOUND.format(id=committee_id))
    return committee


def committee_ids_under(session: Session, committee_id: int) -> list[int]:
    """A committee and every committee below it."""
    found = [committee_id]
    frontier = [committee_id]
    while frontier:
        children = list(session.scalars(select(Committee.id).where(Committee.parent_id.in_(frontier))))
        children = [c for c in children if c not in found]
        found += children
        frontier = children
    return found


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


@dataclass
class TreeNode:
    kind: str  # committee | branch | group | org
    id: int
    name: str
    children: list[TreeNode] = field(default_factory=list)

    def render(self, depth: int = 0) -> list[str]:
        lines = ["  " * depth + self.name]
        for child in self.children:
            lines += child.render(depth + 1)
        return lines


def tree(session: Session, committee_id: int) -> TreeNode:
    """The committee's subtree: committees, party organizations (nested), groups and covered orgs."""
    root = get_committee(session, committee_id)
    ids = committee_ids_under(session, committee_id)
    committees = list(session.scalars(select(Committee).where(Committee.id.in_(ids))))
    branches = list(session.scalars(select(Branch).where(Branch.committee_id.in_(ids)).order_by(Branch.id)))
    branch_ids = [b.id for b in branches]
    groups = list(session.scalars(select(PartyGroup).where(PartyGroup.branch_id.in_(branch_ids))
                                  .order_by(PartyGroup.id)))
    orgs = list(session.scalars(select(SocialOrg).where(SocialOrg.committee_id.in_(ids)).order_by(SocialOrg.id)))

    nodes_c = {c.id: TreeNode("committee", c.id, c.name) for c in committees}
    nodes_b = {b.id: TreeNode("branch", b.id, b.name) for b in branches}
    for c in committees:
        if c.id != root.id and c.parent_id in nodes_c:
            nodes_c[c.parent_id].children.append(nodes_c[c.id])
    for b in branches:
        parent = nodes_b.get(b.parent_id) if b.parent_id else None
        (parent or nodes_c[b.committee_id]).children.append(nodes_b[b.id])
    for g in groups:
        nodes_b[g.branch_id].children.append(TreeNode("group", g.id, g.name))
    for o in orgs:
        holder = nodes_b.get(o.branch_id) if o.branch_id else None
        (holder or nodes_c[o.committee_id]).children.append(TreeNode("org", o.id, o.name))
    return nodes_c[root.id]


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


@dataclass
class BranchSummary:
    branch: Branch
    committee_name: str
    full: int
    probationary: int
    bound: int
    secretaries: list[str]
    groups: list[str]
    orgs: list[str]
    unbound: list[str]
    sub_branches: list[str]

    @property
    def below_minimum(self) -> bool:
        return self.branch.kind == "full" and self.branch.level == "branch" and self.full < MIN_FULL_MEMBERS


def branch_summary(session: Session, branch: Branch) -> BranchSummary:
    """What a secretary reads about their branch: counts, groups, covered organizations."""
    members = list(session.scalars(select(Member).where(Member.branch_id == branch.id, Member.active.is_(True))
                                   .order_by(Member.id)))
    secretaries = list(session.scalars(
        select(Member.name).join(RoleGrant, RoleGrant.member_id == Member.id)
        .where(RoleGrant.role == "secretary", RoleGrant.scope_type == "branch", RoleGrant.scope_id == branch.id)
        .order_by(Member.id)))
    committee = session.get(Committee, branch.committee_id)
    return BranchSummary(
        branch=branch,
        committee_name=committee.name if committee else "",
        full=sum(1 for m in members if m.status == "full"),
        probationary=sum(1 for m in members if m.status == "probationary"),
        bound=sum(1 for m in members if m.openid),
        secretaries=secretaries,
        groups=list(session.scalars(select(PartyGroup.name).where(PartyGroup.branch_id == branch.id)
                                    .order_by(PartyGroup.id))),
        orgs=list(session.scalars(select(SocialOrg.name).where(SocialOrg.branch_id == branch.id)
                                  .order_by(SocialOrg.id))),
        unbound=[m.name for m in members if not m.openid],
        sub_branches=list(session.scalars(select(Branch.name).where(Branch.parent_id == branch.id)
                                          .order_by(Branch.id))),
    )


# -- coverage ------------------------------------------------------------------------------------
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


def coverage(session: Session, committee_id: int) -> Coverage:
    """The committee's headline figures: 单独组建率, 覆盖率, branches by formation, small branches."""
    committee = get_committee(session, committee_id)
    ids = committee_ids_under(session, committee_id)
    branches = {b.id: b for b in branches_of_committee(session, committee_id)}
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


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def mask_phone(phone: str | None) -> str:
    """138****5678: how a phone number shows everywhere but the member's own view."""
    if not phone:
        return "—"
    if len(phone) >= 7:
        return phone[:3] + "****" + phone[-4:]
    return "****"


# -- who may be looked at ------------------------------------------------------------------------
def members_for(session: Session, actor: Member, query: str, action: Action, *,
                active_only: bool = False) -> list[Member]:
    """Members named `query` (or with id `#n`) on whom `actor` may take `action`. Nothing found: NotFound
    naming what was asked for; found but none allowed: PermissionDenied (logged)."""
    query = query.strip()
    if query.lstrip("#").isdigit():
        member = session.get(Member, int(query.lstrip("#")))
        if member is None or (active_only and not member.active):
            raise NotFound(M.MEMBER_ID_NOT_FOUND.format(id=query.lstrip("#")))
        found = [member]
    else:
        found = list(session.scalars(select(Member).where(Member.name == query, Member.active.is_(True))
                                     .order_by(Member.id)))
        if not found:
            raise NotFound(M.MEMBER_NAME_NOT_FOUND.format(name=query))
    allowed = [m for m in found if can(session, actor, action, m)]
    if not allowed:
        require(session, actor, action, found[0])  # logs and raises
    return allowed


def members_visible_to(session: Session, actor: Member, query: str) -> list[Member]:
    """Members named `query` (or with id `#n`) whose record `actor` may read; logs each read, since a
    member's record is personal data."""
    visible = members_for(session, actor, query, Action.VIEW_MEMBER)
    for m in visible:
        if m.id != actor.id:
            personal_log.info("personal data read: reader=%s member=%s fields=record", actor.id, m.id)
    return visible


def branches_visible_to(session: Session, actor: Member) -> list[Branch]:
    """The party organizations `actor` may read the summary of, own branch first."""
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


def committees_administered(session: Session, actor: Member) -> list[Committee]:
    ids = session.scalars(select(RoleGrant.scope_id).where(RoleGrant.member_id == actor.id,
                                                          RoleGrant.scope_type == "committee"))
    committees = [c for c in (session.get(Committee, i) for i in dict.fromkeys(ids)) if c is not None]
    return [c for c in committees if can(session, actor, Action.VIEW_COMMITTEE, c)]
