"""Fault tests on a small cluster of real processes sharing one PostgreSQL and one Redis.

1. Two gunicorn workers take every member's check-in scan three times over (WeChat's retries) from
   several threads while two schedulers run `flask scheduler --once` in loops: one attendance row per
   member, one reply per member whatever copy it answered, no notice written or delivered twice.
2. The WeChat API failing, then recovering: the outbox retries after its backoff and delivers each
   notice exactly once, counting the attempts; a notice that keeps failing ends `failed` after
   MAX_SEND_ATTEMPTS with the last error kept.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import xmltodict
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.common import gunicorn
from bot.devtools.fake_wechat import FakeWeChat
from bot.models import Attendance, Member, Notification
from tests import factories as f
from tests import wxxml
from tests.sched_util import L, worded_notice
from tests.test_scheduler_processes import _env, _finish, _start

pytestmark = [pytest.mark.services, pytest.mark.slow]
SEND = "cgi-bin/message/template/send"
SCAN_PACE = 0.15  # seconds each scanning thread waits before a post
CYCLE = timedelta(minutes=10)  # how far the schedulers' --now moves on between cycles


def _post_scan(base: str, token: str, openid: str, scene: str, create_time: int) -> str:
    """One SCAN event posted to gunicorn as WeChat posts it; the reply's text ('' for "success")."""
    query = wxxml.signed_query(token)
    resp = requests.post(base + "/wechat", params=query, timeout=30,
                         data=wxxml.scan(openid, scene, create_time=create_time).encode())
    assert resp.status_code == 200, resp.text[:500]
    if resp.text == "success":
        return ""
    return str(xmltodict.parse(resp.text)["xml"].get("Content", ""))


def _statuses(db: Session) -> Counter[str]:
    out = Counter({s: int(n) for s, n in db.execute(select(Notification.status, func.count())
                                                     .group_by(Notification.status))})
    db.commit()
    return out


def _delivered(fake: FakeWeChat) -> Counter[tuple[str, str, str, str]]:
    """What reached members' phones: (openid, thing1, time2, thing3) of every template message."""
    with fake.lock:
        items = [(openid, dict(item.get("data") or {})) for openid, box in fake.inbox.items() for item in box]

    def field(data: dict[str, Any], name: str) -> str:
        return str((data.get(name) or {}).get("value", ""))

    return Counter((openid, field(data, "thing1"), field(data, "time2"), field(data, "thing3"))
                   for openid, data in items)


