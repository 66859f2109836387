"""Every bad input from wechat-vectors.md: a 4xx with a logged reason, never a 500."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import wxxml
from tests.conftest import TOKEN, Chat


def post(client: FlaskClient, body: bytes | str, query: dict[str, str] | None = None) -> tuple[int, str]:
    q = query if query is not None else wxxml.signed_query(TOKEN)
    resp = client.post("/wechat", query_string=q, data=body, content_type="text/xml")
    return resp.status_code, resp.get_data(as_text=True)


def refused(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "webhook refused" in r.getMessage()]


def test_missing_signature(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    q = wxxml.signed_query(TOKEN)
    del q["signature"]
    assert post(client, wxxml.text("o1", "帮助"), q)[0] == 403
    assert "missing signature" in refused(caplog)[-1]


def test_wrong_signature(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    q = wxxml.signed_query(TOKEN)
    q["signature"] = "0" * 40
    assert post(client, wxxml.text("o1", "帮助"), q)[0] == 403
    assert "wrong signature" in refused(caplog)[-1]
    q["signature"] = "不是签名"
    assert post(client, wxxml.text("o1", "帮助"), q)[0] == 403


def test_stale_timestamp_is_refused_by_default_window(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    q = wxxml.signed_query(TOKEN, timestamp=int(time.time()) - 301)
    assert post(client, wxxml.text("o1", "帮助"), q)[0] == 403
    assert "window" in refused(caplog)[-1]
    q = wxxml.signed_query(TOKEN, timestamp=int(time.time()) - 200)
    assert post(client, wxxml.text("o1", "帮助"), q)[0] == 200


def test_stale_timestamp_on_url_verification(client: FlaskClient) -> None:
    q = wxxml.signed_query(TOKEN, timestamp=int(time.time()) - 3600)
    assert client.get("/wechat", query_string={**q, "echostr": "e"}).status_code == 403
    q = wxxml.signed_query(TOKEN)
    resp = client.get("/wechat", query_string={**q, "echostr": "e"})
    assert (resp.status_code, resp.get_data(as_text=True)) == (200, "e")


def test_malformed_timestamp(client: FlaskClient) -> None:
    q = wxxml.signed_query(TOKEN)
    q["timestamp"] = "yesterday"
    assert post(client, wxxml.text("o1", "帮助"), q)[0] == 403


XXE = """<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>
<MsgType>text</MsgType><Content>&xxe;</Content><MsgId>1</MsgId></xml>"""
LAUGHS = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">" + "".join(
    f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' if i > 1 else '<!ENTITY lol1 "&lol;&lol;&lol;">'
    for i in range(1, 10)
) + "]><xml><FromUserName>b</FromUserName><MsgType>text</MsgType><Content>&lol9;</Content></xml>"


@pytest.mark.parametrize("body", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_entities_are_refused_without_expanding(
    client: FlaskClient, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    started = time.perf_counter()
    status, text = post(client, body)
    assert status == 400
    assert "root:" not in text
    assert time.perf_counter() - started < 2  # nothing was expanded
    assert "entity" in refused(caplog)[-1]


def test_body_over_64k_is_413(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    body = wxxml.text("o1", "x" * (64 * 1024))
    status, _ = post(client, body)
    assert status == 413
    assert any("413" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("body", [
    "<xml><ToUserName>a</ToUserName",
    "not xml at all",
    "",
    "<other><a>1</a></other>",
    "<xml><ToUserName>a</ToUserName></xml>",
    "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><CreateTime>soon</CreateTime></xml>",
    "<xml><FromUserName><a>nested</a></FromUserName><MsgType>text</MsgType></xml>",
    "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType>" + "<a>" * 5000 + "</a>" * 5000 + "</xml>",
], ids=["truncated", "not-xml", "empty", "wrong-root", "no-sender", "bad-createtime", "nested-sender", "deep"])
def test_malformed_xml_is_400(client: FlaskClient, body: str) -> None:
    status, _ = post(client, body)
    assert status == 400


def test_non_utf8_body_is_400(client: FlaskClient) -> None:
    status, _ = post(client, "<xml><Content>中文</Content></xml>".encode("gbk"))
    assert status == 400


def test_plain_request_to_safe_mode_endpoint_without_key(client: FlaskClient) -> None:
    q = wxxml.signed_query(TOKEN)
    q.update(encrypt_type="aes", msg_signature="0" * 40)
    status, _ = post(client, "<xml><Encrypt>abc</Encrypt></xml>", q)
    assert status == 400


SAFE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@pytest.fixture
def safe_app(app: Flask) -> Flask:
    app.config.update(WECHAT_AES_KEY=SAFE_KEY)
    return app


def test_safe_mode_round_trip_with_our_token(safe_app: Flask, client: FlaskClient) -> None:
    chat = Chat(client, safe_app)
    reply = chat.send(wxxml.text("o_stranger", "帮助"))
    assert reply is not None
    assert "绑定" in reply["Content"]


ALL_TYPES: dict[str, Callable[[str], str]] = {
    "text": lambda o: wxxml.text(o, "你好"),
    "image": wxxml.image,
    "voice": wxxml.voice,
    "video": wxxml.video,
    "shortvideo": wxxml.shortvideo,
    "location": wxxml.location,
    "link": wxxml.link,
    "subscribe": wxxml.subscribe,
    "unsubscribe": wxxml.unsubscribe,
    "subscribe_qrscene": lambda o: wxxml.subscribe(o, scene="unknown_scene"),
    "scan": lambda o: wxxml.scan(o, "unknown_scene"),
    "click": lambda o: wxxml.click(o, "MENU_HELP"),
    "view": wxxml.view,
    "location_event": wxxml.location_event,
    "templatesendjobfinish": lambda o: wxxml.template_finished(o, 123456),
    "subscribe_msg_popup": lambda o: wxxml.subscribe_msg(o, "subscribe_msg_popup_event", [
        {"TemplateId": "TPL1", "SubscribeStatusString": "accept", "PopupScene": "0"}]),
    "subscribe_msg_change": lambda o: wxxml.subscribe_msg(o, "subscribe_msg_change_event", [
        {"TemplateId": "TPL1", "SubscribeStatusString": "reject"}]),
    "subscribe_msg_sent": lambda o: wxxml.subscribe_msg(o, "subscribe_msg_sent_event", [
        {"TemplateId": "TPL1", "MsgID": "1700", "ErrorCode": "0", "ErrorStatus": "success"}]),
    "unknown_event": lambda o: wxxml.event(o, "some_future_event"),
    "unknown_type": lambda o: wxxml.build("hologram", o, MsgId=wxxml.msg_id()),
}


@pytest.mark.parametrize("kind", sorted(ALL_TYPES))
def test_every_message_and_event_type_gets_a_valid_answer(chat: Chat, kind: str) -> None:
    resp = chat.post(ALL_TYPES[kind]("o_types_" + kind))
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert body == "success" or body.startswith("<xml>")
