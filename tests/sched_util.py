"""Helpers for scheduler tests: local times, running a step, and reading what was sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select

from bot.infra.clock import FrozenClock
from bot.models import Committee, Member, Notification
from bot.services.notify.outbox import notice_key
from scheduler import run_once

SH = ZoneInfo("Asia/Shanghai")


def L(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A moment in Shanghai time."""
    return datetime(y, m, d, h, mi, tzinfo=SH)


@dataclass(frozen=True)
class Sent:
    at: str  # local "MM-DD HH:MM"
    to: str  # recipient's name
    kind: str
    text: str
    channel: str


def step(app: Flask, clock: FrozenClock, at: datetime) -> list[Sent]:
    """Move the clock to `at`, run every sweep and the dispatcher; return what was sent at `at`."""
    clock.set(at)
    app.config["CLOCK"] = clock
    run_once(app)
    now = clock()
    with app.extensions["db"].Session() as s:
        rows = s.execute(
            select(Notification, Member.name).join(Member, Member.id == Notification.recipient_id)
            .where(Notification.sent_at == now).order_by(Notification.id)
        ).all()
        return [Sent(at.astimezone(SH).strftime("%m-%d %H:%M"), name, n.kind, n.text, n.channel or "")
                for n, name in rows]


def worded_notice(db: Any, *, kind: str, recipient_id: int | None, text: str, due_at: datetime,
                  subject_type: str = "", subject_id: int | None = None, slot: str = "", urgent: bool = False,
                  fields: dict[str, str] | None = None) -> Notification:
    """A pending notice written with its words (and template fields), as every row was before notices were
    rendered at send; the dispatcher sends such rows as they are. For tests that send arbitrary words."""
    row = Notification(key=notice_key(kind, recipient_id, subject_type, subject_id, slot), kind=kind,
                       recipient_id=recipient_id, subject_type=subject_type, subject_id=subject_id, slot=slot,
                       text=text, payload={"fields": fields} if fields else {}, urgent=urgent, due_at=due_at,
                       status="pending", attempts=0)
    db.add(row)
    db.flush()
    return row


def stub_compliance(monkeypatch: Any, fn: Any) -> None:
    """Answer bot.services.meetings.compliance's subtree_compliance with `fn` (the contract); all_compliance
    (every branch, what the compliance reminders read) answers through it for every root committee."""
    from bot.services.meetings import compliance

    def all_compliance(session: Any, now: Any, settings: Any) -> list[Any]:
        roots = session.scalars(select(Committee.id).where(Committee.parent_id.is_(None))).all()
        return [r for cid in roots for r in fn(session, cid, now, settings)]

    monkeypatch.setattr(compliance, "subtree_compliance", fn)
    monkeypatch.setattr(compliance, "all_compliance", all_compliance)
    monkeypatch.setattr(compliance, "branch_compliance", lambda *a, **k: None)
