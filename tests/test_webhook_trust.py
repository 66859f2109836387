"""The webhook's trust boundary (issue 13): replayed signed URLs, downgrade to plaintext, the shape of every
query parameter, declarations in the XML's structure (not in a member's text), and envelope values longer
than their columns. Every refusal is a 4xx with a logged reason and writes nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.chat.webhook import SeenNonces
from bot.infra.clock import FrozenClock
from bot.infra.store import StoreUnavailable
from bot.models import Attendance, Member, SubscribeConsent
from tests import factories as f
from tests import wxxml
from tests.conftest import TOKEN, Chat

SAFE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def post(client: FlaskClient, body: str | bytes, query: dict[str, str] | None = None) -> tuple[int, str]:
    q = query if query is not None else wxxml.signed_query(TOKEN)
    resp = client.post("/wechat", query_string=q, data=body, content_type="text/xml")
    return resp.status_code, resp.get_data(as_text=True)


def refused(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "webhook refused" in r.getMessage()]


@pytest.fixture
def zhang(db: Session) -> Member:
    branch = f.branch(db)
    return f.member(db, branch.id, name="张三", openid="o_zhang", phone="13900001111")


# -- replay -------------------------------------------------------------------------------------------
def test_a_seen_signed_url_cannot_carry_another_body(client: FlaskClient, zhang: Member,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    """An access log shows the query; with it an attacker posted `我的` as another member and read their phone."""
    query = wxxml.signed_query(TOKEN)
    status, _ = post(client, wxxml.text("o_stranger", "帮助"), query)
    assert status == 200
    status, body = post(client, wxxml.text("o_zhang", "我的"), query)
    assert status == 403
    assert "13900001111" not in body
    assert "replayed" in refused(caplog)[-1]
    # the same sender and another message under the seen query: refused too
    status, _ = post(client, wxxml.text("o_stranger", "帮助"), query)
    assert status == 403


def test_wechat_retry_under_the_same_query_gets_the_stored_reply(client: FlaskClient, zhang: Member) -> None:
    """If WeChat resends one message with the same query, it is a retry: the same reply, no 403."""
    query = wxxml.signed_query(TOKEN)
    xml = wxxml.text("o_zhang", "帮助")
    first = post(client, xml, query)
    again = post(client, xml, query)
    assert first[0] == again[0] == 200
    assert first[1] == again[1]
    # and a retry with a fresh query (what WeChat's retries usually carry) as before
    assert post(client, xml)[1] == first[1]


def test_same_msgid_from_another_sender_under_a_seen_query_is_refused(client: FlaskClient, zhang: Member) -> None:
    query = wxxml.signed_query(TOKEN)
    msgid = wxxml.msg_id()
    assert post(client, wxxml.text("o_zhang", "我的", msgid=msgid), query)[0] == 200
    assert post(client, wxxml.text("o_other", "我的", msgid=msgid), query)[0] == 403


def test_a_replay_frees_the_message_key_it_claimed(client: FlaskClient, zhang: Member) -> None:
    """The refused replay claimed its message's key in the same round trip: the real message still runs."""
    query = wxxml.signed_query(TOKEN)
    assert post(client, wxxml.text("o_stranger", "帮助"), query)[0] == 200
    xml = wxxml.text("o_zhang", "我的")
    assert post(client, xml, query)[0] == 403
    status, body = post(client, xml)
    assert status == 200 and "张三" in body


def test_replay_is_refused_on_this_worker_while_the_store_is_down(app: Flask, client: FlaskClient, zhang: Member,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    store = app.extensions["store"]

    def down(*_a: Any, **_k: Any) -> Any:
        raise StoreUnavailable("redis is down")

    for name in ("get", "set", "delete", "run"):
        monkeypatch.setattr(store, name, down)
    query = wxxml.signed_query(TOKEN)
    xml = wxxml.text("o_stranger", "帮助")
    assert post(client, xml, query)[0] == 200
    assert post(client, xml, query)[0] == 200  # WeChat's retry
    assert post(client, wxxml.text("o_zhang", "我的"), query)[0] == 403


def test_a_query_outside_the_window_is_refused_before_the_memory_matters(client: FlaskClient) -> None:
    query = wxxml.signed_query(TOKEN, timestamp=int(time.time()) - 3600)
    assert post(client, wxxml.text("o_stranger", "帮助"), query)[0] == 403


def test_the_in_process_memory_is_bounded_and_forgets_after_its_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    memory = SeenNonces(limit=3)
    assert memory.claim("a", "x", ttl=60) is None
    assert memory.claim("a", "y", ttl=60) == "x"
    for key in ("b", "c", "d"):
        memory.claim(key, "x", ttl=60)
    assert len(memory._seen) <= 3
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + 61)
    assert memory.claim("d", "z", ttl=60) is None  # expired: remembered anew


