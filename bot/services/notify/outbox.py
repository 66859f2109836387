"""Writing to the outbox: a notice becomes a row with a unique key, in the caller's transaction.

A notice is its kind and JSON-safe facts (`params`, stored in the row's `payload`: ids, names, counts,
moments as ISO strings); bot/texts words it when the dispatcher sends it, so nothing is rendered here.
The key is kind|recipient|subject|slot. Writing the same key twice (a sweep run twice, two schedulers,
a retried message) inserts nothing the second time, without failing the caller's transaction.

Services answer the scheduler's "what is due?" with `Due` items, built by queries that leave out the
notices already written (`not_written`: the key built in SQL, one probe of the unique index).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, cast, exists, func, literal, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from bot.infra.db import insert_for
from bot.models import Notification

ENQUEUE_CHUNK = 5000  # rows handed to the driver at a time


@dataclass(slots=True)
class Due:
    """A notice that is due: what a service's "what is due" query returns and a sweep writes."""

    kind: str
    recipient_id: int | None
    subject_type: str
    subject_id: int | None
    slot: str
    due_at: datetime
    params: Mapping[str, Any]
    urgent: bool = False


def notice_key(kind: str, recipient_id: int | None, subject_type: str, subject_id: int | None, slot: str) -> str:
    return f"{kind}|{recipient_id or '-'}|{subject_type}:{subject_id or '-'}|{slot}"


def key_sql(kind: str, recipient_id: Any, subject_type: str, subject_id: Any, slot: Any) -> ColumnElement[str]:
    """notice_key built in SQL, character for character; each part a value or a column/expression."""
    def part(value: Any) -> ColumnElement[str]:
        if value is None or isinstance(value, int | str):
            return literal(str(value) if value else "-", String)
        return func.coalesce(cast(value, String), "-")  # a column or expression

    slot_sql = literal(slot, String) if isinstance(slot, str) else slot
    return (literal(f"{kind}|", String) + part(recipient_id) + literal(f"|{subject_type}:", String)
            + part(subject_id) + literal("|", String) + slot_sql)


def not_written(kind: str, subject_type: str, subject_id: Any, slot: Any, recipient_id: Any) -> ColumnElement[bool]:
    """No outbox row yet for this (kind, subject, slot, recipient): the key is built in SQL exactly as
    notice_key builds it, so each candidate is one probe of the unique key index, whatever the planner
    believes about the table's size (fresh rows are not yet in its statistics)."""
    return ~exists().where(Notification.key == key_sql(kind, recipient_id, subject_type, subject_id, slot))


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient_id: int | None,
    due_at: datetime,
    params: Mapping[str, Any] | None = None,
    subject_type: str = "",
    subject_id: int | None = None,
    slot: str = "",
    urgent: bool = False,
    now: datetime,
) -> bool:
    """Add a notice (its kind and facts; worded when sent) unless one with the same key exists; returns
    whether it was added. `now` is the moment of the action that writes it (the row's created_at)."""
    row = _row(kind, recipient_id, subject_type, subject_id, slot, "", params, urgent, due_at, now)
    return _insert(session, [row]) == 1


def enqueue_due(session: Session, due: Iterable[Due], now: datetime) -> int:
    """Write a service's due notices (a sweep's batch, found at `now`) in one statement; returns how many
    were new."""
    return _insert(session, [_row(d.kind, d.recipient_id, d.subject_type, d.subject_id, d.slot, "", d.params,
                                  d.urgent, d.due_at, now) for d in due])


def enqueue_many(session: Session, notices: Iterable[Mapping[str, Any]], now: datetime) -> int:
    """Add many notices in one statement, each a mapping of enqueue's arguments (kind, recipient_id,
    due_at, params, subject_type, subject_id, slot, urgent), written at `now`. Returns how many were new."""
    return _insert(session, [
        _row(n["kind"], n.get("recipient_id"), n.get("subject_type", ""), n.get("subject_id"), n.get("slot", ""),
             "", n.get("params"), bool(n.get("urgent", False)), n["due_at"], now)
        for n in notices
    ])


def _row(kind: str, recipient_id: int | None, subject_type: str, subject_id: int | None, slot: str, words: str,
         params: Mapping[str, Any] | None, urgent: bool, due_at: datetime, now: datetime) -> dict[str, Any]:
    return {"key": notice_key(kind, recipient_id, subject_type, subject_id, slot), "kind": kind,
            "recipient_id": recipient_id, "subject_type": subject_type, "subject_id": subject_id, "slot": slot,
            "text": words, "payload": params or {}, "urgent": urgent, "due_at": due_at, "status": "pending",
            "attempts": 0, "created_at": now}


def _insert(session: Session, rows: list[dict[str, Any]]) -> int:
    if not rows:
        return 0
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
