"""/wechat: verify, decrypt, dedupe, dispatch, encrypt the reply.

Every bad request gets a 4xx and a log line saying why; nothing a sender can put in a request makes a
500. WeChat retries a message up to three times: the first copy claims the message key in the store
(SET NX EX) and leaves its rendered reply there, so retries repeat no effect and get the same reply.
A signed query (timestamp, nonce) is accepted for one message only (replay), with WECHAT_AES_KEY set
only encrypted requests are (downgrade), and the query's shape is checked before anything reads it.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from xml.etree.ElementTree import Element, ParseError, fromstring
from xml.parsers import expat

from flask import Blueprint, Flask, Response, current_app, has_request_context, request
from sqlalchemy.exc import DBAPIError, OperationalError
from wechatpy.crypto import WeChatCrypto
from wechatpy.events import EVENT_TYPES
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage
from wechatpy.replies import TextReply, create_reply
from werkzeug.datastructures import MultiDict

from bot import texts
from bot.chat.context import UNREAD, Context, Unread, conversation_key, normalize_text
from bot.config import Settings, settings_of
from bot.infra import clock, web
from bot.infra.db import Database, Unit
from bot.infra.store import Batch, Store, StoreUnavailable
from bot.infra.text import REPLY_MAX_BYTES
from bot.services.errors import ServiceError
from bot.texts import general as G

log = logging.getLogger("zhibu.webhook")
bp = Blueprint("wechat", __name__)

PENDING = "\x00pending"
MAX_TEXT_REPLY_BYTES = REPLY_MAX_BYTES
RETRY_WAIT_SECONDS = 3.0


class BadRequest(Exception):
    """The request is refused with `status`; `reason` goes to the log and the body."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


# The shape of every query parameter, checked before anything reads them (a 309-digit timestamp made
# int() overflow in the window check): ASCII only, bounded.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_DIGITS = re.compile(r"[0-9]+")
_NONCE = re.compile(r"[A-Za-z0-9_.\-]{1,64}")
_SIGNATURE = re.compile(r"[0-9A-Fa-f]{40}")
_OPENID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
ENCRYPT_TYPES = ("aes", "raw")


def check_query(args: MultiDict[str, str]) -> None:
    """Refuse a query whose parameters are not shaped as WeChat sends them (403: not authenticated)."""
    timestamp = args.get("timestamp")
    if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
        raise BadRequest(403, "missing or malformed timestamp")
    nonce = args.get("nonce")
    if nonce is None or not _NONCE.fullmatch(nonce):
        raise BadRequest(403, "missing or malformed nonce")
    for name in ("signature", "msg_signature"):
        value = args.get(name)
        if value is not None and not _SIGNATURE.fullmatch(value):
            raise BadRequest(403, f"malformed {name}")
    encrypt_type = args.get("encrypt_type")
    if encrypt_type is not None and encrypt_type.lower() not in ENCRYPT_TYPES:
        raise BadRequest(400, "unknown encrypt_type")
    openid = args.get("openid")
    if openid is not None and not _OPENID.fullmatch(openid):
        raise BadRequest(400, "malformed openid")


def _check_timestamp(timestamp: str, cfg: Settings, now: datetime) -> None:
    if not _TIMESTAMP.fullmatch(timestamp):
        raise BadRequest(403, "missing or malformed timestamp")
    skew = cfg["WECHAT_MAX_CLOCK_SKEW"]
    if skew and abs(now.timestamp() - int(timestamp)) > skew:
        raise BadRequest(403, f"timestamp outside the {skew}s window")


def _check_signature(expected_parts: tuple[str, ...], given: str | None, what: str) -> None:
    if not given:
        raise BadRequest(403, f"missing {what}")
    if not hmac.compare_digest(sign(*expected_parts).encode(), given.lower().encode("ascii", "replace")):
        raise BadRequest(403, f"wrong {what}")


