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

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for

from bot import texts
from bot.infra import clock, links, web
from bot.infra.db import Unit
from bot.infra.store import StoreUnavailable
from bot.infra.wechat import OAuthUnavailable, get_client, oauth_openid
from bot.models import Meeting
from bot.pages import http_status
from bot.services.errors import ServiceError
from bot.services.meetings import checkin, qr
from bot.services.meetings import scheduling as meetings
from bot.texts import general as G
from bot.texts import meetings as T

log = logging.getLogger("zhibu.meetings_web")
bp = Blueprint("meetings_web", __name__, url_prefix="/meetings")
OFFICIAL_QR_MAX_SECONDS = 30 * 24 * 3600
NO_STORE = {"Cache-Control": "no-store, max-age=0"}


def _cfg(name: str) -> Any:
    return current_app.config[name]


def _url(path: str) -> str:
    """A public URL of this app's page at `path`."""
    return links.public_url(web.settings(), path, request.url_root)


def _page(message: str, status: int, *, ok: bool = False, **extra: Any) -> Response:
    body = render_template("meetings/checkin.html", message=message, ok=ok, **extra)
    return Response(body, status=status, mimetype="text/html", headers=NO_STORE)


def _refused(exc: ServiceError) -> Response:
    return _page(texts.refusal(exc, web.settings()), http_status(exc))


def _projector_meeting(meeting_id: int) -> Meeting | Response:
    """The meeting whose projector key is valid, or an error page response."""
    with web.get_db().Session() as session:
        try:
            meeting = qr.projector_meeting(session, meeting_id=meeting_id, key=request.args.get("k", ""),
                                           now=web.now(), settings=web.settings())
        except ServiceError as exc:
            return _refused(exc)
        session.expunge(meeting)
    return meeting


@bp.get("/<int:meeting_id>/qr")
def projector(meeting_id: int) -> Response:
    """The projector page: rotating check-in code and the official-account code."""
    meeting = _projector_meeting(meeting_id)
    if isinstance(meeting, Response):
        return meeting
    settings = web.settings()
    body = render_template(
        "meetings/qr.html", meeting=meeting, label=T.type_label(meeting.type),
        when=clock.fmt_when(meeting.starts_at, settings), key=request.args.get("k", ""),
        rotate=settings["QR_ROTATE_SECONDS"], ttl=settings["QR_TOKEN_TTL"])
    return Response(body, mimetype="text/html", headers=NO_STORE)


@bp.get("/<int:meeting_id>/qr.png")
def rotating_png(meeting_id: int) -> Response:
    """The current rotating code as a PNG (the page reloads it every QR_ROTATE_SECONDS)."""
    meeting = _projector_meeting(meeting_id)
    if isinstance(meeting, Response):
        return meeting
    token = qr.make_token(meeting.id, web.now(), str(_cfg("SECRET_KEY")), int(_cfg("QR_ROTATE_SECONDS")))
    url = _url(f"/meetings/{meeting.id}/checkin?{urlencode({'t': token})}")
    return Response(qr.png(url), mimetype="image/png", headers=NO_STORE)
@bp.get("/<int:meeting_id>/scene.png")
def official_png(meeting_id: int) -> Response:
    """The official-account temporary QR (QR_STR_SCENE) for the meeting, created through the WeChat API."""
    meeting = _projector_meeting(meeting_id)
    if isinstance(meeting, Response):
        return meeting
    now = web.now()
    key = f"mtgqr:{meeting.id}:{meeting.checkin_scene}"
    store = web.get_store()
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
            return Response(T.QR_OFFICIAL_UNAVAILABLE, status=503, mimetype="text/plain")
        with contextlib.suppress(StoreUnavailable):
            store.set(key, url, ex=max(expire - 60, 60))
    return Response(qr.png(url), mimetype="image/png", headers={"Cache-Control": "private, max-age=300"})


@bp.get("/<int:meeting_id>/checkin")
def checkin_page(meeting_id: int) -> Any:
    """A scan of the rotating code: silent WeChat login, then the one check-in service."""
    token = request.args.get("t", "")
    secret, rotate, ttl = str(_cfg("SECRET_KEY")), int(_cfg("QR_ROTATE_SECONDS")), int(_cfg("QR_TOKEN_TTL"))
    try:
        qr.verify_token(token, web.now(), secret, rotate, ttl, meeting_id=meeting_id)
    except ServiceError as exc:
        return _refused(exc)
    code = request.args.get("code")
    if not code:
        back = _url(f"{url_for('meetings_web.checkin_page', meeting_id=meeting_id)}?{urlencode({'t': token})}")
        query = urlencode({"appid": _cfg("WECHAT_APPID"), "redirect_uri": back, "response_type": "code",
                           "scope": "snsapi_base", "state": "checkin"})
        return redirect(f"{_cfg('WECHAT_OAUTH_AUTHORIZE_URL')}?{query}#wechat_redirect", code=302)
    try:
        openid = oauth_openid(code, web.settings())
    except OAuthUnavailable as exc:
        log.warning("oauth exchange failed: %s", exc)
        return _page(G.TRY_LATER, 503)
    if openid is None:
        return _page(T.OAUTH_FAILED, 400)
    try:
        with web.get_db().transaction() as session:
            meeting = meetings.get_meeting(session, meeting_id)
            result = checkin.check_in(Unit.joining(session), meeting=checkin.MeetingRef.of(meeting),
                                      member=checkin.attendee_by_openid(session, openid), now=web.now(),
                                      channel="rotating", settings=web.settings(),
                                      source_key=f"oauth:{code}"[:100])
            label = T.type_label(meeting.type)
    except ServiceError as exc:
        return _refused(exc)
    return _page(T.checkin_reply(result, web.settings()), 200, ok=True, label=label)