# -- downgrade ----------------------------------------------------------------------------------------
@pytest.fixture
def safe_app(app: Flask) -> Flask:
    app.config.update(WECHAT_AES_KEY=SAFE_KEY)
    return app


def test_with_a_key_configured_plaintext_is_refused(safe_app: Flask, client: FlaskClient, zhang: Member,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    status, body = post(client, wxxml.text("o_zhang", "我的"))
    assert status == 403
    assert "13900001111" not in body
    assert "plaintext" in refused(caplog)[-1]
    q = wxxml.signed_query(TOKEN)
    q["encrypt_type"] = "raw"
    assert post(client, wxxml.text("o_zhang", "我的"), q)[0] == 403
    # the encrypted message is answered
    reply = Chat(client, safe_app).send(wxxml.text("o_zhang", "我的"))
    assert reply is not None and "张三" in reply["Content"]


# -- query shape --------------------------------------------------------------------------------------
def _shaped(**changes: str | None) -> dict[str, str]:
    q = wxxml.signed_query(TOKEN)
    for key, value in changes.items():
        if value is None:
            q.pop(key, None)
        else:
            q[key] = value
    return q


@pytest.mark.parametrize("changes, status", [
    ({"timestamp": "9" * 309}, 403),
    ({"timestamp": "1" * 400}, 403),
    ({"timestamp": "١٧٠٠٠٠٠٠٠٠"}, 403),  # Arabic-Indic digits: str.isdigit() says yes, int() reads them
    ({"timestamp": "-1"}, 403),
    ({"timestamp": None}, 403),
    ({"nonce": None}, 403),
    ({"nonce": "n" * 65}, 403),
    ({"nonce": "a b"}, 403),
    ({"signature": "f" * 39}, 403),
    ({"signature": "g" * 40}, 403),
    ({"msg_signature": "x"}, 403),
    ({"encrypt_type": "des"}, 400),
    ({"openid": "o" * 65}, 400),
    ({"openid": "o_1'; --"}, 400),
], ids=["309-digits", "400-digits", "unicode-digits", "negative", "no-timestamp", "no-nonce", "long-nonce",
        "odd-nonce", "short-signature", "non-hex-signature", "bad-msg-signature", "unknown-encrypt-type",
        "long-openid", "odd-openid"])
def test_query_shapes_are_refused_before_anything_reads_them(client: FlaskClient, changes: dict[str, str | None],
                                                             status: int, caplog: pytest.LogCaptureFixture) -> None:
    assert post(client, wxxml.text("o_stranger", "帮助"), _shaped(**changes))[0] == status
    assert refused(caplog)
    # URL verification reads the same query
    assert client.get("/wechat", query_string={**_shaped(**changes), "echostr": "e"}).status_code == status


def test_a_well_formed_query_with_openid_is_answered(client: FlaskClient) -> None:
    assert post(client, wxxml.text("o_stranger", "帮助"), _shaped(openid="o6_bmjrPTlm6_2sgVt7hMZOPfL2M"))[0] == 200


# -- declarations -------------------------------------------------------------------------------------
@pytest.mark.parametrize("content", [
    "教材里写着 <!DOCTYPE html> 是什么意思",
    '<!ENTITY xxe SYSTEM "file:///etc/passwd"> 这段话是什么',
    "<!doctype x [<!entity a 'b'>]>",
])
def test_declarations_in_a_members_text_are_just_text(chat: Chat, content: str) -> None:
    resp = chat.post(wxxml.text("o_stranger", content))
    assert resp.status_code == 200
    assert "没有听懂" in resp.get_data(as_text=True)  # answered like any text nobody's command takes


def test_declarations_in_escaped_text_are_just_text(client: FlaskClient) -> None:
    body = (f"<xml><ToUserName>{wxxml.ACCOUNT}</ToUserName><FromUserName>o_stranger</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>text</MsgType>"
            f"<Content>&lt;!DOCTYPE lolz&gt;</Content><MsgId>{wxxml.msg_id()}</MsgId></xml>")
    assert post(client, body)[0] == 200


def test_a_declaration_hidden_behind_a_fake_cdata_in_a_comment_is_refused(client: FlaskClient) -> None:
    body = ('<?xml version="1.0"?><!-- <![CDATA[ --><!DOCTYPE x [<!ENTITY a "aaaa">]><!-- ]]> -->'
            "<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>&a;</Content></xml>")
    assert post(client, body)[0] == 400


def test_a_declaration_inside_the_encrypted_message_is_refused(safe_app: Flask, client: FlaskClient) -> None:
    xml = ('<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><ToUserName>a</ToUserName><FromUserName>o1</FromUserName>'
           f"<CreateTime>{int(time.time())}</CreateTime><MsgType>text</MsgType><Content>&a;</Content>"
           f"<MsgId>{wxxml.msg_id()}</MsgId></xml>")
    assert Chat(client, safe_app).post(xml).status_code == 400


# -- lengths at the boundary --------------------------------------------------------------------------
@pytest.fixture
def scene_world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    from datetime import timedelta

    app.config["CLOCK"] = clock
    branch = f.branch(db)
    member = f.member(db, branch.id, openid="o_len")
    meeting = f.meeting(db, branch.id, clock() + timedelta(minutes=5), checkin_scene="checkin_len")
    return {"member": member, "meeting": meeting}


@pytest.mark.parametrize("xml", [
    lambda: wxxml.text("o" * 65, "帮助"),
    lambda: wxxml.text("o_len", "帮助", to="g" * 65),
    lambda: wxxml.scan("o" * 65, "checkin_len"),
    lambda: wxxml.scan("o_len", "checkin_len", create_time=10 ** 99),
    lambda: wxxml.text("o_len", "帮助", msgid=10 ** 25),
    lambda: wxxml.event("o_len", "E" * 65),
], ids=["long-sender", "long-account", "scan-long-sender",
        "long-createtime", "long-msgid", "long-event"])
def test_envelope_values_longer_than_their_columns_are_400_and_write_nothing(
        chat: Chat, db: Session, scene_world: dict[str, Any], xml: Any, caplog: pytest.LogCaptureFixture) -> None:
    assert chat.post(xml()).status_code == 400
    assert "longer than" in refused(caplog)[-1]
    assert db.scalar(select(func.count()).select_from(Attendance)) == 0


def test_envelope_values_at_their_limits_are_answered(chat: Chat, db: Session, scene_world: dict[str, Any]) -> None:
    assert chat.post(wxxml.text("o" * 64, "帮助")).status_code == 200
    # a scene reaches no column: any length is answered by the check-in handler (an unknown code)
    for n, scene in enumerate(("s" * 92, "checkin_len" + "x" * 300)):
        reply = chat.send(wxxml.scan("o_len", scene, create_time=1_700_000_000 + n))
        assert reply is not None and "签到码无效" in reply["Content"]
    assert chat.post(wxxml.subscribe("o_len", scene="s" * 500)).status_code == 200
    assert chat.post(wxxml.view("o_len", "https://example.org/" + "p" * 900)).status_code == 200
    reply = chat.send(wxxml.scan("o_len", "checkin_len"))
    assert reply is not None and "签到成功" in reply["Content"], reply
    assert db.scalar(select(func.count()).select_from(Attendance)) == 1


def test_a_template_id_longer_than_its_column_is_ignored_and_logged(chat: Chat, db: Session,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    resp = chat.post(wxxml.subscribe_msg("o_len", "subscribe_msg_popup_event", [
        {"TemplateId": "T" * 129, "SubscribeStatusString": "accept", "PopupScene": "0"},
        {"TemplateId": "TPL_OK", "SubscribeStatusString": "accept", "PopupScene": "0"}]))
    assert resp.status_code == 200
    rows = db.scalars(select(SubscribeConsent)).all()
    assert [r.template_id for r in rows] == ["TPL_OK"]
    assert any("TemplateId longer than 128" in r.getMessage() for r in caplog.records)
    for kind in ("subscribe_msg_change_event", "subscribe_msg_sent_event"):
        resp = chat.post(wxxml.subscribe_msg("o_len", kind, [
            {"TemplateId": "T" * 129, "SubscribeStatusString": "reject", "ErrorCode": "43101"}]))
        assert resp.status_code == 200
    assert db.scalar(select(func.count()).select_from(SubscribeConsent)) == 1