def _query(args: MultiDict[str, str], cfg: Settings) -> tuple[str, str, str]:
    return args.get("timestamp", ""), args.get("nonce", ""), cfg["WECHAT_TOKEN"]


def _refuse(exc: BadRequest) -> Response:
    log.warning("webhook refused %s %s: %s (from %s)", request.method, exc.status, exc.reason, request.remote_addr)
    return Response(exc.reason, status=exc.status, mimetype="text/plain")


@bp.get("/wechat")
def verify_url() -> Response:
    """URL verification from the WeChat admin console: echo echostr when the signature is right."""
    try:
        check_query(request.args)
        timestamp, nonce, token = _query(request.args, web.settings())
        _check_timestamp(timestamp, web.settings(), web.now())
        _check_signature((token, timestamp, nonce), request.args.get("signature"), "signature")
    except BadRequest as exc:
        return _refuse(exc)
    return Response(request.args.get("echostr", ""), mimetype="text/plain")


@bp.post("/wechat")
def receive() -> Response:
    """A message or event from WeChat, in plaintext or safe mode."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # once, not per use
    cfg, args = settings_of(app.config), request.args
    now = clock.now(cfg)
    try:
        check_query(args)
        body = request.get_data(cache=False)
        timestamp, nonce, token = _query(args, cfg)
        _check_timestamp(timestamp, cfg, now)
        safe_mode = args.get("encrypt_type", "raw").lower() == "aes"
        if cfg["WECHAT_AES_KEY"] and not safe_mode:
            # With a key configured every genuine callback is encrypted; a plaintext body is a downgrade.
            raise BadRequest(403, "plaintext request refused: safe mode is configured (encrypt_type=aes)")
        if args.get("signature") or not safe_mode:
            _check_signature((token, timestamp, nonce), args.get("signature"), "signature")
        refuse_declarations(body)
        if safe_mode:
            xml = _decrypt(body, timestamp, nonce)
            refuse_declarations(xml.encode())
        else:
            xml = body.decode("utf-8")
        raw = _parse(xml)
        check_envelope(raw)
        msg = _typed(raw)
        reply_xml = respond(app, raw, msg, now, seen=(timestamp, nonce))
    except UnicodeDecodeError:
        return _refuse(BadRequest(400, "body is not UTF-8"))
    except BadRequest as exc:
        return _refuse(exc)

    if safe_mode and reply_xml != "success":
        reply_xml = _crypto().encrypt_message(reply_xml, nonce, str(int(time.time())))
    return Response(reply_xml, mimetype="application/xml" if reply_xml != "success" else "text/plain")


class _Declared(Exception):
    pass


def _declared(*_: Any) -> None:
    raise _Declared


def refuse_declarations(data: bytes) -> None:
    """Refuse a document that declares a DTD or an entity (XXE, billion laughs) before anything expands it.

    The words may appear in a member's text (inside CDATA, or escaped): only a declaration the XML parser
    itself would see is refused. Most bodies never contain them; those that do are read once by expat
    with handlers that stop at the first declaration, before any entity is defined or expanded."""
    lowered = data.lower()
    if b"<!doctype" not in lowered and b"<!entity" not in lowered:
        return
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _declared
    parser.EntityDeclHandler = _declared
    try:
        parser.Parse(data, True)
    except _Declared:
        raise BadRequest(400, "DTD or entity declarations are not accepted") from None
    except expat.ExpatError:
        return  # malformed: _parse refuses it with its own reason


# The widths WeChat's envelope values have, and the columns they reach: an openid is stored in 64
# characters; the message identity "reply:e:<openid>:<CreateTime>:<Event>" is a check-in's source_key, in
# 100. Longer is not WeChat: a 400 here, before any handler writes it. (EventKey reaches no column: a scene
# is only looked up, so any key is answered by its handler, as tests/test_properties.py requires.)
ENVELOPE_LIMITS = {"FromUserName": 64, "ToUserName": 64, "Event": 64}
NUMBER_LIMITS = {"CreateTime": 12, "MsgId": 20}  # Unix seconds; a 64-bit id


def check_envelope(raw: dict[str, Any]) -> None:
    """Refuse envelope values WeChat never sends: too long for their column, or not text."""
    for field, limit in (*ENVELOPE_LIMITS.items(), *NUMBER_LIMITS.items()):
        _check_length(raw, field, limit)


def _check_length(raw: dict[str, Any], field: str, limit: int) -> None:
    value = raw.get(field)
    if value is None:
        return
    if not isinstance(value, str):
        raise BadRequest(400, f"XML {field} is not text")
    if len(value) > limit:
        raise BadRequest(400, f"XML {field} longer than {limit} characters")


def _crypto() -> WeChatCrypto:
    cfg = current_app.config
    if not cfg["WECHAT_AES_KEY"]:
        raise BadRequest(400, "safe mode request, but WECHAT_AES_KEY is not configured")
    return WeChatCrypto(cfg["WECHAT_TOKEN"], cfg["WECHAT_AES_KEY"], cfg["WECHAT_APPID"])


def _decrypt(body: bytes, timestamp: str, nonce: str) -> str:
    crypto = _crypto()
    try:
        root = fromstring(body)
        outer = xml_dict(root) if root.tag == "xml" else None
        encrypted = outer["Encrypt"]  # type: ignore[index]
    except (ParseError, KeyError, TypeError, ValueError) as exc:
        raise BadRequest(400, f"safe-mode body is not WeChat XML: {type(exc).__name__}") from exc
    if not isinstance(encrypted, str) or not encrypted:
        raise BadRequest(400, "safe-mode body has no Encrypt")
    token = current_app.config["WECHAT_TOKEN"]
    _check_signature((token, timestamp, nonce, encrypted), request.args.get("msg_signature"), "msg_signature")
    try:
        plain: str = crypto.decrypt_message(body, request.args["msg_signature"], timestamp, nonce)
    except Exception as exc:  # wechatpy raises struct.error, binascii.Error, ValueError… not only its own
        raise BadRequest(400, f"cannot decrypt: {type(exc).__name__}") from exc
    return plain


MAX_XML_DEPTH = 16  # WeChat's messages nest four levels at most


def xml_dict(element: Element, depth: int = 0) -> dict[str, Any] | str | None:
    """An element as xmltodict would give it: text (stripped; None if empty) for a leaf, else a dict of
    children (a list for a repeated tag), "@" attributes and "#text". ElementTree parses in C, about three
    times faster than xmltodict's Python callbacks; tests compare the two on every kind of message.
    Deeper than MAX_XML_DEPTH is refused (ValueError) rather than recursed into."""
    if not len(element) and not element.attrib:
        return (element.text or "").strip() or None
    if depth >= MAX_XML_DEPTH:
        raise ValueError(f"XML nested deeper than {MAX_XML_DEPTH} levels")
    out: dict[str, Any] = {f"@{k}": v for k, v in element.attrib.items()}
    for child in element:
        value = xml_dict(child, depth + 1)
        if child.tag not in out:
            out[child.tag] = value
        elif isinstance(out[child.tag], list):
            out[child.tag].append(value)
        else:
            out[child.tag] = [out[child.tag], value]
    text = "".join([element.text or "", *(child.tail or "" for child in element)]).strip()
    if text:
        out["#text"] = text
    return out


def _parse(xml: str) -> dict[str, Any]:
    try:
        root = fromstring(xml)
        raw = xml_dict(root) if root.tag == "xml" else None
    except (ParseError, ValueError) as exc:
        raise BadRequest(400, f"malformed XML: {exc}") from exc
    if not isinstance(raw, dict):
        raise BadRequest(400, "XML root is not <xml>")
    for field in ("FromUserName", "MsgType"):
        if not isinstance(raw.get(field), str) or not raw[field]:
            raise BadRequest(400, f"XML lacks {field}")
    for field in ("CreateTime", "MsgId"):
        value = raw.get(field)
        if value is not None and not (isinstance(value, str) and _DIGITS.fullmatch(value)):
            raise BadRequest(400, f"XML {field} is not a number")
    return raw


def _typed(raw: dict[str, Any]) -> Any:
    """wechatpy's message or event object for the parsed XML (parsed once, here, not again by wechatpy)."""
    try:
        return typed_message(raw)
    except Exception as exc:  # wechatpy's field conversions raise ValueError, AttributeError, …
        raise BadRequest(400, f"XML fields malformed: {type(exc).__name__}") from exc


