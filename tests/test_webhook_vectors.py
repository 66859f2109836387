"""Tencent's published vectors, in plaintext and safe mode, against the real app."""

from __future__ import annotations

from typing import Any

import pytest
import wechatpy
import xmltodict
from flask.testing import FlaskClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.replies import TextReply

from bot import create_app
from bot.chat.webhook import _parse, text_reply_xml, typed_message
from tests import wxxml

# From the official encryption doc (URL verification) and WXBizMsgCrypt's cryptoDemo (safe mode).
URL_VECTOR = {"token": "AAAAA", "timestamp": "1714037059", "nonce": "486452656",
              "signature": "899cf89e464efb63f54ddac96b0a0a235f53aa78"}
SAFE = {
    "token": "spamtest",
    "aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "appid": "wx2c2769f8efd9abc2",
    "timestamp": "1409735669",
    "nonce": "1320562132",
    "signature": "16120ec1b8dbb870f510d87ce6bc2463eae6ca1a",
    "msg_signature": "5d197aaffba7e9b25a30732f161a50dee96bd5fa",
    "encrypt": (
        "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQH"
        "FVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVti"
        "cbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpA"
        "e+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCu"
        "mEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
    ),
}
SAFE_BODY = (
    "<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName>"
    f"<Encrypt><![CDATA[{SAFE['encrypt']}]]></Encrypt></xml>"
)


@pytest.fixture
def vector_client(tmp_path: Any) -> FlaskClient:
    def build(**cfg: Any) -> FlaskClient:
        base = {"APP_MODE": "test", "DATABASE_URL": f"sqlite:///{tmp_path}/v.sqlite3",
                "WECHAT_MAX_CLOCK_SKEW": 0}
        base.update(cfg)
        app = create_app(base)
        from bot.infra.schema import upgrade

        upgrade(app.config["DATABASE_URL"])
        return app.test_client()

    return build  # type: ignore[return-value]


def test_url_verification_vector(vector_client: Any) -> None:
    client = vector_client(WECHAT_TOKEN=URL_VECTOR["token"])
    q = {k: URL_VECTOR[k] for k in ("timestamp", "nonce", "signature")}
    resp = client.get("/wechat", query_string={**q, "echostr": "hello-echo"})
    assert resp.status_code == 200
    assert resp.get_data(as_text=True) == "hello-echo"
    bad = client.get("/wechat", query_string={**q, "signature": "0" * 40, "echostr": "x"})
    assert bad.status_code == 403


