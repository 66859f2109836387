"""Issue 12: every template message links to a signed notice page that shows the whole notice, opens
without login, expires, and refuses a tampered or expired key with a Chinese reason."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from bot.config import settings_of
from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from bot.infra.links import check_notice_key, notice_key
from bot.services.notify.outbox import enqueue
from bot.texts import notices as T
from scheduler.dispatcher import dispatch_due
from tests import factories as f
from tests.browser import PHONE, chromium
from tests.sched_util import L

NOW = L(2026, 11, 23, 9, 0)
PARAMS = {"meeting_id": 7, "type": "general_meeting", "starts_at": "2026-12-04T12:00:00+00:00",
          "place": "社区党群服务中心三楼第二会议室（东侧电梯上楼右转）", "revision": 1,
          "topic": "学习贯彻党的二十届四中全会精神专题研讨"}


def _sent_link(app: Flask, db: Session, fake_wx: FakeWeChat) -> tuple[str, str]:
    """Publish a meeting notice to a member, dispatch it: (the template message's url, the member's openid).
    The app's clock is the test's (FrozenClock at NOW)."""
    app.config["CLOCK"] = FrozenClock(NOW)
    m = f.member(db, f.branch(db).id)
    with app.extensions["db"].transaction() as s:
        assert enqueue(s, kind="meeting_published", recipient_id=m.id, due_at=NOW, params=PARAMS,
                       subject_type="meeting", subject_id=7, slot="rev1", now=NOW)
    assert dispatch_due(app, NOW)["sent"] == 1
    [item] = fake_wx.inbox[m.openid or ""]
    assert item["channel"] == "template" and item["data"]["time2"] == {"value": "2026年12月4日 20:00"}
    return str(item["url"]), m.openid or ""


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_the_link_in_a_template_message_opens_the_whole_notice(app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    url, _ = _sent_link(app, db, fake_wx)
    assert url.startswith("http") and "/n/" in url and "?k=" in url
    res = app.test_client().get(_path(url))  # no login, no session
    assert res.status_code == 200
    body = res.get_data(as_text=True)
    whole = ("【会议通知】12月4日（周五）20:00 召开支部党员大会，"
             "地点：社区党群服务中心三楼第二会议室（东侧电梯上楼右转）")
    assert whole in body
    assert "主题：学习贯彻党的二十届四中全会精神专题研讨" in body and "会议通知" in body
    assert 'name="viewport" content="width=device-width' in body


def test_a_tampered_or_expired_key_is_refused(app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    url, _ = _sent_link(app, db, fake_wx)
    path = _path(url)
    client = app.test_client()
    nid = int(urlsplit(url).path.rsplit("/", 1)[1])
    other = path.replace(f"/n/{nid}?", f"/n/{nid + 1}?")  # the key of another notice
    stamp, _mac = path.split("k=", 1)[1].split(".", 1)
    longer = path.replace(f"k={stamp}.", f"k={int(stamp) + 86400 * 365}.")  # an expiry pushed out
    flipped = path[:-1] + ("A" if path[-1] != "A" else "B")
    for bad in (other, longer, flipped, f"/n/{nid}", f"/n/{nid}?k=abc"):
        res = client.get(bad)
        assert res.status_code == 403 and T.PAGE_LINK_BAD in res.get_data(as_text=True), bad
        assert "社区党群服务中心" not in res.get_data(as_text=True)
    app.config["CLOCK"].advance(days=31)
    res = client.get(path)
    assert res.status_code == 403 and "链接已过期" in res.get_data(as_text=True)


def test_the_key_is_an_hmac_with_the_secret_key(app: Flask) -> None:
    cfg = settings_of(app.config)
    key = notice_key(cfg, 5, NOW + timedelta(days=30))
    assert check_notice_key(cfg, 5, key, NOW) is None
    assert check_notice_key({**cfg, "SECRET_KEY": "another"}, 5, key, NOW) == "bad"
    assert check_notice_key(cfg, 5, key, NOW + timedelta(days=30)) == "expired"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path / "profile", PHONE) as driver:
        yield driver


@pytest.mark.browser
def test_the_notice_page_reads_on_a_phone(app: Flask, db: Session, fake_wx: FakeWeChat, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    url, _ = _sent_link(app, db, fake_wx)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        browser.set_window_size(390, 844)
        browser.get(f"http://127.0.0.1:{server.server_port}{_path(url)}")
        text = browser.find_element(By.ID, "text")
        assert "社区党群服务中心三楼第二会议室" in text.text and "2026" not in browser.find_element(By.ID, "title").text
        width = browser.execute_script("return document.documentElement.clientWidth")
        scroll = browser.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width  # no sideways scrolling at phone width
        assert text.rect["width"] <= width
    finally:
        server.shutdown()
        server.server_close()


def test_a_reminders_page_is_titled_by_the_reminder(app: Flask, db: Session, fake_wx: FakeWeChat) -> None:
    app.config["CLOCK"] = FrozenClock(NOW)
    m = f.member(db, f.branch(db).id)
    with app.extensions["db"].transaction() as s:
        assert enqueue(s, kind="volunteer_pending", recipient_id=m.id, due_at=NOW, params={"count": 2}, now=NOW,
                       subject_type="member", subject_id=m.id, slot="x")
    assert dispatch_due(app, NOW)["sent"] == 1
    [item] = fake_wx.inbox[m.openid or ""]
    assert item["data"] == {"thing1": {"value": "志愿服务待确认"}, "thing2": {"value": "志愿服务记录"},
                            "thing3": {"value": "2条待确认"}}
    body = app.test_client().get(_path(str(item["url"]))).get_data(as_text=True)
    assert "<h1 id=\"title\">志愿服务待确认</h1>" in body and "有2条志愿服务记录等待您确认" in body
