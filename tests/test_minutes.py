"""Minutes: 记录, then text and photos; photos fetched from WeChat (media/get) off the request path."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from bot.infra.wechat import wait_for_background
from bot.models import Meeting, MinutesMedia
from bot.texts import general as G
from bot.texts import meetings as T
from scheduler import run_once
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 2, 19, 30, tzinfo=SH)
PHOTO = b"\xff\xd8\xff\xe0fake-jpeg-bytes"



@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock, fake_wx: FakeWeChat) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    clock.set(START + timedelta(minutes=40))
    branch = f.branch(db)
    sec = f.secretary(db, branch.id, name="李书记", openid="o_sec")
    f.member(db, branch.id, name="张三", openid="o_zhang")
    meeting = f.meeting(db, branch.id, START, type="committee_meeting")
    fake_wx.media["MEDIA_1"] = PHOTO
    fake_wx.media["MEDIA_2"] = PHOTO + b"2"
    return {"branch": branch, "sec": sec, "meeting": meeting}


def image(chat: Chat, openid: str, media_id: str) -> str:
    reply = chat.send(wxxml.image(openid, media_id))
    return "" if reply is None else str(reply["Content"])


def _media(db: Session) -> list[MinutesMedia]:
    found = list(db.scalars(select(MinutesMedia).order_by(MinutesMedia.id)
                            .execution_options(populate_existing=True)))
    db.commit()
    return found


def _meeting(db: Session, mid: int) -> Meeting:
    found = db.scalars(select(Meeting).where(Meeting.id == mid).execution_options(populate_existing=True)).one()
    db.commit()
    return found


def test_minutes_text_and_photos(app: Flask, chat: Chat, db: Session, world: dict[str, Any]) -> None:
    mid = world["meeting"].id
    assert chat.say("o_sec", "记录") == T.MIN_START.format(label="支委会", id=mid, when="12月2日（周三）19:30")
    assert chat.say("o_sec", "一、学习党章第二章。") == T.MIN_TEXT_SAVED.format(n=1)
    assert chat.say("o_sec", "二、讨论发展对象。") == T.MIN_TEXT_SAVED.format(n=2)
    assert image(chat, "o_sec", "MEDIA_1") == T.MIN_IMAGE_SAVED.format(n=1)
    assert image(chat, "o_sec", "MEDIA_2") == T.MIN_IMAGE_SAVED.format(n=2)
    assert image(chat, "o_sec", "MEDIA_1") == T.MIN_IMAGE_SAVED.format(n=2)  # the same photo is kept once
    assert chat.say("o_sec", "完成") == T.MIN_DONE.format(texts=2, images=2)
    wait_for_background()
    meeting = _meeting(db, mid)
    assert meeting.minutes_text == "一、学习党章第二章。\n\n二、讨论发展对象。"
    assert meeting.recorded_at is not None
    rows = _media(db)
    assert [r.media_id for r in rows] == ["MEDIA_1", "MEDIA_2"]
    for row, content in zip(rows, (PHOTO, PHOTO + b"2"), strict=True):
        assert row.path and row.path.startswith(app.config["MEDIA_DIR"]) and row.fetched_at is not None
        with open(row.path, "rb") as fh:
            assert fh.read() == content
    # after 完成, photos are ordinary messages again
    assert image(chat, "o_sec", "MEDIA_3") == G.NON_TEXT


def test_webhook_does_not_wait_for_the_wechat_api(chat: Chat, db: Session, fake_wx: FakeWeChat,
                                                  world: dict[str, Any]) -> None:
    fake_wx.fail("media/get", delay=2.0)  # WeChat is slow: the reply must not wait for it
    chat.say("o_sec", "记录")
    assert image(chat, "o_sec", "MEDIA_1") == T.MIN_IMAGE_SAVED.format(n=1)
    [row] = _media(db)
    assert row.path is None  # replied while the download was still running
    wait_for_background()
    [row] = _media(db)
    assert row.path is not None  # and the slow download finished afterwards
    with open(row.path, "rb") as fh:
        assert fh.read() == PHOTO


def test_failed_fetch_is_retried_by_the_sweep(app: Flask, chat: Chat, db: Session, runner: Any,
                                               fake_wx: FakeWeChat, world: dict[str, Any]) -> None:
    fake_wx.fail("media/get", errcode=45009)  # WeChat refuses once
    chat.say("o_sec", "记录")
    image(chat, "o_sec", "MEDIA_1")
    wait_for_background()
    [row] = _media(db)
    assert row.path is None
    result = runner.invoke(args=["minutes-fetch"])
    assert result.exit_code == 0 and "fetched 1" in result.output
    [row] = _media(db)
    assert row.path and os.path.exists(row.path)


def test_unknown_media_id_is_kept_for_later_and_nothing_breaks(chat: Chat, db: Session,
                                                                world: dict[str, Any]) -> None:
    chat.say("o_sec", "记录")
    assert image(chat, "o_sec", "MEDIA_UNKNOWN") == T.MIN_IMAGE_SAVED.format(n=1)
    wait_for_background()
    [row] = _media(db)
    assert row.path is None


def test_who_may_record_and_when(chat: Chat, db: Session, clock: FrozenClock, world: dict[str, Any]) -> None:
    assert "没有权限" in chat.say("o_zhang", "记录 " + str(world["meeting"].id))
    clock.set(START - timedelta(hours=1))
    assert chat.say("o_sec", "记录") == T.MIN_NO_MEETING  # nothing has started yet
    assert _media(db) == []


def test_the_scheduler_retries_failed_fetches_while_wechat_keeps_the_photo(
        app: Flask, chat: Chat, db: Session, clock: FrozenClock, fake_wx: FakeWeChat, world: dict[str, Any]) -> None:
    fake_wx.fail("media/get", errcode=45009, times=2)  # both photos' first downloads are refused
    chat.say("o_sec", "记录")
    image(chat, "o_sec", "MEDIA_1")
    clock.advance(days=3, minutes=1)  # MEDIA_1 is past WeChat's 3 days now
    image(chat, "o_sec", "MEDIA_2")
    wait_for_background()
    assert [row.path for row in _media(db)] == [None, None]
    fake_wx.reset()

    result = run_once(app, clock())
    assert result["media"] == 1
    old, fresh = _media(db)
    assert old.path is None  # expired on WeChat: not asked for again
    assert fresh.path
    with open(fresh.path, "rb") as fh:
        assert fh.read() == PHOTO + b"2"
    assert [c.params.get("media_id") for c in fake_wx.calls_to("media/get")] == ["MEDIA_2"]
