"""Who receives a notice about an organization: the holders of a role over it (set-based, for sweeps)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.models import Member, RoleGrant


def role_holders(role: str, scope_type: str, scope_id: Any) -> ColumnElement[bool]:
    """A join condition: RoleGrant rows granting `role` over `scope_type` `scope_id` (a value or a column)."""
    return and_(RoleGrant.role == role, RoleGrant.scope_type == scope_type, RoleGrant.scope_id == scope_id)


def active_holders(session: Session, role: str, scope_type: str, scope_ids: Iterable[int]) -> dict[int, list[int]]:
    """scope id -> the active members holding `role` over it, in one query."""
    out: dict[int, list[int]] = defaultdict(list)
    ids = list(scope_ids)
    if not ids:
        return out
    for member_id, scope_id in session.execute(
        select(RoleGrant.member_id, RoleGrant.scope_id).join(Member, Member.id == RoleGrant.member_id)
        .where(RoleGrant.role == role, RoleGrant.scope_type == scope_type, RoleGrant.scope_id.in_(ids),
               Member.active.is_(True))
    ):
        out[scope_id].append(member_id)
    return out


def admins_by_committee(session: Session, committee_ids: Iterable[int]) -> dict[int, list[int]]:
    return active_holders(session, "admin", "committee", committee_ids)


def secretaries_by_branch(session: Session, branch_ids: Iterable[int]) -> dict[int, list[int]]:
    return active_holders(session, "secretary", "branch", branch_ids)