def typed_message(raw: dict[str, Any]) -> Any:
    """The class wechatpy.parse_message would pick, built from a copy of the already parsed dict."""
    fields = dict(raw)
    msg_type = str(fields["MsgType"]).lower()
    if msg_type != "event" and not msg_type.startswith("device_"):
        return MESSAGE_TYPES.get(msg_type, UnknownMessage)(fields)
    event = str(fields["Event"]).lower() if "Event" in fields else None
    if msg_type.startswith("device_"):
        event = msg_type if event is None else f"device_{event}"
    key = fields.get("EventKey")
    if event == "subscribe" and isinstance(key, str) and key:
        if key.startswith(("scanbarcode|", "scanimage|")):
            event = fields["Event"] = "subscribe_scan_product"
        elif key.startswith("qrscene_"):
            event = fields["Event"] = "subscribe_scan"
            fields["EventKey"] = key.removeprefix("qrscene_")
    return EVENT_TYPES.get(event, UnknownMessage)(fields)


def message_key(raw: dict[str, Any]) -> str:
    """WeChat's own identity for a message: MsgId, or sender + CreateTime (+ event) for events."""
    if raw.get("MsgId"):
        return f"m:{raw['MsgId']}"
    return f"e:{raw['FromUserName']}:{raw.get('CreateTime', '')}:{raw.get('Event', '')}"


