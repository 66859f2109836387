"""Helpers for scheduler tests: local times, running a step, and reading what was sent."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import select

from bot.infra.clock import FrozenClock
from bot.models import Member, Notification
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


def stub_compliance(monkeypatch: Any, fn: Any) -> None:
    """Replace bot.services.meetings.compliance with a module whose subtree_compliance is `fn` (the contract);
    all_compliance (every branch, what the sweep reads) answers through it for every root committee."""
    module = types.ModuleType("bot.services.meetings.compliance")
    module.subtree_compliance = fn  # type: ignore[attr-defined]

    def all_compliance(session: Any, now: Any, settings: Any) -> list[Any]:
        from sqlalchemy import select

        from bot.models import Committee

        roots = session.scalars(select(Committee.id).where(Committee.parent_id.is_(None))).all()
        return [r for cid in roots for r in fn(session, cid, now, settings)]

    module.all_compliance = all_compliance  # type: ignore[attr-defined]
    module.branch_compliance = lambda *a, **k: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bot.services.meetings.compliance", module)
    import bot.services.meetings

    monkeypatch.setattr(bot.services.meetings, "compliance", module)
