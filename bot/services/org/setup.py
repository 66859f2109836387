"""Setting up a real organization: committees, party organizations, social organizations and who holds
which role. The operator does this through `flask --app bot org …`; a committee's admin may do the same
inside their committee (the rules are the same for both)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.infra.db import added
from bot.infra.text import in_id_range
from bot.models import Branch, Committee, Member, RoleGrant, SocialOrg
from bot.services.authz import Action, Actor, Operator, require
from bot.services.errors import Conflict, Invalid, PermissionDenied
from bot.services.org.structure import get_branch, get_committee, mobile_number

COMMITTEE_KINDS = ("comprehensive", "industry", "two_new")
FORMATIONS = ("single", "joint", "attached")
BRANCH_KINDS = ("full", "functional")
# The scope each role is held in (authz reads grants this way): a secretary or committee member acts on
# a party organization, an admin on a committee, an instructor or liaison on social organizations.
ROLE_SCOPES = {"secretary": "branch", "committee_member": "branch", "admin": "committee",
               "instructor": "organization", "liaison": "organization",
               "verifier": "committee"}  # 验收人: closes (销号) or returns 整改 items of the committee's subtree
NAME_MAX = 100


def _name(value: str, limit: int = NAME_MAX) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise Invalid("setup_name_missing")
    if len(name) > limit:
        raise Invalid("setup_name_too_long", limit=limit)
    return name


def add_committee(session: Session, *, actor: Actor, name: str, parent_id: int | None = None,
                  kind: str = "comprehensive") -> Committee:
    """A committee (综合党委, 行业党委, "两新"工委), at the top (the operator only) or under a parent (whose
    admin may add it)."""
    if kind not in COMMITTEE_KINDS:
        raise Invalid("setup_committee_kind", kinds="、".join(COMMITTEE_KINDS))
    if parent_id is None:
        if not isinstance(actor, Operator):
            raise PermissionDenied("forbidden")
    else:
        require(session, actor, Action.MANAGE_ORGANIZATIONS, get_committee(session, parent_id))
    committee = Committee(name=_name(name), parent_id=parent_id, kind=kind)
    if not added(session, committee):
        raise Conflict("setup_committee_taken", name=committee.name)
    return committee


def add_branch(session: Session, *, actor: Actor, committee_id: int, name: str, formation: str,
               kind: str) -> Branch:
    """A party organization under a committee: formed alone, jointly or attached (单独/联合/挂靠组建),
    建制型 (holds 支委会) or 功能性."""
    if formation not in FORMATIONS:
        raise Invalid("setup_branch_formation", values="、".join(FORMATIONS))
    if kind not in BRANCH_KINDS:
        raise Invalid("setup_branch_kind", values="、".join(BRANCH_KINDS))
    committee = get_committee(session, committee_id)
    require(session, actor, Action.MANAGE_ORGANIZATIONS, committee)
    branch = Branch(committee_id=committee.id, name=_name(name), formation=formation, kind=kind,
                    has_committee=kind == "full")
    if not added(session, branch):
        raise Conflict("setup_branch_taken", name=branch.name)
    return branch


@dataclass(frozen=True)
class Granted:
    grant: RoleGrant
    member: Member
    member_created: bool  # a committee staffer who was not on any roster yet
    already: bool  # the member held this role in this scope before


def grant_role(session: Session, *, actor: Actor, phone: str, role: str, scope: str,
               name: str | None = None) -> Granted:
    """Give the member with this mobile number a role in a scope ("committee:ID", "branch:ID",
    "organization:ID"). A number nobody holds yet, given with a name, becomes a committee staffer who
    belongs to no branch (an admin, an instructor). Granting again changes nothing."""
    if role not in ROLE_SCOPES:
        raise Invalid("setup_role_unknown", roles="、".join(ROLE_SCOPES))
    scope_type, _, raw_id = scope.partition(":")
    if scope_type != ROLE_SCOPES[role] or not raw_id.isascii() or not raw_id.isdigit():
        raise Invalid("setup_role_scope", role=role, scope_type=ROLE_SCOPES[role])
    target = _scope_target(session, scope_type, int(raw_id))
    committee = target if isinstance(target, Committee) else get_committee(session, target.committee_id)
    require(session, actor, Action.MANAGE_ORGANIZATIONS, committee)
    number = mobile_number(phone)
    if number is None:
        raise Invalid("mobile_phone_format")
    member = session.scalar(select(Member).where(Member.phone == number))
    created = False
    if member is None:
        if not name or not name.strip():
            raise Invalid("setup_grant_needs_name")
        member = Member(name=_name(name, 50), phone=number, branch_id=None)
        if not added(session, member):
            raise Conflict("setup_phone_taken")
        created = True
    existing = session.scalar(select(RoleGrant).where(
        RoleGrant.member_id == member.id, RoleGrant.role == role, RoleGrant.scope_type == scope_type,
        RoleGrant.scope_id == target.id))
    if existing is not None:
        return Granted(existing, member, created, True)
    grant = RoleGrant(member_id=member.id, role=role, scope_type=scope_type, scope_id=target.id)
    if not added(session, grant):
        raise Conflict("setup_grant_race")
    if role == "committee_member" and member.branch_id == target.id:
        member.is_committee_member = True
    return Granted(grant, member, created, False)


def _scope_target(session: Session, scope_type: str, ident: int) -> Committee | Branch | SocialOrg:
    if scope_type == "committee":
        return get_committee(session, ident)
    if scope_type == "branch":
        return get_branch(session, ident)
    org = session.get(SocialOrg, ident) if in_id_range(ident) else None
    if org is None:
        raise Invalid("setup_organization_not_found", id=ident)
    return org
