"""Leave requests still waiting: each secretary is told once a day."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.services.meetings import reminders
from bot.services.notify.outbox import enqueue_due


def sweep_leave(session: Session, now: datetime, settings: Mapping[str, Any]) -> int:
    return enqueue_due(session, reminders.leave_reminders_due(session, now, settings))
