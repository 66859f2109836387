"""志愿服务: each confirmer with records waiting is told once a day; a member once their record's 公示 has ended
(bot.services.volunteer.reminders says what is due)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.services.notify.outbox import enqueue_due
from bot.services.volunteer import reminders


def sweep_volunteer(session: Session, now: datetime, settings: Settings) -> int:
    return enqueue_due(session, reminders.reminders_due(session, now, settings), now)
