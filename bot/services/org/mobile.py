"""流动党员: registering a member of another branch with a host branch (一方隶属、多重管理).

A registered member stays in their own branch (registration moves nobody and changes no count of the home
branch); with the host branch they may check in to its meetings other than 支委会 and 党小组会
(checkin.OWN_MEMBERS_ONLY), are reminded of those meetings, and the host's secretary may read their
record. The host's secretary finds the member by mobile number, the one identity that crosses branches
(the roster's rule), and sees the name, the home branch and a masked number back, nothing more.

Whom a host may find: members of branches in the host's own committee tree (the committees under the
host's topmost committee, which is one deployment's organization). A number outside it, like a number
nobody has, is answered "not found" without a name, and ending a registration names only a member
registered with the host. Every lookup by phone is written to the personal-data access log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.infra.db import insert_for
from bot.models import Branch, Member, MobileRegistration
from bot.services import authz
from bot.services.authz import Action, Actor, committee_chain
from bot.services.errors import Conflict, Invalid, NotFound
from bot.services.notify import delivery as notify
from bot.services.notify.outbox import enqueue
from bot.services.org.structure import log_phone_lookup, mask_phone, member_by_phone, normalize_phone


@dataclass(frozen=True)
class Registration:
    member: Member
    home: str | None  # the member's own branch, by name (None: in no branch)
    phone: str  # masked
    created: bool  # False: they were registered with this branch already


@dataclass(frozen=True)
class MobileMember:
    """A member registered with a host branch, as its secretary sees them."""

    name: str
    home: str | None  # their own branch, by name
    phone: str  # masked


def _home_name(session: Session, member: Member) -> str | None:
    home = session.get(Branch, member.branch_id) if member.branch_id else None
    return home.name if home else None


def _tree_root(session: Session, committee_id: int) -> int:
    """The topmost committee above (or being) `committee_id`."""
    return committee_chain(session, committee_id)[-1]


def _in_host_tree(session: Session, member: Member, host: Branch) -> bool:
    """Is the member's own branch in the host's committee tree? (A member in no branch is in none.)"""
    if member.branch_id is None:
        return False
    home_committee = session.scalar(select(Branch.committee_id).where(Branch.id == member.branch_id))
    return home_committee is not None and \
        _tree_root(session, home_committee) == _tree_root(session, host.committee_id)


def _findable(session: Session, actor: Actor | None, host: Branch, phone: str) -> Member:
    """The member with this number whom `host` may register (in its committee tree), the lookup logged;
    anyone else, like nobody, is NotFound("mobile_nobody") with the masked number and no name."""
    number = normalize_phone(phone)
    member = member_by_phone(session, number)
    if member is None or not _in_host_tree(session, member, host):
        log_phone_lookup(actor, number, member, "nobody" if member is None else "out_of_scope")
        raise NotFound("mobile_nobody", phone=mask_phone(number))
    log_phone_lookup(actor, number, member, "found")
    return member


def register(session: Session, *, actor: Actor | None, host: Branch, phone: str, now: datetime) -> Registration:
    """Register the member with this mobile number with `host`; repeating it changes nothing."""
    authz.require(session, actor, Action.REGISTER_MOBILE, host)
    member = _findable(session, actor, host, phone)
    if not member.active:
        raise Invalid("mobile_inactive", name=member.name)
    if member.branch_id == host.id:
        raise Conflict("mobile_own_member", name=member.name, branch=host.name)
    home = _home_name(session, member)
    # One statement: the unique (member, host) pair decides, so a repeat or a concurrent registration adds nothing.
    added = session.execute(
        insert_for(session)(MobileRegistration)
        .values(member_id=member.id, host_branch_id=host.id, created_at=now)
        .on_conflict_do_nothing(index_elements=["member_id", "host_branch_id"])
        .returning(MobileRegistration.id)).scalar()
    if added is not None:  # the member and their own branch's secretary are told (一方隶属: the home branch knows)
        facts = {"name": member.name, "host": host.name, "host_branch_id": host.id}
        enqueue(session, kind="mobile_registered", recipient_id=member.id, due_at=now, now=now,
                params={**facts, "audience": "member"},
                subject_type="mobile_registration", subject_id=int(added), slot="member")
        home_secretary = notify.secretary_for(session, member.id)
        if home_secretary is not None:
            enqueue(session, kind="mobile_registered", recipient_id=home_secretary.id, due_at=now, now=now,
                    params={**facts, "audience": "home_secretary"},
                    subject_type="mobile_registration", subject_id=int(added), slot="home_secretary")
    return Registration(member, home, mask_phone(member.phone), added is not None)


def unregister(session: Session, *, actor: Actor | None, host: Branch, phone: str) -> Member:
    """End the member's registration with `host` (their own branch is untouched). Only a member registered
    with `host` is found (and named); any other number is "not registered here", without a name."""
    authz.require(session, actor, Action.REGISTER_MOBILE, host)
    number = normalize_phone(phone)
    member = member_by_phone(session, number)
    registration = None if member is None else session.scalar(select(MobileRegistration).where(
        MobileRegistration.member_id == member.id, MobileRegistration.host_branch_id == host.id))
    if member is None or registration is None:
        log_phone_lookup(actor, number, member, "nobody" if member is None else "not_registered")
        raise NotFound("mobile_not_registered", phone=mask_phone(number), branch=host.name)
    log_phone_lookup(actor, number, member, "found")
    session.delete(registration)
    session.flush()
    return member


def registered_with(session: Session, *, actor: Actor | None, host: Branch) -> list[MobileMember]:
    """The members registered with `host`, each with their own branch's name, by name."""
    authz.require(session, actor, Action.VIEW_BRANCH, host)
    members = session.scalars(
        select(Member).join(MobileRegistration, MobileRegistration.member_id == Member.id)
        .where(MobileRegistration.host_branch_id == host.id).order_by(Member.name, Member.id))
    return [MobileMember(m.name, _home_name(session, m), mask_phone(m.phone)) for m in members]