@dataclass(slots=True)
class Incoming:
    """A message as the webhook read it, with what every later step needs."""

    app: Flask
    raw: dict[str, Any]
    msg: Any  # wechatpy's message or event object
    key: str  # the dedupe key, from WeChat's identity for the message
    kind: Kind
    now: datetime
    conversation: str | Unread | None = UNREAD  # the sender's conversation state, if read with the claim
    deduped: bool = True  # the store holds this message's claim (False while it is down)


class SeenNonces:
    """The (timestamp, nonce) pairs this process accepted while the store was down: a bounded memory with
    expiry, so a replay is still refused on this worker (the store is the shared memory of all workers)."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self._seen: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: str, binding: str, ttl: int) -> str | None:
        """Remember key -> binding unless a live one is remembered; return the one remembered before."""
        now = time.monotonic()
        with self._lock:
            while self._seen:  # drop the expired (oldest first), and the oldest beyond the limit
                oldest, (_, expires) = next(iter(self._seen.items()))
                if expires > now and len(self._seen) < self.limit:
                    break
                del self._seen[oldest]
            known = self._seen.get(key)
            if known is not None and known[1] > now:
                return known[0]
            self._seen[key] = (binding, now + ttl)
            return None


def replay_ttl(cfg: Mapping[str, Any]) -> int:
    """How long a (timestamp, nonce) is remembered: while the clock-skew window could still accept its
    timestamp (twice the skew covers a timestamp from either side); with the window off, DEDUPE_TTL."""
    skew = int(cfg["WECHAT_MAX_CLOCK_SKEW"])
    return 2 * skew if skew else int(cfg["DEDUPE_TTL"])


def respond(app: Flask, raw: dict[str, Any], msg: Any, now: datetime,
            seen: tuple[str, str] | None = None) -> str:
    """The rendered reply for this message, computing it once across WeChat's retries.

    Two store round trips: the dedupe claim (with the request's (timestamp, nonce), and the sender's
    conversation state, for text) before the transaction, and the reply (with writes handlers left for
    after, like the 48-hour window) after it.

    A (timestamp, nonce) is accepted once, for one message: a request that repeats it for another message
    (or another sender) is a replay of a seen signed URL and is refused (BadRequest 403). The same message
    again under the same query is WeChat's retry: it gets the stored reply, as any retry does.
    """
    store: Store = app.extensions["store"]
    incoming = Incoming(app, raw, msg, "reply:" + message_key(raw), _kind(raw), now)
    key = incoming.key
    ttl = int(app.config["DEDUPE_TTL"])
    binding = f"{raw['FromUserName']}|{key}"
    nonce_key = f"nonce:{seen[0]}:{seen[1]}" if seen else ""
    before = Batch()
    nonce_set = before.set(nonce_key, binding, ex=replay_ttl(app.config), nx=True) if seen else None
    nonce_get = before.get(nonce_key) if seen else None  # after the set: what the first request bound
    claim = before.set(key, PENDING, ex=ttl, nx=True)
    conv = before.get(conversation_key(str(raw["FromUserName"]))) if incoming.kind.msg_type == "text" else None
    try:
        results = store.run(before)
    except StoreUnavailable:
        log.warning("store unavailable: dedupe for %s falls back to database constraints", key)
        first, store_ok = True, False
        incoming.deduped = False
        if seen:
            memory: SeenNonces = app.extensions.setdefault("seen_nonces", SeenNonces())
            _refuse_replay(memory.claim(nonce_key, binding, replay_ttl(app.config)), binding)
    else:
        first, store_ok = bool(results[claim]), True
        if nonce_get is not None and nonce_set is not None and not results[nonce_set]:
            try:
                _refuse_replay(results[nonce_get], binding)
            except BadRequest:
                if first:  # this claim was the replay's: free the message key for the real message
                    with contextlib.suppress(StoreUnavailable):
                        store.delete(key)
                raise
        if conv is not None:
            incoming.conversation = results[conv]
    if not first:
        return _await_first(store, key)
    rendered, keep, after = render(incoming)
    if store_ok:
        if keep:
            after.set(key, rendered, ex=ttl)
        else:  # nothing happened: let a retry try again
            after.delete(key)
    try:
        store.run(after)
    except StoreUnavailable:
        log.warning("store unavailable: reply for %s not kept", key)
    return rendered


def _refuse_replay(known: str | None, binding: str) -> None:
    if known is not None and known != binding:
        raise BadRequest(403, "replayed request: this timestamp and nonce were already used")


def _await_first(store: Store, key: str) -> str:
    deadline = time.monotonic() + RETRY_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            value = store.get(key)
        except StoreUnavailable:
            return "success"
        if value is None:
            return "success"
        if value != PENDING:
            return value
        time.sleep(0.05)
    return "success"


def render(incoming: Incoming) -> tuple[str, bool, Batch]:
    """Dispatch in one transaction; returns the reply XML, whether the effect happened, and the store
    writes to send after it."""
    keep = True
    after = Batch()
    key = incoming.key
    try:
        reply = _run_transaction(incoming, after)
    except ServiceError as exc:  # a refusal: the transaction rolled back, the user reads why
        reply = texts.refusal(exc, settings_of(incoming.app.config))
    except (OperationalError, DBAPIError):
        log.exception("database error on %s", key)
        reply, keep = G.TRY_LATER, False
    except StoreUnavailable:
        log.exception("store error on %s", key)
        reply, keep = G.TRY_LATER, False
    except Exception:
        log.exception("handler failed on %s", key)
        reply, keep = G.APOLOGY, False
    return _render_reply(reply, incoming.msg, incoming.raw), keep, after


def _run_transaction(incoming: Incoming, after: Batch) -> Any:
    """Run the handler in one transaction that begins at its first write (Database.action): most messages
    only read, and then cost no BEGIN, COMMIT or write lock; one that never touches its session not even
    a session. A pooled connection found dead (the database restarted), or SQLite's lock held by another
    host's process, fails before anything is committed: the action then runs once more."""
    db: Database = incoming.app.extensions["db"]

    def attempt() -> Any:
        with db.action() as unit:
            ctx = build_context(unit, incoming)
            try:
                return ctx.router.dispatch(ctx)
            finally:
                after.extend(ctx.store_after)  # the window opened even if the action is refused

    try:
        return attempt()
    except DBAPIError as exc:
        if not (exc.connection_invalidated or db.is_busy(exc)):
            raise
        log.warning("database connection lost or busy on %s: running the action again", incoming.key)
        after.ops.clear()
        return attempt()


