"""QR codes: rotating signed tokens, the projector page, the official-account code; PNGs decoded by zxing-cpp."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy.orm import Session

from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from bot.services.errors import Invalid
from bot.services.meetings import qr
from bot.texts import meetings as T
from tests import factories as f
from tests import wxxml

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 2, 19, 30, tzinfo=SH)
SECRET = "test-secret"


def decode(png: bytes) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(results) == 1, "exactly one QR code expected"
    text: str = results[0].text
    return text


def test_png_decodes_back() -> None:
    data = "https://zhibu.example.org/meetings/12/checkin?t=12.119333333.abcdefghijklmnopqrstuv"
    assert decode(qr.png(data)) == data


def test_token_is_valid_for_its_ttl_only() -> None:
    t0 = datetime(2026, 12, 2, 11, 29, 0, tzinfo=ZoneInfo("UTC"))
    token = qr.make_token(7, t0, SECRET, 15)
    assert qr.verify_token(token, t0, SECRET, 15, 30) == 7
    assert qr.verify_token(token, t0 + timedelta(seconds=29), SECRET, 15, 30) == 7
    with pytest.raises(Invalid) as exc:
        qr.verify_token(token, t0 + timedelta(seconds=30), SECRET, 15, 30)
    assert exc.value.reason == "qr_expired"
    with pytest.raises(Invalid) as exc:
        qr.verify_token(token, t0, "another-secret", 15, 30)
    assert exc.value.reason == "qr_bad"
    with pytest.raises(Invalid) as exc:
        qr.verify_token(token, t0, SECRET, 15, 30, meeting_id=8)
    assert exc.value.reason == "qr_other_meeting"
    future = qr.make_token(7, t0 + timedelta(minutes=5), SECRET, 15)
    with pytest.raises(Invalid):
        qr.verify_token(future, t0, SECRET, 15, 30)  # a token for a later slot cannot be made in advance


def test_tokens_rotate_every_fifteen_seconds() -> None:
    t0 = datetime(2026, 12, 2, 11, 29, 0, tzinfo=ZoneInfo("UTC"))
    tokens = {qr.make_token(7, t0 + timedelta(seconds=s), SECRET, 15) for s in range(0, 60)}
    assert len(tokens) == 4


@pytest.fixture
def meeting_page(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    clock.set(START - timedelta(minutes=5))
    branch = f.branch(db)
    meeting = f.meeting(db, branch.id, START, type="general_meeting", checkin_scene="checkin_qr_1", place="三楼")
    key = qr.page_key(meeting.id, int(meeting.ends_at.timestamp()), app.config["SECRET_KEY"])
    return {"meeting": meeting, "key": key}


def test_projector_page_and_rotating_png(app: Flask, client: FlaskClient, clock: FrozenClock,
                                         meeting_page: dict[str, Any]) -> None:
    mid, key = meeting_page["meeting"].id, meeting_page["key"]
    page = client.get(f"/meetings/{mid}/qr", query_string={"k": key})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "支部党员大会签到" in html and "三楼" in html and "15000" in html  # refreshes every 15 s
    assert page.headers["Cache-Control"].startswith("no-store")

    first = client.get(f"/meetings/{mid}/qr.png", query_string={"k": key})
    assert first.status_code == 200 and first.mimetype == "image/png"
    url = decode(first.data)
    parsed = urlparse(url)
    assert parsed.path == f"/meetings/{mid}/checkin"
    token = parse_qs(parsed.query)["t"][0]
    assert qr.verify_token(token, clock(), app.config["SECRET_KEY"], 15, 30, meeting_id=mid) == mid

    clock.advance(seconds=15)
    second = decode(client.get(f"/meetings/{mid}/qr.png", query_string={"k": key}).data)
    assert second != url
    clock.advance(seconds=16)
    with pytest.raises(Invalid):
        qr.verify_token(token, clock(), app.config["SECRET_KEY"], 15, 30, meeting_id=mid)


def test_projector_refuses_a_bad_or_expired_key(app: Flask, client: FlaskClient, clock: FrozenClock,
                                                meeting_page: dict[str, Any]) -> None:
    mid, key = meeting_page["meeting"].id, meeting_page["key"]
    for bad in ("", "garbage", key[:-2] + "xx", f"{int(key.split('.')[0]) + 1}.{key.split('.')[1]}"):
        resp = client.get(f"/meetings/{mid}/qr.png", query_string={"k": bad})
        assert resp.status_code == 403 and T.QR_PAGE_EXPIRED in resp.get_data(as_text=True)
    assert client.get(f"/meetings/{mid + 1}/qr", query_string={"k": key}).status_code == 403  # another meeting
    clock.set(START + timedelta(hours=2, seconds=1))
    assert client.get(f"/meetings/{mid}/qr", query_string={"k": key}).status_code == 403


def test_cancelled_meeting_has_no_projector_page(client: FlaskClient, db: Session,
                                                 meeting_page: dict[str, Any]) -> None:
    meeting = meeting_page["meeting"]
    meeting.status = "cancelled"
    db.add(meeting)
    db.commit()
    resp = client.get(f"/meetings/{meeting.id}/qr", query_string={"k": meeting_page["key"]})
    assert resp.status_code == 409 and T.CHK_CANCELLED in resp.get_data(as_text=True)


def test_official_account_code_rotates_every_minute_and_is_created_once_a_minute(
        app: Flask, client: FlaskClient, fake_wx: FakeWeChat, clock: FrozenClock,
        meeting_page: dict[str, Any]) -> None:
    """The projector's official-account QR is a short-lived temporary QR whose scene names the minute it was
    made (issue 13: a forwarded photo of it stops working); one WeChat call per meeting and minute."""
    mid, key = meeting_page["meeting"].id, meeting_page["key"]
    resp = client.get(f"/meetings/{mid}/scene.png", query_string={"k": key})
    assert resp.status_code == 200
    url = decode(resp.data)
    assert url.startswith("http://weixin.qq.com/q/FAKETICKET")
    [call] = fake_wx.calls_to("qrcode/create")
    assert call.body["action_name"] == "QR_STR_SCENE"
    scene = call.body["action_info"]["scene"]["scene_str"]
    assert scene.startswith("checkin_qr_1.") and len(scene) <= 64
    assert qr.scene_of(scene, clock(), app.config["SECRET_KEY"]) == "checkin_qr_1"
    assert call.body["expire_seconds"] == qr.OFFICIAL_TTL_SECONDS == 180
    again = client.get(f"/meetings/{mid}/scene.png", query_string={"k": key})
    assert decode(again.data) == url
    assert len(fake_wx.calls_to("qrcode/create")) == 1  # cached for the minute
    clock.advance(minutes=1)
    client.get(f"/meetings/{mid}/scene.png", query_string={"k": key})
    calls = fake_wx.calls_to("qrcode/create")
    assert len(calls) == 2 and calls[1].body["action_info"]["scene"]["scene_str"] != scene
    page = client.get(f"/meetings/{mid}/qr", query_string={"k": key}).get_data(as_text=True)
    assert "60000" in page  # the page fetches the new code every minute


def test_a_photo_of_the_official_code_stops_working_after_three_minutes(
        app: Flask, db: Session, chat: Any, clock: FrozenClock, meeting_page: dict[str, Any]) -> None:
    meeting = meeting_page["meeting"]
    for i, name in enumerate(("张三", "李四", "王五", "赵六")):
        f.member(db, meeting.branch_id, name=name, openid=f"o_scan_{i}")
    db.commit()
    secret = app.config["SECRET_KEY"]
    shown = qr.official_scene("checkin_qr_1", clock(), secret)
    assert chat.send(wxxml.scan("o_scan_0", shown))["Content"].startswith("签到成功，张三")
    clock.advance(minutes=2)
    assert chat.send(wxxml.scan("o_scan_1", shown))["Content"].startswith("签到成功，李四")
    clock.advance(minutes=2)  # the photo is four minutes old
    late = chat.send(wxxml.scan("o_scan_2", shown))
    assert late is not None and "已过期" in late["Content"]
    forged = shown[:-3] + ("aaa" if not shown.endswith("aaa") else "bbb")
    assert chat.send(wxxml.scan("o_forger", forged))["Content"] == T.CHK_SCENE_UNKNOWN
    # The meeting's own scene (seed-demo --export's checkin_scene, a contract) is still taken as it is.
    assert chat.send(wxxml.scan("o_scan_3", "checkin_qr_1"))["Content"].startswith("签到成功，赵六")


def test_official_code_failure_is_a_503_not_a_500(client: FlaskClient, fake_wx: FakeWeChat,
                                                  meeting_page: dict[str, Any]) -> None:
    fake_wx.fail("qrcode/create", errcode=45009, times=-1)
    resp = client.get(f"/meetings/{meeting_page['meeting'].id}/scene.png", query_string={"k": meeting_page["key"]})
    assert resp.status_code == 503
