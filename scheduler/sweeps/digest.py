"""The weekly digest: each committee admin gets this week's figures once, from DIGEST_TIME."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.services.digest import weekly
from bot.services.notify.outbox import enqueue_due


def sweep_digest(session: Session, now: datetime, settings: Mapping[str, Any]) -> int:
    return enqueue_due(session, weekly.digests_due(session, now, settings))
