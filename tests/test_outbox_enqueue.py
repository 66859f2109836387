"""The outbox's unique key: writing the same notice twice adds one row."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Notification
from bot.services.outbox import enqueue, enqueue_many
from tests import factories as f


def test_same_key_twice_adds_one_row(db: Session) -> None:
    b = f.branch(db)
    m = f.member(db, b.id)
    due = datetime(2026, 12, 1, tzinfo=UTC)
    args = dict(kind="meeting_reminder", recipient_id=m.id, text="明晚开会", due_at=due,
                subject_type="meeting", subject_id=7, slot="24h")
    assert enqueue(db, **args) is True  # type: ignore[arg-type]
    assert enqueue(db, **args) is False  # type: ignore[arg-type]
    assert enqueue_many(db, [args, {**args, "slot": "1h"}]) == 1
    db.commit()
    assert db.scalar(select(func.count()).select_from(Notification)) == 2