class Kind(NamedTuple):
    """What routing looks at, read from the message once."""

    msg_type: str
    event: str
    text_raw: str
    text: str


def _kind(raw: dict[str, Any]) -> Kind:
    msg_type = str(raw["MsgType"]).lower()
    event = str(raw.get("Event") or "").lower()
    if event == "subscribe" and str(raw.get("EventKey") or "").startswith("qrscene_"):
        event = "subscribe_scan"
    text_raw = str(raw.get("Content") or "") if msg_type == "text" else ""
    return Kind(msg_type, event, text_raw, normalize_text(text_raw))


def build_context(unit: Unit, incoming: Incoming) -> Context:
    app, kind = incoming.app, incoming.kind
    return Context(
        unit=unit,
        store=app.extensions["store"],
        settings=settings_of(app.config),
        router=app.extensions["router"],
        msg=incoming.msg,
        raw=incoming.raw,
        openid=str(incoming.raw["FromUserName"]),
        now=incoming.now,
        msg_type=kind.msg_type,
        event=kind.event,
        text_raw=kind.text_raw,
        text=kind.text,
        dedupe_key=incoming.key,
        deduped=incoming.deduped,
        prefetched_conversation=incoming.conversation,
        public_root=request.url_root if has_request_context() else "",
    )


def _render_reply(reply: Any, msg: Any, raw: dict[str, Any]) -> str:
    if reply is None or reply == "":
        return "success"
    if isinstance(reply, str):  # most answers: wechatpy's TextReply XML, written directly
        return text_reply_xml(raw, truncate_utf8(reply, MAX_TEXT_REPLY_BYTES), int(time.time()))
    if isinstance(reply, TextReply):
        reply.content = _cdata(reply.content)
    rendered: str = create_reply(reply, message=msg, render=True)
    return rendered


