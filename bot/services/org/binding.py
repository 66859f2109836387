"""Binding a WeChat openid to a member: 6-digit invitation codes a secretary issues, and `绑定 123456`.

Codes live in the database (a partial unique index keeps at most one live code per value); the count
of wrong tries per openid lives in the store, which is a guard, not a record. If the store is down,
binding is refused for now rather than left without its brute-force guard.
"""

from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.infra.db import added
from bot.infra.store import Store, StoreUnavailable
from bot.models import BindCode, Branch, Member
from bot.services.authz import Action, Actor, require
from bot.services.errors import Conflict, Invalid, NotFound, TryLater
from bot.services.org.structure import log_phone_lookup, mask_phone, member_by_phone, members_for, normalize_phone

log = logging.getLogger("zhibu.binding")

CODE_RE = re.compile(r"\d{6}")


@dataclass(frozen=True)
class BindPolicy:
    code_ttl: timedelta = timedelta(hours=72)
    max_failures: int = 5
    failure_window: int = 600  # seconds in which max_failures wrong tries lock binding
    lock_seconds: int = 3600

    @classmethod
    def from_settings(cls, cfg: Any) -> BindPolicy:
        return cls(
            code_ttl=timedelta(hours=cfg["BIND_CODE_TTL_HOURS"]),
            max_failures=cfg["BIND_MAX_FAILURES"],
            failure_window=cfg["BIND_FAILURE_WINDOW"],
            lock_seconds=cfg["BIND_LOCK_SECONDS"],
        )


# -- issuing -------------------------------------------------------------------------------------
class Candidate(NamedTuple):
    """One of several members a name fits, as the inviter sees them."""

    id: int
    name: str
    branch: str | None
    phone: str  # masked


@dataclass(frozen=True)
class Invitation:
    member: Member
    code: BindCode
    was_bound: bool  # the member had bound a WeChat account: the new code moves them to another


def invite(session: Session, *, actor: Member, query: str, now: datetime,
           policy: BindPolicy = BindPolicy()) -> Invitation:
    """邀请: a fresh code for the member `actor` means by a name, `#id` or mobile number (structure.members_for),
    among those they may invite.
    Several fit: Conflict("invite_ambiguous") listing them (masked), so the inviter answers with an id."""
    mine = members_for(session, actor, query, Action.INVITE_MEMBER, active_only=True)
    if len(mine) > 1:
        choices = []
        for m in mine:
            branch = session.get(Branch, m.branch_id) if m.branch_id else None
            choices.append(Candidate(m.id, m.name, branch.name if branch else None, mask_phone(m.phone)))
        raise Conflict("invite_ambiguous", name=query.strip(), choices=choices)
    member = mine[0]
    was_bound = bool(member.openid)
    return Invitation(member, _issue(session, actor, member, now, policy), was_bound)


def issue_code(session: Session, *, actor: Actor, member: Member, now: datetime,
               policy: BindPolicy = BindPolicy()) -> BindCode:
    """A fresh 6-digit code for `member`; earlier live codes for them stop working."""
    require(session, actor, Action.INVITE_MEMBER, member)
    return _issue(session, actor, member, now, policy)


def invite_by_phone(session: Session, *, actor: Actor, phone: str, now: datetime,
                    policy: BindPolicy = BindPolicy()) -> Invitation:
    """A fresh code for the member with this mobile number (the operator's `org invite --phone`: a new
    committee's admin is invited before anyone in chat could invite them). The lookup is logged."""
    number = normalize_phone(phone)
    member = member_by_phone(session, number)
    log_phone_lookup(actor, number, member, "found" if member is not None else "nobody")
    if member is None:
        raise NotFound("member_phone_not_found", phone=mask_phone(number))
    was_bound = bool(member.openid)
    return Invitation(member, issue_code(session, actor=actor, member=member, now=now, policy=policy), was_bound)


def _issue(session: Session, actor: Actor, member: Member, now: datetime, policy: BindPolicy) -> BindCode:
    if not member.active:
        raise Invalid("invite_member_inactive", name=member.name)
    for old in session.scalars(select(BindCode).where(BindCode.member_id == member.id, BindCode.used_at.is_(None),
                                                      BindCode.revoked_at.is_(None))):
        old.revoked_at = now
    session.flush()
    for _ in range(50):
        value = f"{secrets.randbelow(10**6):06d}"
        clash = session.scalars(select(BindCode).where(BindCode.code == value, BindCode.used_at.is_(None),
                                                       BindCode.revoked_at.is_(None))).first()
        if clash is not None:
            if clash.expires_at > now:
                continue
            clash.revoked_at = now  # an expired code gives its value back
        code = BindCode(code=value, member_id=member.id, issued_by_id=actor.id, expires_at=now + policy.code_ttl,
                        created_at=now)
        if not added(session, code):  # another issuer took the same value at the same moment
            continue
        log.info("bind code issued: member=%s by=%s expires=%s", member.id,
                 actor.id if actor.id is not None else f"operator {getattr(actor, 'who', '')}",
                 code.expires_at.isoformat())
        return code
    raise TryLater("bind_codes_busy")


