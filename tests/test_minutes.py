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
from tests.browser import PHONE, chromium
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


# -- issue 12 §6: 查看记录 reads the minutes back, with a signed link to a page with the photos ---------------
def _path(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_minutes_are_read_back_with_a_signed_page(app: Flask, chat: Chat, client: Any, db: Session,
                                                   clock: FrozenClock, world: dict[str, Any]) -> None:
    import re

    mid = world["meeting"].id
    chat.say("o_sec", "记录")
    chat.say("o_sec", "一、学习党章第二章。")
    chat.say("o_sec", "二、讨论<b>发展</b>对象。")
    image(chat, "o_sec", "MEDIA_1")
    image(chat, "o_sec", "MEDIA_2")
    chat.say("o_sec", "完成")
    wait_for_background()
    f.member(db, world["branch"].id, name="刘六", openid="o_liu", is_committee_member=False)
    reply = chat.say("o_liu", "查看记录")  # a member of the branch, not of the committee (支委会)
    found = re.search(r"(http\S+/meetings/\d+/minutes\?k=\S+)", reply)
    assert found, reply
    url = found.group(1)
    assert reply == (f"支委会（编号 {mid}，2026年12月2日（周三）19:30，{world['branch'].name}）会议记录：\n"
                     "一、学习党章第二章。\n\n二、讨论<b>发展</b>对象。\n"
                     f"照片 2 张。完整记录和照片：\n{url}\n（链接 7 天内有效）")
    assert chat.say("o_sec", f"查看记录 #{mid}").endswith("（链接 7 天内有效）")

    page = client.get(_path(url))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "一、学习党章第二章。" in html and "&lt;b&gt;发展&lt;/b&gt;" in html and "照片（2 张）" in html
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert len(srcs) == 2
    photo = client.get(srcs[0].replace("&amp;", "&"))
    assert photo.status_code == 200 and photo.data == PHOTO

    key = url.split("k=")[1]
    assert client.get(f"/meetings/{mid}/minutes?k={key[:-1]}0").status_code == 403  # tampered
    assert client.get(f"/meetings/{mid + 1}/minutes?k={key}").status_code == 403  # another meeting's key
    assert client.get(srcs[0].replace("&amp;", "&").replace(key, "123.abc")).status_code == 403
    assert client.get(f"/meetings/{mid}/minutes/photo/999?k={key}").status_code == 404
    clock.advance(days=7, minutes=1)
    expired = client.get(_path(url))
    assert expired.status_code == 403 and T.MIN_LINK_EXPIRED in expired.get_data(as_text=True)


def test_minutes_are_read_by_the_branch_and_the_committee_only(chat: Chat, db: Session,
                                                               world: dict[str, Any]) -> None:
    mid = world["meeting"].id
    chat.say("o_sec", "记录")
    chat.say("o_sec", "一、学习党章。")
    chat.say("o_sec", "完成")
    admin = f.admin(db, world["branch"].committee_id, name="王主任", openid="o_admin")
    assert admin.id
    assert chat.say("o_admin", "查看记录").startswith(f"支委会（编号 {mid}，")
    assert chat.say("o_admin", f"查看记录 #{mid}").startswith(f"支委会（编号 {mid}，")
    stranger_branch = f.branch(db, name="别的支部")
    f.member(db, stranger_branch.id, name="外人", openid="o_out")
    assert chat.say("o_out", f"查看记录 #{mid}") == "你没有权限进行此操作。如需开通，请联系支部书记或上级党委。"
    assert chat.say("o_out", "查看记录") == T.MIN_NONE_RECORDED
    assert chat.say("o_nobody", "查看记录") == T.CHK_UNBOUND


def _wide_png(width: int = 1600, height: int = 40) -> bytes:
    """A real PNG wider than any phone (the page must fit it to 390 px)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.mark.browser
def test_minutes_page_fits_a_phone_in_chromium(app: Flask, db: Session, clock: FrozenClock,
                                               world: dict[str, Any], tmp_path: Any) -> None:
    import threading

    from werkzeug.serving import make_server

    from bot.services.meetings import minutes

    meeting = world["meeting"]
    folder = os.path.join(app.config["MEDIA_DIR"], str(meeting.id))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "wide.jpg")
    with open(path, "wb") as fh:
        fh.write(_wide_png())
    meeting.minutes_text = "一、" + "学习党章" * 60 + "\n\n二、讨论发展对象。"
    db.add(MinutesMedia(meeting_id=meeting.id, media_id="WIDE", path=path, created_at=clock()))
    db.commit()
    key = minutes.minutes_key(meeting.id, clock() + timedelta(days=1), app.config["SECRET_KEY"])

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with chromium(tmp_path / "profile", PHONE, phone=True) as driver:
            driver.get(f"http://127.0.0.1:{server.server_port}/meetings/{meeting.id}/minutes?k={key}")
            loaded = driver.execute_async_script(
                "const done = arguments[0]; const img = document.querySelector('#photos img');"
                "if (img.complete) { done(img.naturalWidth); } else { img.onload = () => done(img.naturalWidth);"
                " img.onerror = () => done(0); }")
            assert loaded == 1600  # the photo was served (with the page's key) and decoded
            width = driver.execute_script("return window.innerWidth")
            assert width == 390
            assert driver.execute_script("return document.documentElement.scrollWidth") <= width
            right = driver.execute_script("return document.querySelector('#photos img').getBoundingClientRect().right")
            assert right <= width
            assert "二、讨论发展对象。" in driver.find_element("id", "text").text
    finally:
        server.shutdown()
        server.server_close()
