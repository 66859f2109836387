"""Check-in pages: the projector page with a rotating QR, and the H5 page a member's scan opens in WeChat.

The projector page is opened from the link `签到码` sends (signed, valid until the meeting ends). It
shows a code that changes every QR_ROTATE_SECONDS; each code is a signed token accepted for QR_TOKEN_TTL
seconds. Scanning it in WeChat opens /meetings/<id>/checkin, which identifies the member through WeChat
OAuth (snsapi_base, silent) and calls the same check-in service as every other door.
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, render_template, request, send_file, url_for

from bot import texts
from bot.infra import clock, links, web
from bot.infra.db import Unit
from bot.infra.store import StoreUnavailable
from bot.infra.wechat import OAuthUnavailable, get_client, oauth_openid
from bot.models import Meeting
from bot.pages import http_status
from bot.services.errors import ServiceError
from bot.services.meetings import checkin, minutes, qr
from bot.services.meetings import scheduling as meetings
from bot.texts import general as G
from bot.texts import meetings as T

log = logging.getLogger("zhibu.meetings_web")
bp = Blueprint("meetings_web", __name__, url_prefix="/meetings")
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
        rotate=settings["QR_ROTATE_SECONDS"], ttl=settings["QR_TOKEN_TTL"], official_rotate=qr.OFFICIAL_ROTATE_SECONDS)
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
    scene = qr.official_scene(meeting.checkin_scene, now, str(web.settings()["SECRET_KEY"]))
    key = f"mtgqr:{meeting.id}:{scene}"  # one WeChat call per meeting and minute, and only while a page shows it
    store = web.get_store()
    url: str | None = None
    try:
        url = store.get(key)
    except StoreUnavailable:
        log.warning("store unavailable: official QR of meeting %s not cached", meeting.id)
    if not url:
        try:
            res = get_client().qrcode.create({"expire_seconds": qr.OFFICIAL_TTL_SECONDS, "action_name": "QR_STR_SCENE",
                                              "action_info": {"scene": {"scene_str": scene}}})
            url = str(res["url"])
        except Exception as exc:  # WeChat down or refusing: the rotating code still works
            log.warning("official QR for meeting %s not created: %s", meeting.id, exc)
            return Response(T.QR_OFFICIAL_UNAVAILABLE, status=503, mimetype="text/plain")
        with contextlib.suppress(StoreUnavailable):
            store.set(key, url, ex=qr.OFFICIAL_ROTATE_SECONDS)
    return Response(qr.png(url), mimetype="image/png", headers=NO_STORE)


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


# -- the minutes page (查看记录 sends its signed link) --------------------------------------------------
def _media_dir() -> str:
    return str(current_app.config.get("MEDIA_DIR") or os.path.join(current_app.instance_path, "media"))


@bp.get("/<int:meeting_id>/minutes")
def minutes_page(meeting_id: int) -> Response:
    """The minutes of a meeting with their photos, for whoever holds a valid signed key (no login)."""
    key = request.args.get("k", "")
    settings = web.settings()
    with web.get_db().Session() as session:
        try:
            view = minutes.read_by_key(session, meeting_id=meeting_id, key=key, now=web.now(), settings=settings)
        except ServiceError as exc:
            return _refused(exc)
    kept = [p for p in view.photos if p.kept]
    photos = [url_for("meetings_web.minutes_photo", meeting_id=meeting_id, photo_id=p.id, k=key) for p in kept]
    body = render_template(
        "meetings/minutes.html", title=T.MIN_PAGE_TITLE,
        heading=f"{T.type_label(view.type)}{T.MIN_PAGE_TITLE}",
        meta=f"{view.branch_name} · {clock.fmt_when(view.starts_at, settings)} · 编号 {view.meeting_id}",
        paragraphs=[p for p in view.text.split(minutes.PARAGRAPH_SEP) if p.strip()], empty=T.MIN_VIEW_EMPTY_TEXT,
        photos_title=T.MIN_PAGE_PHOTOS.format(n=len(view.photos)), photos=photos,
        pending=T.MIN_PAGE_PHOTO_PENDING if len(kept) < len(view.photos) else "")
    return Response(body, status=200, mimetype="text/html", headers=NO_STORE)


@bp.get("/<int:meeting_id>/minutes/photo/<int:photo_id>")
def minutes_photo(meeting_id: int, photo_id: int) -> Response:
    """One photo of the minutes, from MEDIA_DIR, only with the page's valid key."""
    with web.get_db().Session() as session:
        try:
            path = minutes.photo_path(session, meeting_id=meeting_id, photo_id=photo_id,
                                      key=request.args.get("k", ""), now=web.now(), settings=web.settings(),
                                      media_dir=_media_dir())
        except ServiceError as exc:
            return _refused(exc)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
