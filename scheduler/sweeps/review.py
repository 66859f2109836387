"""述职: reminders before an open round's deadline to the secretaries who have not submitted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.services.notify.outbox import enqueue_due
from bot.services.review import reminders


def sweep_review(session: Session, now: datetime, settings: Mapping[str, Any]) -> int:
    return enqueue_due(session, reminders.reminders_due(session, now, settings))