# -- 1. two workers, two schedulers ----------------------------------------------------------------
def test_two_workers_and_two_schedulers_write_and_send_everything_once(
        app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    branch = f.branch(db, name="集群测试党支部")
    people = [f.member(db, branch.id, name=f"集群党员{i:02d}", openid=f"o_cluster_{i:02d}") for i in range(60)]
    under_way = f.meeting(db, branch.id, now - timedelta(minutes=5), checkin_scene="cluster_live")
    # Two meetings within the hour: every member gets their last (urgent) reminder at once, quiet hours or
    # not. A third, 65 minutes away: its 24-hour reminder at once (urgent if now is quiet) and its 1-hour
    # reminder from the second cycle on, as the schedulers' --now moves on by CYCLE each cycle.
    soon = [f.meeting(db, branch.id, now + timedelta(minutes=m), type="party_lecture", place=f"第{k}会议室",
                      topic=f"党课{k}") for k, m in ((1, 25), (2, 45), (3, 65))]
    expected_reminders = (len(soon) + 1) * len(people)

    env = {**_env(app), "WECHAT_MAX_CLOCK_SKEW": "0"}
    token = str(app.config["WECHAT_TOKEN"])
    replies: dict[int, list[str]] = defaultdict(list)
    replies_lock = threading.Lock()
    scheduler_results: list[dict[str, Any]] = []
    scheduler_errors: list[BaseException] = []

    def scheduler_loop(cycles: int) -> None:
        try:
            for i in range(cycles):
                result = _finish(_start(app, now + i * CYCLE))
                with replies_lock:
                    scheduler_results.append(result)
        except BaseException as exc:  # reported by the test's thread below
            scheduler_errors.append(exc)

    def scan(member: Member, create_time: int) -> None:
        time.sleep(SCAN_PACE)  # spread the scans over the schedulers' cycles
        text = _post_scan(base, token, member.openid or "", under_way.checkin_scene, create_time)
        with replies_lock:
            replies[member.id].append(text)

    ct = int(now.timestamp())
    copies = [(m, ct + i) for i, m in enumerate(people) for _ in range(3)]  # same sender and CreateTime: retries
    random.Random(6).shuffle(copies)
    with gunicorn("bot:create_app()", env, "cluster-fault") as base:
        schedulers = [threading.Thread(target=scheduler_loop, args=(4,)) for _ in range(2)]
        for t in schedulers:
            t.start()
        try:
            deadline = time.monotonic() + 60
            while not fake_wx.calls_to(SEND):  # scan while the schedulers sweep and send
                assert time.monotonic() < deadline and all(t.is_alive() for t in schedulers), "nothing sent"
                time.sleep(0.05)
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda pair: scan(*pair), copies))
        finally:
            for t in schedulers:
                t.join(timeout=120)
    assert not scheduler_errors, scheduler_errors
    assert all(not t.is_alive() for t in schedulers)
    assert len(scheduler_results) == 8

    # Check-in: one record per member, and the three copies of a scan all got the same success reply.
    rows = db.execute(select(Attendance.member_id, func.count()).where(Attendance.meeting_id == under_way.id)
                      .group_by(Attendance.member_id)).all()
    db.commit()
    assert {int(m): int(n) for m, n in rows} == {m.id: 1 for m in people}
    for m in people:
        got = replies[m.id]
        assert len(got) == 3 and len(set(got)) == 1, (m.name, got)
        assert got[0].startswith(f"签到成功，{m.name}"), got[0]

    # The outbox: every reminder written once (unique keys), every row sent, nothing left in flight.
    keys = Counter(db.scalars(select(Notification.key)))
    db.commit()
    assert keys and max(keys.values()) == 1
    reminders = db.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.kind == "meeting_reminder"))
    db.commit()
    assert reminders == expected_reminders
    statuses = _statuses(db)
    assert set(statuses) == {"sent"}, statuses
    claimed = sum(r["dispatch"].get("claimed", 0) for r in scheduler_results)
    sent = sum(r["dispatch"].get("sent", 0) for r in scheduler_results)
    assert claimed == sent == statuses["sent"]  # no claim was lost or taken twice

    # The fake WeChat API: each notice reached its member exactly once. A second send of a notice would
    # show as an extra message whose msgid no outbox row recorded.
    with fake_wx.lock:
        received = Counter(item["msgid"] for box in fake_wx.inbox.values() for item in box)
    recorded = Counter(int(msgid or 0) for msgid in db.scalars(select(Notification.wechat_msgid)))
    db.commit()
    assert received == recorded and len(recorded) == statuses["sent"]
    delivered = _delivered(fake_wx)
    for mtg, slots in zip(soon, (1, 1, 2), strict=True):
        per_member = Counter({k[0]: n for k, n in delivered.items() if k[3] == mtg.place})
        assert per_member == Counter({m.openid: slots for m in people}), mtg.place


# -- 2. the WeChat API failing, then recovering ------------------------------------------------------
def _run(app: Flask, at: datetime) -> dict[str, int]:
    result: dict[str, int] = _finish(_start(app, at))["dispatch"]
    return result


def _rows(db: Session) -> dict[str, Notification]:
    out = {n.text: n for n in db.scalars(select(Notification).execution_options(populate_existing=True))}
    db.commit()
    return out


