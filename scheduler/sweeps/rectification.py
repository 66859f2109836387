"""整改: reminders before an item's deadline to its owner, and overdue flags after it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.services.notify.outbox import enqueue_due
from bot.services.rectification import reminders


def sweep_rectification(session: Session, now: datetime, settings: Settings) -> int:
    return enqueue_due(session, reminders.reminders_due(session, now, settings), now)
