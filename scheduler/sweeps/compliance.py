"""Compliance: meetings missing this period (to secretaries), branches without activity (to admins)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.services.meetings import reminders
from bot.services.notify.outbox import enqueue_due


def sweep_compliance(session: Session, now: datetime, settings: Mapping[str, Any]) -> int:
    return enqueue_due(session, reminders.compliance_reminders_due(session, now, settings))
