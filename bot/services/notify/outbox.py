"""Writing to the outbox: a notice becomes a row with a unique key, in the caller's transaction.

The key is kind|recipient|subject|slot. Writing the same key twice (a sweep run twice, two schedulers,
a retried message) inserts nothing the second time, without failing the caller's transaction.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.infra.db import insert_for
from bot.models import Notification, utcnow

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
    if session.get_bind().dialect.name == "postgresql":
        return _enqueue_postgresql(session, rows)
    insert = insert_for(session)
    # One statement compiled once and run "executemany" style: SQLAlchemy batches the rows into
    # multi-row INSERTs under the drivers' bound-parameter limits, and RETURNING names the new ones.
    table = Notification.__table__
    stmt = insert(table).on_conflict_do_nothing(index_elements=["key"]).returning(Notification.id)
    added = 0
    for start in range(0, len(rows), ENQUEUE_CHUNK):
        added += len(session.execute(stmt, rows[start : start + ENQUEUE_CHUNK]).all())
    return added


# PostgreSQL: one statement per chunk with one array per column (unnest zips them into rows), instead of
# a multi-row VALUES list whose thousands of placeholders the driver must rewrite on every batch.
_PG_COLUMNS = (("key", "varchar"), ("kind", "varchar"), ("recipient_id", "int"), ("subject_type", "varchar"),
               ("subject_id", "int"), ("slot", "varchar"), ("text", "text"), ("payload", "json"),
               ("urgent", "bool"), ("due_at", "timestamp"), ("status", "varchar"), ("attempts", "int"),
               ("created_at", "timestamp"))
_PG_INSERT = text(
    f"INSERT INTO notification ({', '.join(c for c, _ in _PG_COLUMNS)}) "
    f"SELECT * FROM unnest({', '.join(f'CAST(:{c} AS {t}[])' for c, t in _PG_COLUMNS)}) "
    "ON CONFLICT (key) DO NOTHING RETURNING id"
)


def _enqueue_postgresql(session: Session, rows: list[dict[str, Any]]) -> int:
    added = 0
    for start in range(0, len(rows), ENQUEUE_CHUNK):
        chunk = rows[start : start + ENQUEUE_CHUNK]
        params: dict[str, list[Any]] = {c: [r[c] for r in chunk] for c, _ in _PG_COLUMNS}
        params["payload"] = [json.dumps(p, ensure_ascii=False) for p in params["payload"]]
        for column in ("due_at", "created_at"):  # the columns hold naive UTC (see UTCDateTime)
            params[column] = [d.astimezone(UTC).replace(tzinfo=None) for d in params[column]]
        added += len(session.execute(_PG_INSERT, params).all())
    return added


def pending_for(session: Session, recipient_id: int) -> list[Notification]:
    """Notices not yet sent to a member (the chat simulator and tests read these)."""
    return list(session.scalars(
        select(Notification).where(Notification.recipient_id == recipient_id, Notification.status == "pending")
        .order_by(Notification.due_at)
    ))
