"""What is due for 整改: 7 and 1 days before an item's deadline, its owner is reminded; the day after, an
item not closed is flagged overdue to its owner and the committee's admins. Returns outbox.Due items;
writes nothing. Set-based: one query per step and one for the overdue items, whatever their number."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.models import Member, Notification, RectificationItem
from bot.models.rectification import OPEN_FOR_OWNER
from bot.services.notify.outbox import Due, not_written
from bot.services.notify.recipients import admins_by_committee
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
            select(item.id, item.problem, item.deadline, item.owner_id)
            .where(item.deadline >= day + timedelta(days=first), item.deadline <= day + timedelta(days=last),
                   item.status.in_(OPEN_FOR_OWNER), item.owner_id.is_not(None),
                   not_written("rectification_due", "rectification", item.id, slot, item.owner_id))
        ).all()
        for iid, problem, deadline, owner in soon:
            due.append(Due("rectification_due", owner, "rectification", iid, slot, at,
                           {"item_id": iid, "problem": problem, "deadline": deadline.isoformat(),
                            "days": (deadline - day).days}))
    overdue = session.execute(
        select(item.id, item.problem, item.deadline, item.owner_id, item.committee_id, Member.name)
        .outerjoin(Member, Member.id == item.owner_id)
        .where(item.deadline < day, item.deadline >= day - timedelta(days=OVERDUE_LOOKBACK_DAYS),
               item.status != "closed",
               ~exists().where(Notification.subject_type == "rectification", Notification.subject_id == item.id,
                               Notification.slot == "overdue", Notification.kind == "rectification_overdue"))
    ).all()
    admins = admins_by_committee(session, {row[4] for row in overdue})
    for iid, problem, deadline, owner_id, committee_id, owner_name in overdue:
        params = {"item_id": iid, "problem": problem, "owner": owner_name, "deadline": deadline.isoformat()}
        recipients = ([owner_id] if owner_id else []) + [a for a in admins.get(committee_id, []) if a != owner_id]
        due += [Due("rectification_overdue", rid, "rectification", iid, "overdue", at, params) for rid in recipients]
    return due
