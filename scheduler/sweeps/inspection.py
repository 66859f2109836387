"""年检: open the rows of the year being filed, then remind before each deadline not yet filed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.services.inspection import reminders, years
from bot.services.notify.outbox import enqueue_due


def sweep_inspection(session: Session, now: datetime, settings: Settings) -> int:
    years.open_year(session, years.filing_year(now, settings), now, settings)
    return enqueue_due(session, reminders.reminders_due(session, now, settings), now)
