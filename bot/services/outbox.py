"""Writing to the outbox: a notice becomes a row with a unique key, in the caller's transaction.

The key is kind|recipient|subject|slot. Writing the same key twice (a sweep run twice, two schedulers,
a retried message) inserts nothing the second time, without failing the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import insert_for
from ..models import Notification, utcnow

ENQUEUE_CHUNK = 5000  # rows handed to the driver at a time


def notice_key(kind: str, recipient_id: int | None, subject_type: str, subject_id: int | None, slot: str) -> str:
    return f"{kind}|{recipient_id or '-'}|{subject_type}:{subject_id or '-'}|{slot}"


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient_id: int | None,
    text: str,
    due_at: datetime,
    subject_type: str = "",
    subject_id: int | None = None,
    slot: str = "",
    urgent: bool = False,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Add a notice unless one with the same key exists; returns whether it was added."""
    return enqueue_many(session, [dict(kind=kind, recipient_id=recipient_id, text=text, due_at=due_at,
                                       subject_type=subject_type, subject_id=subject_id, slot=slot,
                                       urgent=urgent, payload=payload)]) == 1


def enqueue_many(session: Session, notices: list[dict[str, Any]]) -> int:
    """Add many notices in one statement (a sweep's batch); returns how many were new."""
    if not notices:
        return 0
    now = utcnow()
    rows = []
    for n in notices:
        row = {
            "kind": n["kind"],
            "recipient_id": n.get("recipient_id"),
            "subject_type": n.get("subject_type", ""),
            "subject_id": n.get("subject_id"),
            "slot": n.get("slot", ""),
            "text": n["text"],
            "payload": n.get("payload") or {},
            "urgent": bool(n.get("urgent", False)),
            "due_at": n["due_at"],
            "status": "pending",
            "attempts": 0,
            "created_at": now,
        }
        row["key"] = notice_key(row["kind"], row["recipient_id"], row["subject_type"], row["subject_id"], row["slot"])
        rows.append(row)
    insert = insert_for(session)
    # One statement compiled once and run "executemany" style: SQLAlchemy batches the rows into
    # multi-row INSERTs under the drivers' bound-parameter limits, and RETURNING names the new ones.
    table = Notification.__table__
    stmt = insert(table).on_conflict_do_nothing(index_elements=["key"]).returning(Notification.id)
    added = 0
    for start in range(0, len(rows), ENQUEUE_CHUNK):
        added += len(session.execute(stmt, rows[start : start + ENQUEUE_CHUNK]).all())
    return added


def pending_for(session: Session, recipient_id: int) -> list[Notification]:
    """Notices not yet sent to a member (the chat simulator and tests read these)."""
    return list(session.scalars(
        select(Notification).where(Notification.recipient_id == recipient_id, Notification.status == "pending")
        .order_by(Notification.due_at)
    ))
