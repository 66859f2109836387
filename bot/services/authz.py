"""Who may do what: one function every channel calls (chat, API, admin pages, CLI).

A role is held with a scope (RoleGrant): a secretary or committee member acts on their own branch and
the branches under it, an admin on their committee's subtree, an instructor or liaison on the
organizations assigned to them (and the branch covering them, read-only). Every member may act on
their own record.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NoReturn

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.infra.db import Unit
from bot.infra.fastpath import FastRead
from bot.models import (
    Branch,
    Committee,
    Meeting,
    Member,
    MobileRegistration,
    ReviewReviewer,
    ReviewRound,
    RoleGrant,
    SocialOrg,
    VolunteerTeamLeader,
)
from bot.services.errors import PermissionDenied

log = logging.getLogger("zhibu.authz")


class Action(StrEnum):
    VIEW_MEMBER = "view_member"
    INVITE_MEMBER = "invite_member"
    VIEW_BRANCH = "view_branch"
    MANAGE_MEETING = "manage_meeting"
    CHECKIN_OTHERS = "checkin_others"
    RECORD_MINUTES = "record_minutes"
    APPROVE_LEAVE = "approve_leave"
    VIEW_ATTENDANCE = "view_attendance"
    VIEW_MINUTES = "view_minutes"  # 查看记录: the branch's members (own branch) and the committee's staff
    VIEW_COMPLIANCE = "view_compliance"
    IMPORT_ROSTER = "import_roster"
    EXPORT_ROSTER = "export_roster"  # with full phone numbers: personal data leaves the system
    VIEW_COMMITTEE = "view_committee"
    REGISTER_MOBILE = "register_mobile"  # register another branch's member as 流动党员 with this branch
    MANAGE_ORGANIZATIONS = "manage_organizations"  # register the social organizations a committee covers
    # 述职评议: open, return and close rounds (committee staff); submit (the branch's secretary); read.
    # Grading is for the reviewers named for a round (services.review checks the name, not a role).
    MANAGE_REVIEW = "manage_review"
    SUBMIT_REVIEW = "submit_review"
    VIEW_REVIEW = "view_review"
    # 整改台账: add items, close (销号) or return them (committee staff); read the ledger and its figures.
    # Answering an item is for its owner (services.rectification checks the owner, not a role).
    MANAGE_RECTIFICATION = "manage_rectification"
    VIEW_RECTIFICATION = "view_rectification"
    # 志愿服务: teams and activities, confirming records (the secretary; team leaders by their team), exports.
    MANAGE_VOLUNTEER = "manage_volunteer"
    CONFIRM_VOLUNTEER = "confirm_volunteer"
    VIEW_VOLUNTEER = "view_volunteer"
    # 年检: record filings and results (committee staff); read an organization's status and draft.
    RECORD_INSPECTION = "record_inspection"
    VIEW_INSPECTION = "view_inspection"


# Which roles may take each action (within their scope). Reading actions include instructors.
ALLOWED: dict[Action, frozenset[str]] = {
    Action.VIEW_MEMBER: frozenset({"secretary", "committee_member", "admin", "instructor"}),
    Action.INVITE_MEMBER: frozenset({"secretary", "admin"}),
    Action.VIEW_BRANCH: frozenset({"secretary", "committee_member", "admin", "instructor", "liaison"}),
    Action.MANAGE_MEETING: frozenset({"secretary", "admin"}),
    Action.CHECKIN_OTHERS: frozenset({"secretary", "committee_member"}),
    Action.RECORD_MINUTES: frozenset({"secretary", "committee_member"}),
    Action.APPROVE_LEAVE: frozenset({"secretary", "committee_member"}),
    Action.VIEW_ATTENDANCE: frozenset({"secretary", "committee_member", "admin", "instructor"}),
    Action.VIEW_COMPLIANCE: frozenset({"secretary", "committee_member", "admin", "instructor"}),
    Action.VIEW_MINUTES: frozenset({"secretary", "committee_member", "admin", "instructor"}),
    Action.IMPORT_ROSTER: frozenset({"secretary", "admin"}),
    Action.EXPORT_ROSTER: frozenset({"secretary", "admin"}),
    Action.VIEW_COMMITTEE: frozenset({"admin"}),
    Action.REGISTER_MOBILE: frozenset({"secretary", "admin"}),
    Action.MANAGE_ORGANIZATIONS: frozenset({"admin"}),
    Action.MANAGE_REVIEW: frozenset({"admin"}),
    Action.SUBMIT_REVIEW: frozenset({"secretary"}),
    Action.VIEW_REVIEW: frozenset({"secretary", "committee_member", "admin", "instructor"}),
    Action.MANAGE_RECTIFICATION: frozenset({"admin"}),
    Action.VIEW_RECTIFICATION: frozenset({"secretary", "committee_member", "admin", "instructor", "liaison"}),
    Action.MANAGE_VOLUNTEER: frozenset({"secretary", "admin"}),
    Action.CONFIRM_VOLUNTEER: frozenset({"secretary"}),
    Action.VIEW_VOLUNTEER: frozenset({"secretary", "committee_member", "admin", "instructor"}),
    Action.RECORD_INSPECTION: frozenset({"admin"}),
    Action.VIEW_INSPECTION: frozenset({"secretary", "committee_member", "admin", "instructor", "liaison"}),
}
# A host branch reads the record of a mobile member registered with it; the home branch manages them.
HOST_BRANCH_READS = {Action.VIEW_MEMBER}
READ_ONLY_FOR_INSTRUCTOR = {Action.VIEW_MEMBER, Action.VIEW_BRANCH, Action.VIEW_ATTENDANCE, Action.VIEW_COMPLIANCE,
                            Action.VIEW_MINUTES, Action.VIEW_RECTIFICATION, Action.VIEW_INSPECTION}

Target = Member | Branch | Meeting | SocialOrg | Committee


@dataclass(frozen=True, slots=True)
class Operator:
    """The server's operator acting through the CLI: whoever can run `flask --app bot …` can already read
    the database, so the operator holds every right. `who` names them (the OS user) in the log of
    every check they pass."""

    who: str
    active: bool = True
    id: None = None


Actor = Member | Operator


def grants(session: Session, member: Member) -> list[RoleGrant]:
    return list(session.scalars(select(RoleGrant).where(RoleGrant.member_id == member.id)))


def role_names(session: Session, member: Member | None) -> set[str]:
    """The names of the roles a member holds anywhere; 'member' for every bound party member."""
    if member is None:
        return set()
    return names_of(member, (g.role for g in grants(session, member)))


def names_of(member: Member | Sender, granted: Iterable[str | None]) -> set[str]:
    """Role names from a member's granted roles: 'member' added for everyone in a branch."""
    names = {role for role in granted if role}
    if member.branch_id is not None:
        names.add("member")
    return names


