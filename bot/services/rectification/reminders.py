"""What is due for 整改: 7 and 1 days before an item's deadline, whoever answers for it is reminded (its
owner; an item without one, its branch's secretaries); the day after, an item not closed is flagged overdue
to them and the committee's admins. Returns outbox.Due items; writes nothing. Set-based: one query per step
and one for the overdue items, whatever their number."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.models import Member, Notification, RectificationItem
from bot.models.rectification import OPEN_FOR_OWNER
from bot.services.notify.outbox import Due, not_written
from bot.services.notify.recipients import admins_by_committee, secretaries_by_branch
from bot.services.notify.timing import daily_due, step_ranges

RECTIFICATION_STEPS = (7, 1)
OVERDUE_LOOKBACK_DAYS = 3  # after an outage, overdue items this recent are still flagged; older ones not


def reminders_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    day = today(now, settings)
    at = daily_due(now, settings)
    due: list[Due] = []
    item = RectificationItem
    for step, first, last in step_ranges(RECTIFICATION_STEPS):
        slot = f"d{step}"
        soon = session.execute(
            select(item.id, item.problem, item.deadline, item.owner_id, item.branch_id)
            .where(item.deadline >= day + timedelta(days=first), item.deadline <= day + timedelta(days=last),
                   item.status.in_(OPEN_FOR_OWNER),
                   or_(item.owner_id.is_(None),
                       not_written("rectification_due", "rectification", item.id, slot, item.owner_id)))
        ).all()
        secretaries = secretaries_by_branch(session, {r[4] for r in soon if r[3] is None and r[4] is not None})
        written = _written(session, "rectification_due", slot, [r[0] for r in soon if r[3] is None])
        for iid, problem, deadline, owner, branch_id in soon:
            params = {"item_id": iid, "problem": problem, "deadline": deadline.isoformat(),
                      "days": (deadline - day).days}
            for rid in _answerers(owner, branch_id, secretaries):
                if owner is None and (iid, rid) in written:
                    continue
                due.append(Due("rectification_due", rid, "rectification", iid, slot, at, params))
    overdue = session.execute(
        select(item.id, item.problem, item.deadline, item.owner_id, item.committee_id, Member.name, item.branch_id,
               item.status)
        .outerjoin(Member, Member.id == item.owner_id)
        .where(item.deadline < day, item.deadline >= day - timedelta(days=OVERDUE_LOOKBACK_DAYS),
               item.status != "closed",
               ~exists().where(Notification.subject_type == "rectification", Notification.subject_id == item.id,
                               Notification.slot == "overdue", Notification.kind == "rectification_overdue"))
    ).all()
    admins = admins_by_committee(session, {row[4] for row in overdue})
    secretaries = secretaries_by_branch(session, {r[6] for r in overdue if r[3] is None and r[6] is not None})
    for iid, problem, deadline, owner_id, committee_id, owner_name, branch_id, status in overdue:
        params = {"item_id": iid, "problem": problem, "owner": owner_name, "deadline": deadline.isoformat(),
                  "with_branch": branch_id is not None, "submitted": status == "awaiting_verification"}
        owners = _answerers(owner_id, branch_id, secretaries)
        due += [Due("rectification_overdue", rid, "rectification", iid, "overdue", at, {**params, "to_owner": True})
                for rid in owners]
        due += [Due("rectification_overdue", rid, "rectification", iid, "overdue", at, {**params, "to_owner": False})
                for rid in admins.get(committee_id, []) if rid not in owners]
    return due


def _answerers(owner_id: int | None, branch_id: int | None, secretaries: dict[int, list[int]]) -> list[int]:
    """The owner, or for an item without one its branch's secretaries (services.rectification.ledger.answerers)."""
    if owner_id is not None:
        return [owner_id]
    return sorted(secretaries.get(branch_id, [])) if branch_id is not None else []


def _written(session: Session, kind: str, slot: str, item_ids: list[int]) -> set[tuple[int, int | None]]:
    """(item, recipient) pairs already written for these owner-less items in this slot."""
    if not item_ids:
        return set()
    rows = session.execute(select(Notification.subject_id, Notification.recipient_id).where(
        Notification.kind == kind, Notification.subject_type == "rectification", Notification.slot == slot,
        Notification.subject_id.in_(item_ids)))
    return {(int(sid), rid) for sid, rid in rows if sid is not None}
