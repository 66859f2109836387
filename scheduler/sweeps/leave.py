"""Leave requests still waiting: each secretary is told once a day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.services.meetings import reminders
from bot.services.notify.outbox import enqueue_due


def sweep_leave(session: Session, now: datetime, settings: Settings) -> int:
    return enqueue_due(session, reminders.leave_reminders_due(session, now, settings), now)