@dataclass(frozen=True, slots=True)
class Sender:
    """A member as the hot paths need them (the one who wrote, the one who scanned): read in one light
    query (a Core statement, no ORM object) or taken from a loaded Member (Sender.of). Handlers that need
    the full record use Context.member."""

    id: int
    name: str
    branch_id: int | None
    group_id: int | None
    is_committee_member: bool
    active: bool

    @classmethod
    def of(cls, member: Member) -> Sender:
        """The light record of a loaded member (pages and 代签 act on an ORM Member)."""
        return cls(id=member.id, name=member.name, branch_id=member.branch_id, group_id=member.group_id,
                   is_committee_member=member.is_committee_member, active=member.active)


# Roles held by being named rather than granted, read with the sender: 'reviewer' while named for an open
# 述职评议 round, 'team_leader' while leading a volunteer team (服务队). They show a member their commands in
# 帮助; each capability checks the naming itself when the command runs.
_NAMED_REVIEWER = (select(ReviewReviewer.id).join(ReviewRound, ReviewRound.id == ReviewReviewer.round_id)
                   .where(ReviewReviewer.member_id == Member.id, ReviewRound.status == "open").exists())
_NAMED_LEADER = select(VolunteerTeamLeader.id).where(VolunteerTeamLeader.member_id == Member.id).exists()
_SENDER = FastRead(
    select(Member.id, Member.name, Member.branch_id, Member.group_id, Member.is_committee_member, Member.active,
           _NAMED_REVIEWER, _NAMED_LEADER, RoleGrant.role)
    .outerjoin(RoleGrant, RoleGrant.member_id == Member.id)
    .where(Member.openid == bindparam("openid"))
)


