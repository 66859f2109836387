"""What is due for 志愿服务: once a day, each leader with records waiting for confirmation is told how many.
Returns outbox.Due items; writes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.models import VolunteerRecord
from bot.services.notify.outbox import Due, not_written
from bot.services.notify.timing import daily_due


def reminders_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    slot = today(now, settings).isoformat()
    q = (
        select(VolunteerRecord.leader_id, func.count(VolunteerRecord.id))
        .where(VolunteerRecord.status == "pending", VolunteerRecord.leader_id.is_not(None),
               not_written("volunteer_pending", "member", VolunteerRecord.leader_id, slot, VolunteerRecord.leader_id))
        .group_by(VolunteerRecord.leader_id)
    )
    at = daily_due(now, settings)
    return [Due("volunteer_pending", leader, "member", leader, slot, at, {"count": int(count)})
            for leader, count in session.execute(q)]
