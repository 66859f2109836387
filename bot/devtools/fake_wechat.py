"""A fake WeChat API server: the real endpoint paths and JSON shapes, on loopback, recording calls.

Point WECHAT_API_BASE at it and wechatpy's client runs for real. It checks what WeChat checks that
matters here (access tokens, one valid at a time; template field limits; single-use js_codes) and can be
told to fail, to answer slowly, or to return an error code, so retries and fallbacks can be tested.
"""

from __future__ import annotations

import io
import json
import re
import secrets
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from werkzeug.serving import BaseWSGIServer, make_server

TEMPLATE_FIELD_LIMIT = 20
# WeChat's template keyword types (the keyword name's letters: thing1 is a `thing`) and what each accepts.
_CLOCK = r"\d{1,2}:\d{2}"
_DAY = r"(?:\d{4}年)?\d{1,2}月\d{1,2}日"
_TIME_POINT = rf"(?:{_DAY} {_CLOCK}|{_CLOCK}|\d{{4}}-\d{{2}}-\d{{2}} {_CLOCK})"
_DATE_POINT = rf"(?:{_DAY}(?: {_CLOCK})?|\d{{4}}-\d{{2}}-\d{{2}}(?: {_CLOCK})?)"
KEYWORD_RULES: dict[str, tuple[int, re.Pattern[str] | None]] = {
    "thing": (20, None),
    "phrase": (5, None),
    "name": (20, None),
    "number": (32, re.compile(r"[+-]?\d+(?:\.\d+)?")),
    "amount": (32, re.compile(r"[¥￥]?\d+(?:\.\d+)?元?")),
    "letter": (32, re.compile(r"[A-Za-z]+")),
    "symbol": (5, None),
    "character_string": (32, re.compile(r"[A-Za-z0-9_\-.:/#]+")),
    "car_number": (8, None),
    "phone_number": (17, re.compile(r"[+\d\- ]+")),
    "time": (40, re.compile(rf"{_TIME_POINT}(?:~{_TIME_POINT})?")),
    "date": (40, re.compile(rf"{_DATE_POINT}(?:~{_DATE_POINT})?")),
}


def keyword_error(name: str, value: str) -> str | None:
    """Why WeChat refuses `value` for keyword `name` (its type from the name: thing1 → thing), or None."""
    if "\n" in value or "\r" in value:
        return "line break"
    kind = re.sub(r"\d+$", "", name)
    limit, pattern = KEYWORD_RULES.get(kind, (TEMPLATE_FIELD_LIMIT, None))
    if len(value) > limit:
        return f"longer than {limit}"
    if pattern is not None and value and not pattern.fullmatch(value):
        return f"not a valid {kind}"
    return None


@dataclass
class Call:
    path: str
    params: dict[str, str]
    body: Any
    at: float


@dataclass
class Fault:
    path: str  # substring of the path
    errcode: int | None = None  # answer this WeChat error code
    http_status: int | None = None  # or this HTTP status
    delay: float = 0.0  # after sleeping this long
    times: int = 1  # for this many calls (-1: until cleared)