def _cdata(text: str) -> str:
    # A text goes inside one CDATA section: a "]]>" in it (an echoed message) would end it early and make
    # the reply invalid XML. Split the section there; the reader sees the same text.
    return text.replace("]]>", "]]]]><![CDATA[>")


def text_reply_xml(raw: dict[str, Any], content: str, create_time: int) -> str:
    """The XML wechatpy's TextReply(message=…, content=…).render() gives, without building the reply
    object (tests compare the two): addressed back to the sender, from the account written to."""
    return (f"<xml>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[{_cdata(content)}]]></Content>\n"
            f"<FromUserName><![CDATA[{_cdata(str(raw.get('ToUserName') or ''))}]]></FromUserName>\n"
            f"<ToUserName><![CDATA[{_cdata(str(raw['FromUserName']))}]]></ToUserName>\n"
            f"<CreateTime>{create_time}</CreateTime>\n</xml>")


def truncate_utf8(text: str, limit: int) -> str:
    """Cut text to at most `limit` UTF-8 bytes, on a character boundary, saying it was cut."""
    if len(text.encode()) <= limit:
        return text
    suffix = G.TEXT_TOO_LONG_SUFFIX
    room = limit - len(suffix.encode())
    cut = text.encode()[:room].decode("utf-8", "ignore")
    return cut + suffix
