"""The chat simulator at /dev/chat (demo and development only): pick a demo person, type as in WeChat.

The page's server side builds real WeChat XML, signs it with WECHAT_TOKEN (and encrypts it in safe
mode) and posts it to /wechat through the app itself, so every message takes the same path a WeChat
message takes. The person's inbox is what the bot sent them through the (fake) WeChat API.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict
from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from bot.config import Settings
from bot.devtools.seed import NEWCOMER_OPENID
from bot.infra import clock, web
from bot.models import Branch, Meeting, Member
from bot.texts import meetings as T

bp = Blueprint("devchat", __name__, url_prefix="/dev/chat")

MAX_TEXT = 2000
KINDS = ("text", "scan", "subscribe", "image")
UNBOUND_PREFIX = "o_demo_unbound_"  # a demo member who has not bound yet chats from this openid


def _encodable(*values: str) -> bool:
    """No lone surrogate (a browser can send one in JSON; it has no UTF-8 form, so no XML could carry it)."""
    return not any(0xD800 <= ord(c) <= 0xDFFF for value in values for c in value)


def register(app: Flask) -> None:
    app.register_blueprint(bp)


def _field(name: str, value: str | int) -> str:
    if isinstance(value, int):
        return f"<{name}>{value}</{name}>"
    text = value.replace("]]>", "]]]]><![CDATA[>")
    return f"<{name}><![CDATA[{text}]]></{name}>"


def build_xml(openid: str, kind: str, *, text: str = "", scene: str = "", create_time: int) -> str:
    """A WeChat message or event as WeChat would post it."""
    parts = [_field("ToUserName", "gh_zhibu_demo"), _field("FromUserName", openid),
             _field("CreateTime", create_time)]
    if kind == "text":
        parts += [_field("MsgType", "text"), _field("Content", text),
                  _field("MsgId", secrets.randbits(62))]
    elif kind == "scan":
        parts += [_field("MsgType", "event"), _field("Event", "SCAN"), _field("EventKey", scene),
                  _field("Ticket", "SIMULATOR")]
    elif kind == "image":
        media_id = f"SIM_{secrets.token_hex(8)}"
        parts += [_field("MsgType", "image"), _field("PicUrl", f"http://127.0.0.1/sim/{media_id}.jpg"),
                  _field("MediaId", media_id), _field("MsgId", secrets.randbits(62))]
    else:
        parts += [_field("MsgType", "event"), _field("Event", "subscribe"), _field("EventKey", "")]
    return "<xml>" + "".join(parts) + "</xml>"


def post_to_webhook(xml: str) -> tuple[int, str]:
    """Sign (and in safe mode encrypt) like WeChat, post to /wechat in-process; (status, reply XML)."""
    cfg = current_app.config
    timestamp = str(int(web.now().timestamp()))
    nonce = secrets.token_hex(5)
    token = cfg["WECHAT_TOKEN"]
    query = {"timestamp": timestamp, "nonce": nonce,
             "signature": hashlib.sha1("".join(sorted((token, timestamp, nonce))).encode()).hexdigest()}
    body = xml
    crypto = _crypto()
    if crypto is not None:
        encrypted = xmltodict.parse(crypto.encrypt_message(xml, nonce, timestamp))["xml"]
        query.update(encrypt_type="aes", msg_signature=encrypted["MsgSignature"])
        body = f"<xml><Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>"
    client = current_app.test_client()
    resp = client.post("/wechat", query_string=query, data=body.encode(), content_type="text/xml")
    reply = resp.get_data(as_text=True)
    if crypto is not None and resp.status_code == 200 and reply not in ("", "success"):
        outer = xmltodict.parse(reply)["xml"]
        reply = crypto.decrypt_message(reply, outer["MsgSignature"], outer["TimeStamp"], outer["Nonce"])
    return resp.status_code, reply


def _crypto() -> Any:
    cfg = current_app.config
    if not cfg["WECHAT_AES_KEY"]:
        return None
    from wechatpy.crypto import WeChatCrypto

    return WeChatCrypto(cfg["WECHAT_TOKEN"], cfg["WECHAT_AES_KEY"], cfg["WECHAT_APPID"])


def describe_reply(reply_xml: str) -> dict[str, Any]:
    """What the person sees on their phone: text, or a summary of a news/image reply."""
    if reply_xml in ("", "success"):
        return {"type": "none", "text": None}
    try:
        doc = xmltodict.parse(reply_xml)["xml"]
    except (ExpatError, KeyError, TypeError):
        return {"type": "raw", "text": reply_xml}
    msg_type = str(doc.get("MsgType", ""))
    if msg_type == "text":
        return {"type": "text", "text": str(doc.get("Content") or "")}
    if msg_type == "news":
        items = doc.get("Articles", {}).get("item", [])
        items = items if isinstance(items, list) else [items]
        return {"type": "news", "text": "\n".join(f"[图文] {i.get('Title', '')}" for i in items)}
    return {"type": msg_type, "text": f"[{msg_type}]"}


@bp.get("")
def page() -> str:
    """The simulator page."""
    return render_template("dev/chat.html")


@bp.get("/personas")
def personas() -> Response:
    """Demo people: bound members as themselves, members not bound yet from an openid of their own (so a
    邀请's code can be tried), a newcomer with no record, and meetings to scan."""
    with web.get_db().transaction() as session:
        members = session.scalars(select(Member).where(Member.active.is_(True)).order_by(Member.id)).all()
        branches = {b.id: b.name for b in session.scalars(select(Branch))}
        people = [{"openid": m.openid or f"{UNBOUND_PREFIX}{m.id}",
                   "name": m.name if m.openid else f"{m.name}（未绑定）",
                   "branch": branches.get(m.branch_id or 0, "党委机关")} for m in members]
        if not any(p["openid"] == NEWCOMER_OPENID for p in people):
            people.append({"openid": NEWCOMER_OPENID, "name": "新用户（未绑定）", "branch": ""})
        now = web.now()
        meetings = session.scalars(select(Meeting).where(Meeting.status == "scheduled",
                                                         Meeting.ends_at >= now).order_by(Meeting.starts_at)).all()
        cfg = web.settings()
        scenes = [{"scene": m.checkin_scene, "label": _scene_label(m, cfg)} for m in meetings]
    return jsonify(personas=people, meetings=scenes)


def _scene_label(meeting: Meeting, settings: Settings) -> str:
    """12-02 16:40 主题党日：学习… (the type in Chinese; a topic that repeats the type is not said twice)."""
    label = T.type_label(meeting.type)
    topic = (meeting.topic or "").removeprefix(label).lstrip("：: ")
    return f"{clock.local(meeting.starts_at, settings):%m-%d %H:%M} {label}" + (f"：{topic}" if topic else "")


@bp.post("/send")
def send() -> tuple[Response, int] | Response:
    """Post one message or event as `openid` through /wechat; returns what the bot answered."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="请求体应为 JSON 对象"), 400
    openid = str(data.get("openid") or "").strip()
    kind = str(data.get("kind") or "text")
    text = str(data.get("text") or "")
    scene = str(data.get("scene") or "")
    if not _encodable(openid, text, scene):
        return jsonify(error="消息含有无法编码的字符（单独的代理字符），请删掉后重发"), 400
    if not openid or len(openid) > 64:
        return jsonify(error="请选择一位演示人员（openid 为 1–64 个字符）"), 400
    if kind not in KINDS:
        return jsonify(error=f"kind 应为 {' / '.join(KINDS)}"), 400
    if kind == "text" and not text.strip():
        return jsonify(error="请输入消息内容"), 400
    if len(text) > MAX_TEXT:
        return jsonify(error=f"消息过长（最多 {MAX_TEXT} 字）"), 400
    if kind == "scan" and not (0 < len(scene) <= 64):
        return jsonify(error="请选择要扫码签到的会议"), 400
    xml = build_xml(openid, kind, text=text, scene=scene, create_time=int(web.now().timestamp()))
    status, reply = post_to_webhook(xml)
    if status != 200:
        return jsonify(error=f"/wechat 拒绝了这条消息（HTTP {status}）：{reply}"), 502
    return jsonify(sent=xml, reply=describe_reply(reply))


@bp.get("/inbox")
def inbox() -> tuple[Response, int] | Response:
    """What the bot sent this person through the WeChat API (the fake one mounted at /_fakewx/)."""
    openid = request.args.get("openid", "")
    fake = current_app.extensions.get("fake_wechat")
    if fake is None:
        return jsonify(error="假微信接口未启用"), 404
    with fake.lock:
        items = list(fake.inbox.get(openid, []))
    return jsonify(items=[_inbox_line(i) for i in items])


def _inbox_line(item: dict[str, Any]) -> dict[str, Any]:
    channel = item.get("channel", "")
    if channel == "custom":
        content = item.get("content") or {}
        text = content.get("content") if isinstance(content, dict) else None
        body = text or f"[{item.get('msgtype', '')}]"
    else:
        data = item.get("data") or {}
        body = "；".join(f"{k}：{(v or {}).get('value', '')}" for k, v in data.items()) if isinstance(data, dict) \
            else str(data)
    label = {"custom": "客服消息", "template": "模板消息", "subscribe": "订阅消息"}.get(channel, channel)
    at = clock.local(datetime.fromtimestamp(float(item.get("at", 0)), UTC), web.settings()).strftime("%H:%M:%S")
    return {"channel": label, "text": body, "at": at}
