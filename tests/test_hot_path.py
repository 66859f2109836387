"""The webhook's two busiest paths do a fixed, small amount of I/O: counted here, not timed.

帮助 from a bound member: one store round trip before the action (dedupe claim + conversation state), one
SQL statement (the sender with their roles, outside any transaction), one store round trip after (reply +
48-hour window). A check-in by scan: the same two store round trips and two statements (the meeting
with the member who scanned, then INSERT … ON CONFLICT, committed on its own), and no ORM session. A retry
of a scan touches no database at all.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from bot.infra.clock import FrozenClock
from bot.infra.fastpath import RawStatement
from bot.infra.store import Batch, Store
from bot.models import Attendance
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 2, 19, 30, tzinfo=SH)
_times = itertools.count(1_795_000_000)



class Io:
    """Counts SQL statements sent through the engine and store calls, by kind."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.store: list[str] = []


@pytest.fixture
def io(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Io]:
    seen = Io()
    engine = app.extensions["db"].engine
    store: Store = app.extensions["store"]

    def count_statement(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", count_statement)
    raw_execute = RawStatement.execute

    def counted_raw(self: RawStatement, engine: Any, params: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        # a statement that bypasses SQLAlchemy's execution events (FastRead, FastWrite)
        seen.statements.append(self.compiled(engine.dialect).sql.split()[0].upper())
        return raw_execute(self, engine, params, **kwargs)

    monkeypatch.setattr(RawStatement, "execute", counted_raw)
    inside_run = [False]  # the in-process store's run() calls its own get/set: count the batch once

    def counted(name: str, original: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if not inside_run[0]:
                seen.store.append(name)
            return original(*args, **kwargs)
        return call

    for name in ("get", "set", "delete", "incr"):
        monkeypatch.setattr(store, name, counted(name, getattr(store, name)))
    original_run = store.run

    def run(batch: Batch) -> list[Any]:
        seen.store.append(f"run({len(batch)})")
        inside_run[0] = True
        try:
            return original_run(batch)
        finally:
            inside_run[0] = False

    monkeypatch.setattr(store, "run", run)
    yield seen
    event.remove(engine, "before_cursor_execute", count_statement)


@pytest.fixture
def branch_world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    clock.set(START - timedelta(minutes=2))
    branch = f.branch(db, name="热路径测试党支部")
    zhang = f.member(db, branch.id, name="张三", openid="o_hot_zhang")
    f.secretary(db, branch.id, name="李书记", openid="o_hot_sec")
    f.meeting(db, branch.id, START, type="general_meeting", checkin_scene="hot_scene_1")
    return {"zhang": zhang}


@pytest.fixture
def sessions(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per ORM session the app opens."""
    database = app.extensions["db"]
    opened: list[bool] = []
    transaction = database.transaction

    def counted(*args: Any, **kwargs: Any) -> Any:
        opened.append(True)
        return transaction(*args, **kwargs)

    monkeypatch.setattr(database, "transaction", counted)
    return opened


def test_help_costs_one_statement_and_two_store_round_trips(chat: Chat, branch_world: dict[str, Any], io: Io,
                                                            sessions: list[bool]) -> None:
    reply = chat.say("o_hot_sec", "帮助")
    assert sessions == []  # 帮助 reads its sender outside any session: none is opened
    assert "李书记" in reply and "签到码" in reply  # the secretary's own menu
    # first trip: the (timestamp, nonce) claim and its owner (replay guard), the MsgId claim, the conversation
    assert io.store == ["run(4)", "run(2)"]
    assert io.statements == ["SELECT"]


def test_scan_checkin_costs_two_statements_and_a_retry_none(chat: Chat, branch_world: dict[str, Any],
                                                             io: Io, sessions: list[bool], db: Session) -> None:
    xml = wxxml.scan("o_hot_zhang", "hot_scene_1", create_time=next(_times))
    first = chat.send(xml)
    assert first is not None and str(first["Content"]).startswith("签到成功，张三")
    assert io.store == ["run(3)", "run(2)"]  # nonce claim + its owner + the event's claim; the reply
    assert io.statements == ["SELECT", "INSERT"]  # meeting and member together, then the record
    assert sessions == []  # both raw statements of the action's Unit: no ORM session, no BEGIN/COMMIT trips
    assert db.scalar(select(func.count()).select_from(Attendance)) == 1  # and the record is committed

    io.statements.clear()
    io.store.clear()
    again = chat.send(xml)  # WeChat's retry of the same event
    assert again == first
    assert io.statements == []
    assert io.store == ["run(3)", "get"]  # the claim is taken: read the first copy's reply