@dataclass
class FakeWeChat:
    appid: str = "wx_demo_appid"
    secret: str = "demo_secret"
    calls: list[Call] = field(default_factory=list)
    inbox: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    tokens: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    media: dict[str, bytes] = field(default_factory=dict)
    js_codes: dict[str, str] = field(default_factory=dict)  # js_code -> openid (mini-program login)
    oauth_codes: dict[str, str] = field(default_factory=dict)  # code -> openid (H5 pages, snsapi_base)
    used_js_codes: set[str] = field(default_factory=set)
    qr_tickets: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejected: list[dict[str, Any]] = field(default_factory=list)  # template sends refused by keyword_error
    lock: threading.Lock = field(default_factory=threading.Lock)
    _msgid: int = 1000

    # -- control (tests and the simulator) ----------------------------------------------------
    def fail(self, path: str, *, errcode: int | None = None, http_status: int | None = None,
             delay: float = 0.0, times: int = 1) -> None:
        with self.lock:
            self.faults.append(Fault(path, errcode, http_status, delay, times))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.inbox.clear()
            self.faults.clear()
            self.rejected.clear()

    def calls_to(self, path: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if path in c.path]

    def expire_tokens(self) -> None:
        """As if 7200 s had passed: every issued token now answers 42001."""
        with self.lock:
            self.tokens.clear()

    # -- serving ------------------------------------------------------------------------------
    def blueprint(self) -> Blueprint:
        bp = Blueprint(f"fakewx_{id(self)}", __name__)
        bp.add_url_rule("/<path:path>", "api", self._dispatch, methods=["GET", "POST"])
        return bp

    def app(self) -> Flask:
        app = Flask("fake_wechat")
        app.register_blueprint(self.blueprint())
        return app

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path in path and fault.times != 0:
                    if fault.times > 0:
                        fault.times -= 1
                    return fault
        return None

    def _dispatch(self, path: str) -> Any:
        body: Any = None
        if request.method == "POST":
            raw = request.get_data()
            try:
                body = json.loads(raw.decode("utf-8")) if raw else None
            except (UnicodeDecodeError, ValueError):
                body = raw
        params = {k: v for k, v in request.args.items()}
        with self.lock:
            self.calls.append(Call(path, params, body, time.time()))
        fault = self._take_fault(path)
        if fault:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.http_status:
                return Response("fault", status=fault.http_status)
            if fault.errcode is not None:
                return jsonify(errcode=fault.errcode, errmsg="fault injected")
        handler = ROUTES.get(path)
        if handler is None:
            return jsonify(errcode=40066, errmsg=f"invalid url: {path}")
        if path not in NO_TOKEN:
            problem = self._check_token(params.get("access_token"))
            if problem:
                return jsonify(problem)
        return handler(self, params, body)

    def _check_token(self, token: str | None) -> dict[str, Any] | None:
        if not token:
            return {"errcode": 41001, "errmsg": "access_token missing"}
        with self.lock:
            if token not in self.tokens:
                return {"errcode": 42001 if not self.tokens else 40001, "errmsg": "invalid credential"}
        return None

    def _issue_token(self) -> dict[str, Any]:
        token = "FAKE_" + secrets.token_hex(12)
        with self.lock:
            self.tokens = [token]  # a new token invalidates the old, as on WeChat
        return {"access_token": token, "expires_in": 7200}

    def _next_msgid(self) -> int:
        with self.lock:
            self._msgid += 1
            return self._msgid

    def _deliver(self, openid: str, item: dict[str, Any]) -> None:
        with self.lock:
            self.inbox[openid].append({**item, "at": time.time()})


# -- endpoint handlers --------------------------------------------------------------------------
def _token(fake: FakeWeChat, params: dict[str, str], body: Any) -> Any:
    creds = body if isinstance(body, dict) else params
    if creds.get("appid") != fake.appid or creds.get("secret") != fake.secret:
        return jsonify(errcode=40125, errmsg="invalid appsecret")
    if isinstance(body, dict) and not body.get("force_refresh") and fake.tokens:
        return jsonify(access_token=fake.tokens[-1], expires_in=7200)
    return jsonify(fake._issue_token())


def _template_send(fake: FakeWeChat, params: dict[str, str], body: Any) -> Any:
    if not isinstance(body, dict) or not body.get("touser") or not body.get("template_id"):
        return jsonify(errcode=47001, errmsg="data format error")
    for name, value in (body.get("data") or {}).items():
        text = str((value or {}).get("value", ""))
        why = keyword_error(str(name), text)
        if why is not None:
            fake.rejected.append({"data": body.get("data"), "field": name, "why": why})
            return jsonify(errcode=47003, errmsg=f"argument invalid! data.{name}.value {why}")
    msgid = fake._next_msgid()
    fake._deliver(body["touser"], {"channel": "template", "msgid": msgid, "template_id": body["template_id"],
                                   "data": body.get("data"), "url": body.get("url")})
    return jsonify(errcode=0, errmsg="ok", msgid=msgid)


def _custom_send(fake: FakeWeChat, params: dict[str, str], body: Any) -> Any:
    if not isinstance(body, dict) or not body.get("touser"):
        return jsonify(errcode=47001, errmsg="data format error")
    kind = body.get("msgtype", "text")
    content = body.get(kind, {})
    fake._deliver(body["touser"], {"channel": "custom", "msgtype": kind, "content": content})
    return jsonify(errcode=0, errmsg="ok")


def _subscribe_send(fake: FakeWeChat, params: dict[str, str], body: Any) -> Any:
    if not isinstance(body, dict) or not body.get("touser") or not body.get("template_id"):
        return jsonify(errcode=47001, errmsg="data format error")
    fake._deliver(body["touser"], {"channel": "subscribe", "template_id": body["template_id"],
                                   "data": body.get("data"), "page": body.get("page")})
    return jsonify(errcode=0, errmsg="ok")


