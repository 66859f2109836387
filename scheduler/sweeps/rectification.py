"""整改: reminders before an item's deadline to its owner, and overdue flags after it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.services.notify.outbox import enqueue_due
from bot.services.rectification import reminders


def sweep_rectification(session: Session, now: datetime, settings: Mapping[str, Any]) -> int:
    return enqueue_due(session, reminders.reminders_due(session, now, settings))