# -- binding -------------------------------------------------------------------------------------
def _fail_key(openid: str) -> str:
    return f"bind:fail:{openid}"


def _lock_key(openid: str) -> str:
    return f"bind:lock:{openid}"


def locked_for(store: Store, openid: str) -> int:
    """Seconds binding stays locked for this openid (0: not locked)."""
    if store.get(_lock_key(openid)) is None:
        return 0
    return max(store.ttl(_lock_key(openid)), 1)


def _record_failure(store: Store, openid: str, policy: BindPolicy, reason: str) -> dict[str, int]:
    """Count a wrong try; returns what the refusal adds: the tries left, or the lock just set
    (`locked_after` tries, for `lock_minutes`)."""
    count = store.incr(_fail_key(openid), ex=policy.failure_window)
    log.warning("bind failed: openid=%s reason=%s try=%s", openid, reason, count)
    if count >= policy.max_failures:
        store.set(_lock_key(openid), "1", ex=policy.lock_seconds)
        store.delete(_fail_key(openid))
        log.warning("bind locked: openid=%s for %ss", openid, policy.lock_seconds)
        return {"locked_after": policy.max_failures, "lock_minutes": policy.lock_seconds // 60}
    return {"tries_left": policy.max_failures - count}


@dataclass(frozen=True)
class Bound:
    member: Member
    branch: str | None  # the member's branch, by name
    already: bool  # this WeChat account was bound to the member already: nothing changed


def bind(session: Session, store: Store, *, openid: str, code: str, now: datetime,
         policy: BindPolicy = BindPolicy()) -> Bound:
    """Bind `openid` to the member the code was issued for (the code is the authority); refusals say why."""
    code = code.strip()
    holder = session.scalars(select(Member).where(Member.openid == openid)).first()
    if holder is not None and not _moves_elsewhere(session, code, holder, now):
        # Already bound: say so; a wrong or used code from a bound account is no attempt on a code.
        branch = session.get(Branch, holder.branch_id) if holder.branch_id else None
        return Bound(holder, branch.name if branch else None, already=True)
    if not CODE_RE.fullmatch(code):
        raise Invalid("bind_format")
    try:
        wait = locked_for(store, openid)
        if wait:
            raise TryLater("bind_locked", minutes=(wait + 59) // 60)
        return _bind(session, store, openid, code, now, policy)
    except StoreUnavailable as exc:
        log.warning("store unavailable: binding refused for %s", openid)
        raise TryLater("bind_unavailable") from exc


def _moves_elsewhere(session: Session, code: str, holder: Member, now: datetime) -> bool:
    """Is `code` a live code for another member than the one this account is bound to (then binding
    goes on and is refused as bind_openid_taken, as before)?"""
    if not CODE_RE.fullmatch(code):
        return False
    live = session.scalars(select(BindCode).where(BindCode.code == code, BindCode.used_at.is_(None),
                                                  BindCode.revoked_at.is_(None), BindCode.expires_at > now)).first()
    return live is not None and live.member_id != holder.id


def _bind(session: Session, store: Store, openid: str, code: str, now: datetime, policy: BindPolicy) -> Bound:
    rows = list(session.scalars(select(BindCode).where(BindCode.code == code).order_by(BindCode.id.desc())))
    live = next((r for r in rows if r.used_at is None and r.revoked_at is None), None)
    if live is None or live.expires_at <= now:
        if live is not None:
            reason = "expired"
        elif rows and rows[0].used_at is not None:
            reason = "used"
        elif rows:
            reason = "revoked"
        else:
            reason = "wrong"
        raise Invalid(f"bind_code_{reason}", **_record_failure(store, openid, policy, reason))

    member = session.get(Member, live.member_id)
    if member is None or not member.active:
        raise Invalid("bind_code_revoked")
    holder = session.scalars(select(Member).where(Member.openid == openid)).first()
    if holder is not None and holder.id != member.id:
        raise Conflict("bind_openid_taken", name=holder.name)
    # Claim the code with a guarded UPDATE: of two people racing with one code, exactly one wins.
    claimed = session.execute(
        update(BindCode)
        .where(BindCode.id == live.id, BindCode.used_at.is_(None), BindCode.revoked_at.is_(None))
        .values(used_at=now, used_by_openid=openid)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise Invalid("bind_code_used")
    if member.openid != openid:
        if member.openid:
            log.info("member %s rebinds from another openid", member.id)
        member.openid = openid
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("bind_race") from exc
    store.delete(_fail_key(openid))
    log.info("bound: member=%s openid=%s", member.id, openid)
    branch = session.get(Branch, member.branch_id) if member.branch_id else None
    return Bound(member, branch.name if branch else None, already=holder is not None)
