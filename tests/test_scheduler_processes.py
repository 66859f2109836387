"""Real scheduler processes (`flask --app bot scheduler --once`) against one database and the fake
WeChat API: two at once for several cycles send nothing twice; one SIGKILLed in the middle of a
dispatch batch and restarted loses nothing and sends at most the in-flight notice twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.schema import ROOT
from bot.models import Member, Notification
from tests import factories as f
from tests.sched_util import L, worded_notice

pytestmark = pytest.mark.slow
SEND = "cgi-bin/message/template/send"


def _env(app: Flask) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    for key in ("WECHAT_TOKEN", "WECHAT_APPID", "WECHAT_SECRET", "WECHAT_API_BASE", "DATABASE_URL",
                "REDIS_PREFIX", "SECRET_KEY"):
        env[key] = str(app.config[key])
    if app.config.get("REDIS_URL"):
        env["REDIS_URL"] = str(app.config["REDIS_URL"])
    env["APP_MODE"] = "test"
    return env


def _start(app: Flask, now: datetime) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "flask", "--app", "bot", "scheduler", "--once", "--now", now.isoformat()]
    return subprocess.Popen(cmd, cwd=ROOT, env=_env(app), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _finish(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-3000:]
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def _sent_per_openid(db: Session) -> Counter[str]:
    rows = db.execute(select(Member.openid, func.count(Notification.id))
                      .join(Notification, Notification.recipient_id == Member.id)
                      .where(Notification.status == "sent").group_by(Member.openid)).all()
    db.commit()
    return Counter({openid or "": n for openid, n in rows})


def test_two_schedulers_at_once_send_nothing_twice(app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    c = f.committee(db)
    b = f.branch(db, c.id)
    sec = f.secretary(db, b.id)
    members = [f.member(db, b.id) for _ in range(6)]
    f.member(db, b.id, openid=None)  # reached through the secretary
    f.admin(db, c.id)
    for hour in (10, 11, 12, 13):
        f.meeting(db, b.id, L(2026, 11, 24, hour, 30), type="theme_day")
    f.rectification(db, c.id, sec.id, date(2026, 11, 30))
    f.rectification(db, c.id, members[0].id, date(2026, 11, 24))

    for now in (L(2026, 11, 23, 9), L(2026, 11, 23, 11), L(2026, 11, 23, 13), L(2026, 11, 24, 10),
                L(2026, 11, 24, 12)):
        procs = [_start(app, now), _start(app, now)]
        results = [_finish(p) for p in procs]
        claimed = sum(r["dispatch"].get("claimed", 0) for r in results)
        sent = sum(r["dispatch"].get("sent", 0) for r in results)
        assert sent <= claimed

    received = Counter({openid: len(box) for openid, box in fake_wx.inbox.items()})
    assert received == _sent_per_openid(db)
    assert sum(received.values()) >= 40  # 4 meetings × 2 reminders × 7 members, digests, rectification…
    assert db.scalar(select(func.count()).select_from(Notification)
                     .where(Notification.status.in_(("pending", "sending")))) == 0
    db.commit()


def test_sigkill_mid_batch_loses_nothing_and_repeats_at_most_the_in_flight_notice(
        app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    m = f.member(db, f.branch(db).id)
    now = L(2026, 11, 23, 10, 0)
    for i in range(1, 7):
        worded_notice(db, kind="meeting_reminder", recipient_id=m.id, text=f"通知{i}", due_at=now,
                      subject_type="test", subject_id=i, slot="x", fields={"thing1": f"通知{i}"})
    db.commit()
    fake_wx.fail(SEND, times=2)  # the first two sends pass through…
    fake_wx.fail(SEND, delay=4.0)  # …the third hangs on the wire while the process is killed

    proc = _start(app, now)
    deadline = time.monotonic() + 60
    while len(fake_wx.calls_to(SEND)) < 3:
        assert time.monotonic() < deadline and proc.poll() is None, "the scheduler never reached the third send"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while sum(len(box) for box in fake_wx.inbox.values()) < 3:  # WeChat still delivers the in-flight one
        assert time.monotonic() < deadline
        time.sleep(0.05)

    statuses = Counter(db.scalars(select(Notification.status)))
    db.commit()
    assert statuses == Counter({"sent": 2, "sending": 4})

    # Restarted at once, the rows are still leased to the dead process: nothing is taken.
    assert _finish(_start(app, now + timedelta(seconds=5)))["dispatch"] == {"claimed": 0}
    # After the lease, the restarted scheduler takes them over.
    later = now + timedelta(seconds=app.config["SEND_LEASE"] + 1)
    assert _finish(_start(app, later))["dispatch"] == {"claimed": 4, "sent": 4}

    statuses = Counter(db.scalars(select(Notification.status)))
    db.commit()
    assert statuses == Counter({"sent": 6})
    delivered = Counter(item["data"]["thing1"]["value"] for item in fake_wx.inbox[m.openid or ""])
    assert set(delivered) == {f"通知{i}" for i in range(1, 7)}  # nothing lost
    assert delivered["通知3"] == 2 and sum(delivered.values()) == 7  # only the in-flight one twice


def test_the_long_running_scheduler_sends_and_stops_on_sigterm(app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    from bot.models import utcnow

    m = f.member(db, f.branch(db).id)
    worded_notice(db, kind="meeting_reminder", recipient_id=m.id, text="现在就发",
                  due_at=utcnow() - timedelta(minutes=1), subject_type="test", subject_id=1, slot="live",
                  urgent=True)  # urgent: whatever the real hour is
    db.commit()
    cmd = [sys.executable, "-m", "flask", "--app", "bot", "scheduler"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(app), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not fake_wx.inbox.get(m.openid or ""):
            assert time.monotonic() < deadline and proc.poll() is None, "nothing sent by the scheduler"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert "scheduler started (10 jobs, zone Asia/Shanghai)" in err  # 8 sweeps, media retry, dispatcher
    assert len(fake_wx.inbox[m.openid or ""]) == 1
