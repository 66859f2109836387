"""The sweeps' SQL notice key is the outbox's key, character for character (an index probe, not a scan)."""

from __future__ import annotations

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from bot.services.notify.outbox import key_sql, notice_key


def test_sql_key_equals_python_key(db: Session) -> None:
    cases = [
        ("meeting_reminder", 17, "meeting", 42, "24h:r3"),
        ("digest", 5, "committee", 1, "2026-W48"),
        ("bulk", None, "meeting", None, ""),
    ]
    for kind, recipient, subject_type, subject_id, slot in cases:
        as_columns = db.scalar(select(key_sql(kind, literal(recipient), subject_type, literal(subject_id),
                                               literal(slot))))
        as_values = db.scalar(select(key_sql(kind, recipient, subject_type, subject_id, slot)))
        expected = notice_key(kind, recipient, subject_type, subject_id, slot)
        assert as_columns == as_values == expected
