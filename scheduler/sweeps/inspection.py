"""年检: open the rows of the year being filed (a service operation, called explicitly), then remind before
each deadline not yet filed and of a board term (换届) ending soon or ended."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.services.inspection import reminders, years
from bot.services.notify.outbox import enqueue_due


def sweep_inspection(session: Session, now: datetime, settings: Settings) -> int:
    years.open_season(session, now, settings)
    due = reminders.reminders_due(session, now, settings) + reminders.board_terms_due(session, now, settings)
    return enqueue_due(session, due, now)