def sender_with_roles(unit: Unit, openid: str) -> tuple[Sender | None, set[str]]:
    """The member bound to an openid and their role names, in one query (the webhook's hot path): run
    through the action's Unit, outside any transaction that has not written yet. One row per role held."""
    rows = unit.read(_SENDER, openid=openid)
    if not rows:
        return None, set()
    member_id, name, branch_id, group_id, is_committee_member, active, reviewer, leader, _role = rows[0]
    sender = Sender(id=member_id, name=name, branch_id=branch_id, group_id=group_id,
                    is_committee_member=is_committee_member, active=active)
    named = ("reviewer" if reviewer else None, "team_leader" if leader else None)
    return sender, names_of(sender, (*(role for *_member, role in rows), *named))


def committee_chain(session: Session, committee_id: int) -> list[int]:
    """A committee and its ancestors, nearest first."""
    chain: list[int] = []
    current: int | None = committee_id
    while current is not None and current not in chain:
        chain.append(current)
        current = session.scalar(select(Committee.parent_id).where(Committee.id == current))
    return chain


def branch_chain(session: Session, branch_id: int) -> list[int]:
    """A branch and the party organizations above it, nearest first."""
    chain: list[int] = []
    current: int | None = branch_id
    while current is not None and current not in chain:
        chain.append(current)
        current = session.scalar(select(Branch.parent_id).where(Branch.id == current))
    return chain


def _scope_of(session: Session, target: Target) -> tuple[int | None, int | None, int | None]:
    """(branch_id, committee_id, organization_id) the target lives in."""
    if isinstance(target, Committee):
        return None, target.id, None
    if isinstance(target, SocialOrg):
        return target.branch_id, target.committee_id, target.id
    if isinstance(target, Branch):
        return target.id, target.committee_id, None
    branch_id = target.branch_id
    committee_id = None
    if branch_id is not None:
        committee_id = session.scalar(select(Branch.committee_id).where(Branch.id == branch_id))
    return branch_id, committee_id, None


def _grant_covers(session: Session, grant: RoleGrant, action: Action, target: Target) -> bool:
    branch_id, committee_id, org_id = _scope_of(session, target)
    if grant.scope_type == "committee":
        return committee_id is not None and grant.scope_id in committee_chain(session, committee_id)
    if grant.scope_type == "branch":
        if branch_id is not None and grant.scope_id in branch_chain(session, branch_id):
            return True
        if isinstance(target, Member) and action in HOST_BRANCH_READS:  # 流动党员: 一方隶属、多重管理
            hosts = session.scalars(select(MobileRegistration.host_branch_id)
                                    .where(MobileRegistration.member_id == target.id))
            return any(grant.scope_id in branch_chain(session, h) for h in hosts)
        return False
    if grant.scope_type == "organization":
        if action not in READ_ONLY_FOR_INSTRUCTOR:
            return False
        if org_id is not None:
            return grant.scope_id == org_id
        if branch_id is not None and not isinstance(target, Member):
            covered = session.scalars(select(SocialOrg.id).where(SocialOrg.branch_id == branch_id)).all()
            return grant.scope_id in covered
    return False


def can(session: Session, actor: Actor | None, action: Action, target: Target) -> bool:
    """May `actor` take `action` on `target`?"""
    if isinstance(actor, Operator):
        log.info("operator %s: %s on %s#%s", actor.who, action.value, type(target).__name__,
                 getattr(target, "id", None))
        return True
    if actor is None or not actor.active:
        return False
    if action == Action.VIEW_MEMBER and isinstance(target, Member) and target.id == actor.id:
        return True
    if action == Action.VIEW_MINUTES and isinstance(target, Meeting) and actor.branch_id is not None \
            and actor.branch_id == target.branch_id:
        return True  # a member reads the minutes of their own branch's meetings
    allowed = ALLOWED[action]
    return any(g.role in allowed and _grant_covers(session, g, action, target) for g in grants(session, actor))


def require(session: Session, actor: Actor | None, action: Action, target: Target) -> None:
    """Raise PermissionDenied (and log it) unless `actor` may take `action` on `target`."""
    if not can(session, actor, action, target):
        deny(actor, action, f"{type(target).__name__}#{getattr(target, 'id', None)}")


def deny(actor: Actor | None, action: Action, what: str) -> NoReturn:
    """Log a refusal and raise PermissionDenied; for callers that found nothing they may act on."""
    log.warning("denied: member=%s action=%s target=%s", actor.id if actor else None, action.value, what)
    raise PermissionDenied("forbidden")