def _qrcode_create(fake: FakeWeChat, params: dict[str, str], body: Any) -> Any:
    if not isinstance(body, dict):
        return jsonify(errcode=47001, errmsg="data format error")
    scene = (body.get("action_info") or {}).get("scene") or {}
    scene_str = scene.get("scene_str") or str(scene.get("scene_id", ""))
    if not scene_str or len(scene_str) > 64:
        return jsonify(errcode=40097, errmsg="invalid args")
    expire = min(int(body.get("expire_seconds", 60)), 2592000)
    ticket = "FAKETICKET" + secrets.token_hex(10)
    url = f"http://weixin.qq.com/q/{ticket}"
    with fake.lock:
        fake.qr_tickets[ticket] = {"scene_str": scene_str, "url": url, "expire_seconds": expire}
    return jsonify(ticket=ticket, expire_seconds=expire, url=url)


def _png(data: str) -> bytes:
    import qrcode

    img = qrcode.make(data)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue()


def _showqrcode(fake: FakeWeChat, params: dict[str, str], body: Any) -> Any:
    info = fake.qr_tickets.get(params.get("ticket", ""))
    if info is None:
        return Response("ticket not found", status=404)
    return Response(_png(info["url"]), mimetype="image/png")


def _media_get(fake: FakeWeChat, params: dict[str, str], body: Any) -> Any:
    data = fake.media.get(params.get("media_id", ""))
    if data is None:
        return jsonify(errcode=40007, errmsg="invalid media_id")
    return Response(data, mimetype="image/jpeg",
                    headers={"Content-Disposition": f'attachment; filename="{params["media_id"]}.jpg"'})


def _jscode2session(fake: FakeWeChat, params: dict[str, str], body: Any) -> Any:
    code = params.get("js_code", "")
    with fake.lock:
        if code in fake.used_js_codes:
            return jsonify(errcode=40163, errmsg="code been used")
        openid = fake.js_codes.get(code)
        if openid is None:
            return jsonify(errcode=40029, errmsg="invalid code")
        fake.used_js_codes.add(code)
    return jsonify(openid=openid, session_key=secrets.token_hex(12), unionid="u_" + openid)


def _oauth_token(fake: FakeWeChat, params: dict[str, str], body: Any) -> Any:
    with fake.lock:
        openid = fake.oauth_codes.pop(params.get("code", ""), None)
    if openid is None:
        return jsonify(errcode=40029, errmsg="invalid code")
    return jsonify(access_token="OAUTH_" + secrets.token_hex(8), expires_in=7200, refresh_token="R",
                   openid=openid, scope="snsapi_base")


def _wxacode(fake: FakeWeChat, params: dict[str, str], body: Any) -> Any:
    if not isinstance(body, dict) or not body.get("scene") or len(str(body["scene"])) > 32:
        return jsonify(errcode=40169, errmsg="invalid length for scene")
    return Response(_png(f"wxa:{body.get('page', '')}?scene={body['scene']}"), mimetype="image/png")


ROUTES = {
    "cgi-bin/token": _token,
    "cgi-bin/stable_token": _token,
    "cgi-bin/message/template/send": _template_send,
    "cgi-bin/message/custom/send": _custom_send,
    "cgi-bin/message/subscribe/bundle/send": _subscribe_send,
    "cgi-bin/message/subscribe/bizsend": _subscribe_send,
    "cgi-bin/message/subscribe/send": _subscribe_send,
    "cgi-bin/qrcode/create": _qrcode_create,
    "cgi-bin/showqrcode": _showqrcode,
    "cgi-bin/media/get": _media_get,
    "sns/jscode2session": _jscode2session,
    "wxa/getwxacodeunlimit": _wxacode,
    "sns/oauth2/access_token": _oauth_token,
}
NO_TOKEN = {"cgi-bin/token", "cgi-bin/stable_token", "cgi-bin/showqrcode", "sns/jscode2session",
            "sns/oauth2/access_token"}


class Served:
    """A FakeWeChat served on a loopback port in a background thread."""

    def __init__(self, fake: FakeWeChat, host: str = "127.0.0.1", port: int = 0) -> None:
        self.fake = fake
        self.server: BaseWSGIServer = make_server(host, port, fake.app(), threaded=True)
        self.base_url = f"http://{host}:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
