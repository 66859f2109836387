"""志愿服务: each leader with records waiting for confirmation is told once a day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.services.notify.outbox import enqueue_due
from bot.services.volunteer import reminders


def sweep_volunteer(session: Session, now: datetime, settings: Mapping[str, Any]) -> int:
    return enqueue_due(session, reminders.reminders_due(session, now, settings))
