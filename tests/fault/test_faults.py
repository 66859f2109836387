"""Fault tests against real services: Redis hung or stopped mid-load, PostgreSQL restarted mid check-in,
the WeChat API slow or failing. The webhook must keep answering correctly within WeChat's 5-second
deadline, and no member may be told 签到成功 without a record."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.infra.schema import upgrade
from bot.models import Attendance
from bot.texts import general as G
from tests import factories, wxxml
from tests.fault.conftest import PrivateCluster, PrivateRedis

WECHAT_DEADLINE = 5.0  # WeChat gives up on a reply after 5 seconds


def _arrange(app: Any, members: int) -> tuple[str, list[Any], int]:
    """A branch with `members` bound members and a meeting under way; its scene, members and id."""
    with app.extensions["db"].Session() as db:
        branch = factories.branch(db)
        people = [factories.member(db, branch.id, name=f"党员{i}") for i in range(members)]
        meeting = factories.meeting(db, branch.id, datetime.now(UTC) - timedelta(minutes=5))
        return meeting.checkin_scene, people, meeting.id


def _timed(chat: Any, xml: str) -> tuple[float, str]:
    t0 = time.monotonic()
    reply = chat.send(xml)
    return time.monotonic() - t0, "" if reply is None else str(reply.get("Content", ""))


def _records(app: Any, meeting_id: int) -> dict[int, int]:
    with app.extensions["db"].Session() as db:
        rows = db.execute(select(Attendance.member_id, func.count()).where(Attendance.meeting_id == meeting_id)
                          .group_by(Attendance.member_id)).all()
        return {int(m): int(n) for m, n in rows}


# -- Redis ---------------------------------------------------------------------------------------
@pytest.fixture
def config_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    if "private_redis" not in request.fixturenames:
        return {}
    redis: PrivateRedis = request.getfixturevalue("private_redis")
    return {"REDIS_URL": redis.url, "REDIS_SOCKET_TIMEOUT": 0.3, "REDIS_BREAKER_SECONDS": 1.0}


@pytest.mark.services
def test_redis_hung_then_stopped_mid_load(app: Any, chat: Any, private_redis: PrivateRedis) -> None:
    scene, people, meeting_id = _arrange(app, 12)
    helper = people[0].openid

    def scan_twice(member: Any, create_time: int) -> tuple[str, str]:
        xml = wxxml.scan(member.openid, scene, create_time=create_time)
        took, first = _timed(chat, xml)
        took2, retry = _timed(chat, xml)  # WeChat's retry of the same event
        assert max(took, took2) < WECHAT_DEADLINE
        return first, retry

    ct = int(time.time())
    first, retry = scan_twice(people[1], ct)  # Redis up
    assert first.startswith("签到成功") and retry == first

    private_redis.pause()  # Redis hangs: every call would wait for its socket timeout
    for i, member in enumerate(people[2:6], start=2):
        first, retry = scan_twice(member, ct + i)
        assert first.startswith("签到成功，" + member.name), first
        assert retry == first  # recognised by the record's source_key, not by Redis
        took, menu = _timed(chat, wxxml.text(helper, "帮助"))
        assert took < WECHAT_DEADLINE and "党员0" in menu
    assert app.extensions["store"].breaker.trips >= 1

    private_redis.stop()  # Redis gone: connections refused
    for i, member in enumerate(people[6:9], start=6):
        first, retry = scan_twice(member, ct + i)
        assert first.startswith("签到成功，" + member.name) and retry == first
    again = _timed(chat, wxxml.scan(people[3].openid, scene, create_time=ct + 100))[1]
    assert "签到成功" not in again and people[3].name in again  # a new scan: told already checked in

    private_redis.start()  # back: after the breaker's pause the store is used again
    time.sleep(1.1)
    for i, member in enumerate(people[9:12], start=9):
        first, retry = scan_twice(member, ct + i)
        assert first.startswith("签到成功") and retry == first
    assert app.extensions["store"].ping() is True
    assert app.extensions["store"].client.dbsize() > 0  # replies are kept in Redis again

    records = _records(app, meeting_id)
    assert records == {m.id: 1 for m in people[1:12]}


# -- PostgreSQL ----------------------------------------------------------------------------------
def _use_private_database(app: Any, private_pg: PrivateCluster, name: str) -> None:
    """Point the app at a new, migrated database `name` on the private cluster."""
    admin = create_engine(private_pg.url.replace("postgresql://", "postgresql+psycopg://"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = private_pg.url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/" + name
    upgrade(url)
    from bot.infra.db import Database

    app.extensions["db"].engine.dispose()
    app.extensions["db"] = Database(url)
    app.config["DATABASE_URL"] = url


@pytest.mark.services
def test_postgres_restarted_mid_checkins(app: Any, chat: Any, private_pg: PrivateCluster) -> None:
    _use_private_database(app, private_pg, "fault")
    scene, people, meeting_id = _arrange(app, 40)

    replies: dict[int, str] = {}
    restarted = threading.Event()

    def restart_when_busy() -> None:
        while len(replies) < 8:
            time.sleep(0.01)
        private_pg.restart()
        restarted.set()

    worker = threading.Thread(target=restart_when_busy)
    worker.start()
    ct = int(time.time())
    for i, member in enumerate(people):
        took, reply = _timed(chat, wxxml.scan(member.openid, scene, create_time=ct + i))
        assert took < WECHAT_DEADLINE
        replies[member.id] = reply
        if restarted.is_set() and i > len(people) // 2:
            continue
        time.sleep(0.02)
    worker.join(timeout=60)
    assert restarted.is_set()

    records = _records(app, meeting_id)
    for member in people:
        reply = replies[member.id]
        assert reply.startswith("签到成功") or reply == G.TRY_LATER, reply
        if reply.startswith("签到成功"):
            assert records.get(member.id) == 1, f"{member.name} was told 签到成功 without a record"
    # Everyone told to try again can: a fresh scan now records them.
    for i, member in enumerate(people):
        if replies[member.id] == G.TRY_LATER:
            reply = _timed(chat, wxxml.scan(member.openid, scene, create_time=ct + 1000 + i))[1]
            assert member.name in reply
    assert _records(app, meeting_id) == {m.id: 1 for m in people}
    app.extensions["db"].engine.dispose()


# -- the WeChat API ------------------------------------------------------------------------------
@pytest.mark.services
@pytest.mark.parametrize("fault", [{"delay": 6.0}, {"errcode": -1}, {"http_status": 502}])
def test_wechat_api_slow_or_failing_never_delays_the_reply(app: Any, chat: Any, fake_wx: Any,
                                                           fault: dict[str, Any]) -> None:
    for path in ("cgi-bin/token", "cgi-bin/message/custom/send", "cgi-bin/message/template/send",
                 "cgi-bin/qrcode/create", "cgi-bin/user/info", "cgi-bin/media/get"):
        fake_wx.fail(path, times=100, **fault)
    scene, people, meeting_id = _arrange(app, 3)
    sender = people[0].openid
    messages = [wxxml.subscribe(sender), wxxml.text(sender, "帮助"), wxxml.image(sender),
                wxxml.text(sender, "会议"), wxxml.text(sender, "随便说点什么"), wxxml.scan(sender, scene)]
    for xml in messages:
        took, _reply = _timed(chat, xml)
        assert took < WECHAT_DEADLINE, f"reply took {took:.1f}s for {xml[:120]}"
    assert _records(app, meeting_id) == {people[0].id: 1}


@pytest.mark.services
def test_pool_replaces_connections_that_died_while_idle(app: Any, chat: Any, private_pg: PrivateCluster,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    """PostgreSQL restarted while the pool sat idle: the ping of idle connections finds them dead before
    use, so the next scans are simply recorded (no 系统繁忙, no action run twice)."""
    monkeypatch.setattr("bot.infra.db.PING_IDLE_SECONDS", 0.2)
    _use_private_database(app, private_pg, "fault_idle")
    scene, people, meeting_id = _arrange(app, 6)
    ct = int(time.time())
    for i, member in enumerate(people[:3]):  # the pool now holds live connections
        assert _timed(chat, wxxml.scan(member.openid, scene, create_time=ct + i))[1].startswith("签到成功")
    private_pg.restart()
    time.sleep(0.5)
    with caplog.at_level("WARNING", logger="zhibu.webhook"):
        for i, member in enumerate(people[3:]):
            reply = _timed(chat, wxxml.scan(member.openid, scene, create_time=ct + 10 + i))[1]
            assert reply.startswith("签到成功"), reply
    assert "running the action again" not in caplog.text
    assert _records(app, meeting_id) == {m.id: 1 for m in people}
    app.extensions["db"].engine.dispose()