def test_safe_mode_vector_decrypts_and_reply_verifies(vector_client: Any) -> None:
    client = vector_client(WECHAT_TOKEN=SAFE["token"], WECHAT_AES_KEY=SAFE["aes_key"], WECHAT_APPID=SAFE["appid"])
    query = {k: SAFE[k] for k in ("timestamp", "nonce", "signature", "msg_signature")}
    resp = client.post("/wechat", query_string={**query, "encrypt_type": "aes"}, data=SAFE_BODY,
                       content_type="text/xml")
    assert resp.status_code == 200
    envelope = xmltodict.parse(resp.get_data(as_text=True))["xml"]
    assert set(envelope) >= {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    crypto = WeChatCrypto(SAFE["token"], SAFE["aes_key"], SAFE["appid"])
    plain = crypto.decrypt_message(resp.get_data(as_text=True), envelope["MsgSignature"],
                                   envelope["TimeStamp"], envelope["Nonce"])
    reply = xmltodict.parse(plain)["xml"]
    # The vector's sender is unknown to us: the reply goes back to them and echoes what they typed.
    assert reply["ToUserName"] == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert reply["FromUserName"] == "gh_10f6c3c3ac5a"
    assert reply["MsgType"] == "text"
    assert "abcdteT" in reply["Content"]


def test_safe_mode_vector_without_plain_signature_still_verifies(vector_client: Any) -> None:
    client = vector_client(WECHAT_TOKEN=SAFE["token"], WECHAT_AES_KEY=SAFE["aes_key"], WECHAT_APPID=SAFE["appid"])
    query = {k: SAFE[k] for k in ("timestamp", "nonce", "msg_signature")}
    resp = client.post("/wechat", query_string={**query, "encrypt_type": "aes"}, data=SAFE_BODY)
    assert resp.status_code == 200


@pytest.mark.parametrize("change", ["msg_signature", "encrypt_char", "appid", "garbage", "no_encrypt", "deep",
                                    "wrong_root"])
def test_safe_mode_tampering_is_refused(vector_client: Any, change: str, caplog: pytest.LogCaptureFixture) -> None:
    appid = "wx_other_app" if change == "appid" else SAFE["appid"]
    client = vector_client(WECHAT_TOKEN=SAFE["token"], WECHAT_AES_KEY=SAFE["aes_key"], WECHAT_APPID=appid)
    query = {k: SAFE[k] for k in ("timestamp", "nonce", "signature", "msg_signature")}
    body = SAFE_BODY
    from tests.wxxml import signature

    if change == "msg_signature":
        query["msg_signature"] = "f" * 40
    elif change == "encrypt_char":
        tampered = SAFE["encrypt"][:40] + ("A" if SAFE["encrypt"][40] != "A" else "B") + SAFE["encrypt"][41:]
        body = SAFE_BODY.replace(SAFE["encrypt"], tampered)
        # a sender who knows the token could re-sign; the ciphertext must still be refused
        query["msg_signature"] = signature(SAFE["token"], SAFE["timestamp"], SAFE["nonce"], tampered)
    elif change == "garbage":
        body = SAFE_BODY.replace(SAFE["encrypt"], "%%%not base64%%%")
        query["msg_signature"] = signature(SAFE["token"], SAFE["timestamp"], SAFE["nonce"], "%%%not base64%%%")
    elif change == "no_encrypt":
        body = "<xml><ToUserName>x</ToUserName></xml>"
    elif change == "deep":
        body = SAFE_BODY.replace("</xml>", "<a>" * 5000 + "</a>" * 5000 + "</xml>")
    elif change == "wrong_root":
        body = SAFE_BODY.replace("<xml>", "<other>").replace("</xml>", "</other>")
    resp = client.post("/wechat", query_string={**query, "encrypt_type": "aes"}, data=body)
    assert resp.status_code in (400, 403), resp.status_code
    assert any("webhook refused" in r.getMessage() for r in caplog.records)


def test_deterministic_encryption_vector() -> None:
    """wechatpy's fixed-prefix case: our reply encryption is wechatpy's, byte for byte."""
    from wechatpy.crypto import PrpCrypto

    class Fixed(PrpCrypto):  # type: ignore[misc]
        def get_random_string(self) -> str:
            return "1234567890123456"

    crypto = WeChatCrypto("123456", "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR", "wx49f0ab532d5d035a")
    reply = (
        "<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[test]]></Content>\n"
        "<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>\n<ToUserName><![CDATA[messense]]></ToUserName>\n"
        "<AgentID>1</AgentID>\n<CreateTime>1411525903</CreateTime>\n</xml>"
    )
    encrypted = crypto._encrypt_message(reply, "461056294", "1411525903", Fixed)
    assert xmltodict.parse(encrypted)["xml"]["MsgSignature"] == "407518b7649e86ef23978113f92d27afa9296533"


@pytest.mark.parametrize("xml", [
    wxxml.text("o_a", "帮助"), wxxml.image("o_a"), wxxml.voice("o_a"), wxxml.video("o_a"), wxxml.shortvideo("o_a"),
    wxxml.location("o_a"), wxxml.link("o_a"), wxxml.subscribe("o_a"), wxxml.subscribe("o_a", scene="checkin_1"),
    wxxml.unsubscribe("o_a"), wxxml.scan("o_a", "checkin_1"), wxxml.click("o_a", "MENU_1"), wxxml.view("o_a"),
    wxxml.location_event("o_a"), wxxml.template_finished("o_a", 42),
    wxxml.build("event", "o_a", Event="subscribe", EventKey="scanbarcode|EAN_13|690"),
    wxxml.build("device_text", "o_a", Content="x"), wxxml.build("shortvideo_new", "o_a"),
])
def test_messages_are_typed_as_wechatpy_would_type_them(xml: str) -> None:
    """The webhook parses once (ElementTree, in C) and builds wechatpy's object itself: the same dict as
    xmltodict, the same class and fields as parse_message."""
    raw = _parse(xml)
    assert raw == xmltodict.parse(xml)["xml"]
    ours = typed_message(raw)
    theirs = wechatpy.parse_message(xml)
    assert type(ours) is type(theirs)
    assert ours._data == theirs._data


@pytest.mark.parametrize("content", ["签到成功，张三，2026-12-02 19:28", "a]]>b <xml> & ]]]>", "", "多行\n文本\r\n"])
@pytest.mark.parametrize("xml", [wxxml.text("o_a", "帮助"), wxxml.scan("o_b", "checkin_1"), wxxml.subscribe("o_c")])
def test_text_replies_are_what_wechatpy_renders(xml: str, content: str) -> None:
    """Text answers are written without building wechatpy's reply object: the same XML, field for field,
    and still well-formed when the text itself contains "]]>"."""
    raw = _parse(xml)
    ours = xmltodict.parse(text_reply_xml(raw, content, 1_795_000_000))["xml"]
    theirs_xml = TextReply(message=wechatpy.parse_message(xml), content=content, time=1_795_000_000).render()
    if "]]>" not in content:
        assert ours == xmltodict.parse(theirs_xml)["xml"]
    assert ours["Content"] == (content.strip() or None)  # xmltodict strips, as WeChat's reader of Content
    assert (ours["ToUserName"], ours["FromUserName"]) == (raw["FromUserName"], raw["ToUserName"])
