"""Builders for incoming WeChat XML (every message and event type) and signed requests."""

from __future__ import annotations

import hashlib
import itertools
import secrets
import time
from typing import Any
from xml.sax.saxutils import escape

_ids = itertools.count(7_000_000_000_000_000_001)
ACCOUNT = "gh_zhibu_test"


def _field(name: str, value: Any) -> str:
    if isinstance(value, int | float):
        return f"<{name}>{value}</{name}>"
    text = str(value).replace("]]>", "]]]]><![CDATA[>")
    return f"<{name}><![CDATA[{text}]]></{name}>"


def build(msg_type: str, sender: str, *, create_time: int | None = None, to: str = ACCOUNT,
          **fields: Any) -> str:
    parts = [
        _field("ToUserName", to),
        _field("FromUserName", sender),
        _field("CreateTime", create_time if create_time is not None else int(time.time())),
        _field("MsgType", msg_type),
    ]
    parts += [_field(k, v) for k, v in fields.items() if v is not None]
    return "<xml>" + "".join(parts) + "</xml>"


def msg_id() -> int:
    return next(_ids)


# -- ordinary messages ---------------------------------------------------------------------------
def text(sender: str, content: str, *, msgid: int | None = None, **kw: Any) -> str:
    return build("text", sender, Content=content, MsgId=msgid or msg_id(), **kw)


def image(sender: str, media_id: str = "MEDIA_1", **kw: Any) -> str:
    return build("image", sender, PicUrl="http://mmbiz.qpic.cn/x.jpg", MediaId=media_id, MsgId=msg_id(), **kw)


def voice(sender: str, **kw: Any) -> str:
    return build("voice", sender, MediaId="VOICE_1", Format="amr", MsgId=msg_id(), **kw)


def video(sender: str, **kw: Any) -> str:
    return build("video", sender, MediaId="VIDEO_1", ThumbMediaId="THUMB_1", MsgId=msg_id(), **kw)


def shortvideo(sender: str, **kw: Any) -> str:
    return build("shortvideo", sender, MediaId="SV_1", ThumbMediaId="THUMB_1", MsgId=msg_id(), **kw)


def location(sender: str, **kw: Any) -> str:
    return build("location", sender, Location_X=31.2304, Location_Y=121.4737, Scale=20,
                 Label="上海市黄浦区", MsgId=msg_id(), **kw)


def link(sender: str, **kw: Any) -> str:
    return build("link", sender, Title="学习材料", Description="二十大报告", Url="https://example.org/a",
                 MsgId=msg_id(), **kw)


# -- events --------------------------------------------------------------------------------------
def event(sender: str, name: str, **fields: Any) -> str:
    return build("event", sender, Event=name, **fields)


def subscribe(sender: str, scene: str | None = None, **kw: Any) -> str:
    if scene is None:
        return event(sender, "subscribe", **kw)
    return event(sender, "subscribe", EventKey="qrscene_" + scene, Ticket="TICKET", **kw)


def unsubscribe(sender: str, **kw: Any) -> str:
    return event(sender, "unsubscribe", **kw)


def scan(sender: str, scene: str, **kw: Any) -> str:
    return event(sender, "SCAN", EventKey=scene, Ticket="TICKET", **kw)


def click(sender: str, key: str, **kw: Any) -> str:
    return event(sender, "CLICK", EventKey=key, **kw)


def view(sender: str, url: str = "https://example.org/", **kw: Any) -> str:
    return event(sender, "VIEW", EventKey=url, **kw)


def location_event(sender: str, **kw: Any) -> str:
    return event(sender, "LOCATION", Latitude=23.137466, Longitude=113.352425, Precision=119.385040, **kw)


def template_finished(sender: str, msgid: int, status: str = "success", **kw: Any) -> str:
    return event(sender, "TEMPLATESENDJOBFINISH", MsgID=msgid, Status=status, **kw)


def _subscribe_list(items: list[dict[str, str]], status_field: str) -> str:
    out = []
    for item in items:
        inner = "".join(_field(k, v) for k, v in item.items())
        out.append(f"<List>{inner}</List>")
    return "".join(out)


def subscribe_msg(sender: str, kind: str, items: list[dict[str, str]], *, create_time: int | None = None) -> str:
    """subscribe_msg_popup_event / subscribe_msg_change_event / subscribe_msg_sent_event."""
    wrapper = {"subscribe_msg_popup_event": "SubscribeMsgPopupEvent",
               "subscribe_msg_change_event": "SubscribeMsgChangeEvent",
               "subscribe_msg_sent_event": "SubscribeMsgSentEvent"}[kind]
    inner = _subscribe_list(items, "")
    xml = build("event", sender, create_time=create_time, Event=kind)
    return xml.replace("</xml>", f"<{wrapper}>{inner}</{wrapper}></xml>")


# -- signing -------------------------------------------------------------------------------------
def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signed_query(token: str, *, timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce if nonce is not None else secrets.token_hex(8)  # fresh for each request, as WeChat's
    return {"timestamp": ts, "nonce": nonce, "signature": signature(token, ts, nonce)}


def escape_text(value: str) -> str:
    return escape(value)
