"""Meeting reminders before a meeting, and the secretary's reminder to record the minutes after it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.services.meetings import reminders
from bot.services.notify.outbox import enqueue_due


def sweep_meetings(session: Session, now: datetime, settings: Settings) -> int:
    written = enqueue_due(session, reminders.meeting_reminders_due(session, now, settings), now)
    return written + enqueue_due(session, reminders.minutes_reminders_due(session, now, settings), now)
