"""Sweeps: each asks a service "what is due now and has not been written?" and writes outbox rows.

Every sweep is `sweep_<name>(session, now, settings) -> int` (notification rows written), one module per
capability, and runs in the caller's transaction, so the decision and its rows commit together. The
rules (who, when, which slot, what facts) live in the services; a sweep only hands their answer to the
outbox. The outbox key (kind, recipient, subject, slot) makes a second run, a second scheduler or a
restart write nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from scheduler.sweeps.compliance import sweep_compliance
from scheduler.sweeps.digest import sweep_digest
from scheduler.sweeps.inspection import sweep_inspection
from scheduler.sweeps.leave import sweep_leave
from scheduler.sweeps.meetings import sweep_meetings
from scheduler.sweeps.rectification import sweep_rectification
from scheduler.sweeps.review import sweep_review
from scheduler.sweeps.volunteer import sweep_volunteer

Sweep = Callable[[Session, datetime, Settings], int]

ALL_SWEEPS: dict[str, Sweep] = {
    "meetings": sweep_meetings,
    "leave": sweep_leave,
    "compliance": sweep_compliance,
    "review": sweep_review,
    "rectification": sweep_rectification,
    "inspection": sweep_inspection,
    "volunteer": sweep_volunteer,
    "digest": sweep_digest,
}

__all__ = ["ALL_SWEEPS", "Sweep", "sweep_compliance", "sweep_digest", "sweep_inspection", "sweep_leave",
           "sweep_meetings", "sweep_rectification", "sweep_review", "sweep_volunteer"]
