"""Check-in pages: the projector page with a rotating QR, and the H5 page a member's scan opens in WeChat.

The projector page is opened from the link `签到码` sends (signed, valid until the meeting ends). It
shows a code that changes every QR_ROTATE_SECONDS; each code is a signed token accepted for QR_TOKEN_TTL
seconds. Scanning it in WeChat opens /meetings/<id>/checkin, which identifies the member through WeChat
OAuth (snsapi_base, silent) and calls the same check-in service as every other door.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.chat import texts as M
from bot.infra import clock
from bot.infra.db import Unit, get_db
from bot.infra.store import StoreUnavailable, get_store
from bot.infra.wechat import get_client
from bot.models import Member
from bot.services.errors import ServiceError
from bot.services.meetings import checkin, qr
from bot.services.meetings import scheduling as meetings

log = logging.getLogger("zhibu.meetings_web")
bp = Blueprint("meetings_web", __name__, url_prefix="/meetings")
OFFICIAL_QR_MAX_SECONDS = 30 * 24 * 3600
NO_STORE = {"Cache-Control": "no-store, max-age=0"}


def _cfg(name: str) -> Any:
    return current_app.config[name]


def _base() -> str:
    return str(_cfg("PUBLIC_BASE_URL") or request.url_root).rstrip("/")


def _page(message: str, status: int, *, ok: bool = False, **extra: Any) -> Response:
    body = render_template("meetings/checkin.html", message=message, ok=ok, **extra)
    return Response(body, status=status, mimetype="text/html", headers=NO_STORE)


def _projector_meeting(meeting_id: int) -> Any:
    """The meeting whose projector key is valid, or an error page response."""
    if not qr.page_key_valid(meeting_id, request.args.get("k", ""), clock.now(), str(_cfg("SECRET_KEY"))):
        return _page(M.QR_PAGE_EXPIRED, 403)
    with get_db().Session() as session:
        try:
            meeting = meetings.get_meeting(session, meeting_id)
        except ServiceError as exc:
            return _page(exc.message, exc.status)
        if meeting.status != "scheduled":
            return _page(M.CHK_CANCELLED, 409)
        session.expunge(meeting)
    return meeting


@bp.get("/<int:meeting_id>/qr")
def projector(meeting_id: int) -> Response:
    """The projector page: rotating check-in code and the official-account code."""
    meeting = _projector_meeting(meeting_id)
    if isinstance(meeting, Response):
        return meeting
    settings = current_app.config
    body = render_template(
        "meetings/qr.html", meeting=meeting, label=meetings.type_label(meeting.type),
        when=meetings.fmt_when(meeting.starts_at, settings), key=request.args.get("k", ""),
        rotate=int(settings["QR_ROTATE_SECONDS"]), ttl=int(settings["QR_TOKEN_TTL"]))
    return Response(body, mimetype="text/html", headers=NO_STORE)


@bp.get("/<int:meeting_id>/qr.png")
def rotating_png(meeting_id: int) -> Response:
    """The current rotating code as a PNG (the page reloads it every QR_ROTATE_SECONDS)."""
    meeting = _projector_meeting(meeting_id)
    if isinstance(meeting, Response):
        return meeting
    token = qr.make_token(meeting.id, clock.now(), str(_cfg("SECRET_KEY")), int(_cfg("QR_ROTATE_SECONDS")))
    url = f"{_base()}/meetings/{meeting.id}/checkin?{urlencode({'t': token})}"
    return Response(qr.png(url), mimetype="image/png", headers=NO_STORE)


@bp.get("/<int:meeting_id>/scene.png")
def official_png(meeting_id: int) -> Response:
    """The official-account temporary QR (QR_STR_SCENE) for the meeting, created through the WeChat API."""
    meeting = _projector_meeting(meeting_id)
    if isinstance(meeting, Response):
        return meeting
    now = clock.now()
    key = f"mtgqr:{meeting.id}:{meeting.checkin_scene}"
    store = get_store()
    url: str | None = None
    try:
        url = store.get(key)
    except StoreUnavailable:
        log.warning("store unavailable: official QR of meeting %s not cached", meeting.id)
    if not url:
        expire = int(min(max((meeting.ends_at - now + timedelta(hours=1)).total_seconds(), 60),
                         OFFICIAL_QR_MAX_SECONDS))
        try:
            res = get_client().qrcode.create({"expire_seconds": expire, "action_name": "QR_STR_SCENE",
                                              "action_info": {"scene": {"scene_str": meeting.checkin_scene}}})
            url = str(res["url"])
        except Exception as exc:  # WeChat down or refusing: the rotating code still works
            log.warning("official QR for meeting %s not created: %s", meeting.id, exc)
            return Response("公众号二维码暂时无法生成，请使用上方签到码", status=503, mimetype="text/plain")
        with contextlib.suppress(StoreUnavailable):
            store.set(key, url, ex=max(expire - 60, 60))
    return Response(qr.png(url), mimetype="image/png", headers={"Cache-Control": "private, max-age=300"})


def _oauth_openid(code: str) -> str | None:
    """Exchange a snsapi_base code for the member's openid (sns/oauth2/access_token)."""
    params = {"appid": _cfg("WECHAT_APPID"), "secret": _cfg("WECHAT_SECRET"), "code": code,
              "grant_type": "authorization_code"}
    resp = requests.get(str(_cfg("WECHAT_API_BASE")) + "sns/oauth2/access_token", params=params, timeout=4)
    data = resp.json()
    if not isinstance(data, dict) or data.get("errcode") or not data.get("openid"):
        log.warning("oauth code refused: %s", data.get("errcode") if isinstance(data, dict) else data)
        return None
    return str(data["openid"])


@bp.get("/<int:meeting_id>/checkin")
def checkin_page(meeting_id: int) -> Any:
    """A scan of the rotating code: silent WeChat login, then the one check-in service."""
    token = request.args.get("t", "")
    secret, rotate, ttl = str(_cfg("SECRET_KEY")), int(_cfg("QR_ROTATE_SECONDS")), int(_cfg("QR_TOKEN_TTL"))
    try:
        qr.verify_token(token, clock.now(), secret, rotate, ttl, meeting_id=meeting_id)
    except ServiceError as exc:
        return _page(exc.message, exc.status)
    code = request.args.get("code")
    if not code:
        back = f"{_base()}{url_for('meetings_web.checkin_page', meeting_id=meeting_id)}?{urlencode({'t': token})}"
        query = urlencode({"appid": _cfg("WECHAT_APPID"), "redirect_uri": back, "response_type": "code",
                           "scope": "snsapi_base", "state": "checkin"})
        return redirect(f"{_cfg('WECHAT_OAUTH_AUTHORIZE_URL')}?{query}#wechat_redirect", code=302)
    try:
        openid = _oauth_openid(code)
    except (requests.RequestException, ValueError) as exc:
        log.warning("oauth exchange failed: %s", exc)
        return _page(M.TRY_LATER, 503)
    if openid is None:
        return _page(M.OAUTH_FAILED, 400)
    try:
        with get_db().transaction() as session:
            meeting = meetings.get_meeting(session, meeting_id)
            member = session.scalar(select(Member).where(Member.openid == openid))
            result = checkin.check_in(Unit.joining(session), meeting=meeting, member=member, now=clock.now(),
                                      channel="rotating", settings=current_app.config,
                                      source_key=f"oauth:{code}"[:100])
            label = meetings.type_label(meeting.type)
    except ServiceError as exc:
        return _page(exc.message, exc.status)
    return _page(result.message, 200, ok=True, label=label)
