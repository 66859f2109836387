"""What is due for 志愿服务 (returns outbox.Due items; writes nothing):
- once a day, each confirmer (the record's leader_id: the team leader or the branch secretary, or the one
  who confirmed a record that an objection sent back) with records waiting is told how many;
- once, the member whose record's 公示 has ended (it is final) is told so: records whose 公示 ended within
  FINAL_WINDOW_DAYS, so a scheduler that was down catches up without telling of old records."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.models import VolunteerRecord
from bot.services.notify.outbox import Due, not_written
from bot.services.notify.timing import daily_due
from bot.services.volunteer.totals import final_clause

FINAL_WINDOW_DAYS = 7


def reminders_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    return pending_due(session, now, settings) + final_due(session, now, settings)


def pending_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
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


def final_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    day = today(now, settings)
    q = (
        select(VolunteerRecord)
        .where(final_clause(day), VolunteerRecord.public_until >= day - timedelta(days=FINAL_WINDOW_DAYS),
               not_written("volunteer_final", "volunteer_record", VolunteerRecord.id, "final",
                           VolunteerRecord.member_id))
        .order_by(VolunteerRecord.id)
    )
    at = daily_due(now, settings)
    return [Due("volunteer_final", r.member_id, "volunteer_record", r.id, "final", at,
                {"record_id": r.id, "content": r.content, "served_on": r.served_on.isoformat(),
                 "hours": str(r.hours)})
            for r in session.scalars(q)]