def test_wechat_api_failing_then_recovering_retries_after_backoff_and_sends_once(
        app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    backoff = [timedelta(seconds=s) for s in app.config["SEND_BACKOFF"]]
    max_attempts = int(app.config["MAX_SEND_ATTEMPTS"])
    branch = f.branch(db)
    people = [f.member(db, branch.id, name=f"通知党员{i}", openid=f"o_retry_{i}") for i in range(4)]
    t0 = L(2026, 11, 24, 10, 0)  # a Tuesday morning: no quiet hours, no holiday
    for i, m in enumerate(people):
        worded_notice(db, kind="meeting_reminder", recipient_id=m.id, text=f"通知{i}", due_at=t0, subject_type="test",
                      subject_id=i, slot="retry", fields={"thing1": f"通知{i}"})
    db.commit()

    # Every send fails (WeChat "system busy"): all four retry after the first backoff step.
    fake_wx.fail(SEND, errcode=-1, times=4)
    assert _run(app, t0) == {"claimed": 4, "retry": 4}
    rows = _rows(db)
    assert all(r.status == "pending" and r.attempts == 1 and "-1" in (r.last_error or "") for r in rows.values())
    assert all(r.due_at == t0 + backoff[0] for r in rows.values())
    # Before the backoff has passed nothing is taken again.
    assert _run(app, t0 + backoff[0] - timedelta(seconds=1)) == {"claimed": 0}

    # After it: the gateway answers 502 twice (the next backoff step for those two), then recovers.
    fake_wx.fail(SEND, http_status=502, times=2)
    t1 = t0 + backoff[0] + timedelta(seconds=1)
    assert _run(app, t1) == {"claimed": 4, "retry": 2, "sent": 2}
    rows = _rows(db)
    late = sorted(t for t, r in rows.items() if r.status == "pending")
    assert len(late) == 2 and all(rows[t].attempts == 2 and rows[t].due_at == t1 + backoff[1] for t in late)
    # Recorded, though wechatpy's HTTP error carries no code: it reads "WeChat None: None", not "502".
    assert all(rows[t].last_error for t in late)
    assert _run(app, t1 + backoff[1] + timedelta(seconds=1)) == {"claimed": 2, "sent": 2}

    rows = _rows(db)
    assert {t: (r.status, r.attempts, r.last_error) for t, r in rows.items()} == {
        t: ("sent", 3 if t in late else 2, None) for t in rows}
    assert len(fake_wx.calls_to(SEND)) == 4 + 4 + 2  # every try reached the API, none after a success
    delivered = _delivered(fake_wx)
    assert delivered == Counter({(m.openid, f"通知{i}", "", ""): 1 for i, m in enumerate(people)})

    # A notice the API refuses every time ends `failed` after MAX_SEND_ATTEMPTS, with the last error kept.
    fake_wx.reset()
    fake_wx.fail(SEND, http_status=502, times=-1)
    doomed = people[0]
    t = t0 + timedelta(hours=1)
    worded_notice(db, kind="meeting_reminder", recipient_id=doomed.id, text="总是失败", due_at=t, subject_type="test",
                  subject_id=99, slot="doomed", fields={"thing1": "总是失败"})
    db.commit()
    for attempt in range(1, max_attempts + 1):
        expected = "failed" if attempt == max_attempts else "retry"
        assert _run(app, t) == {"claimed": 1, expected: 1}, attempt
        row = _rows(db)["总是失败"]
        assert row.attempts == attempt and row.last_error
        if attempt < max_attempts:
            assert row.status == "pending"
            t = row.due_at + timedelta(seconds=1)
    assert row.status == "failed" and row.lease_until is None
    assert _run(app, t + timedelta(days=1)) == {"claimed": 0}  # given up: never taken again
    assert len(fake_wx.calls_to(SEND)) == max_attempts and not fake_wx.inbox
    fake_wx.clear_faults()
    assert _statuses(db) == Counter({"sent": 4, "failed": 1})

