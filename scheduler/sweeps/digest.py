"""The weekly digest: each committee admin gets this week's figures once, from DIGEST_TIME."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.services.digest import weekly
from bot.services.notify.outbox import enqueue_due


def sweep_digest(session: Session, now: datetime, settings: Settings) -> int:
    return enqueue_due(session, weekly.digests_due(session, now, settings), now)
