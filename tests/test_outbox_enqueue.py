"""The outbox's unique key: writing the same notice twice adds one row."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Notification
from bot.services.notify.outbox import enqueue, enqueue_many
from tests import factories as f


def test_same_key_twice_adds_one_row(db: Session) -> None:
    b = f.branch(db)
    m = f.member(db, b.id)
    due = datetime(2026, 12, 1, tzinfo=UTC)
    args = dict(kind="meeting_reminder", recipient_id=m.id, params={"meeting_id": 7}, due_at=due,
                subject_type="meeting", subject_id=7, slot="24h")
    assert enqueue(db, **args, now=due) is True  # type: ignore[arg-type]
    assert enqueue(db, **args, now=due) is False  # type: ignore[arg-type]
    assert enqueue_many(db, [args, {**args, "slot": "1h"}], due) == 1
    db.commit()
    assert db.scalar(select(func.count()).select_from(Notification)) == 2


def test_a_large_batch_is_written_in_chunks(db: Session) -> None:
    """A sweep over many meetings writes more rows than one statement may bind."""
    due = datetime(2026, 12, 1, tzinfo=UTC)
    rows = [dict(kind="bulk", recipient_id=None, params={"n": i}, due_at=due, subject_type="meeting", subject_id=i,
                 slot="24h")
            for i in range(1, 5002)]
    assert enqueue_many(db, rows, due) == 5001
    assert enqueue_many(db, rows[:2500], due) == 0
    db.commit()
    assert db.scalar(select(func.count()).select_from(Notification).where(Notification.kind == "bulk")) == 5001
