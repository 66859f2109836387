"""述职: reminders before an open round's deadline to the secretaries who have not submitted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.services.notify.outbox import enqueue_due
from bot.services.review import reminders


def sweep_review(session: Session, now: datetime, settings: Settings) -> int:
    return enqueue_due(session, reminders.reminders_due(session, now, settings), now)
