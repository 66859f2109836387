"""The 整改 evidence page: one ledger item's evidence (words, photos before and after) for whoever holds the
signed link 待验收 and 整改 <id> send a verifier (services.rectification.evidence). No login; a bad or
expired key is a 403 with the reason, an unknown item a 404."""

from __future__ import annotations

import os

from flask import Blueprint, Response, current_app, render_template, request, send_file, url_for

from bot import texts
from bot.infra import clock, web
from bot.pages import http_status
from bot.services.errors import ServiceError
from bot.services.media import Photo
from bot.services.rectification import evidence
from bot.texts import rectification as T

bp = Blueprint("rectification_web", __name__, url_prefix="/r")
NO_STORE = {"Cache-Control": "no-store, max-age=0"}


def _media_dir() -> str:
    return str(current_app.config.get("MEDIA_DIR") or os.path.join(current_app.instance_path, "media"))


def _secret() -> str:
    return str(web.settings()["SECRET_KEY"])


def _refused(exc: ServiceError) -> Response:
    body = render_template("rectification/evidence.html", title=T.PAGE_TITLE, heading=T.PAGE_TITLE,
                           message=texts.refusal(exc, web.settings()))
    return Response(body, status=http_status(exc), mimetype="text/html", headers=NO_STORE)


@bp.get("/<int:item_id>")
def evidence_page(item_id: int) -> Response:
    """One item's evidence with its photos, for whoever holds a valid signed key (no login)."""
    key = request.args.get("k", "")
    settings = web.settings()
    with web.get_db().Session() as session:
        try:
            view = evidence.read_by_key(session, item_id=item_id, key=key, now=web.now(), secret=_secret())
        except ServiceError as exc:
            return _refused(exc)

    def srcs(photos: list[Photo]) -> list[str]:
        return [url_for("rectification_web.evidence_photo", item_id=item_id, photo_id=p.id, k=key)
                for p in photos if p.kept]

    pending = any(not p.kept for p in (*view.photos_before, *view.photos_after))
    sections = [(T.PAGE_PROBLEM, view.problem), (T.PAGE_MEASURES, view.measures or T.DETAIL_NONE),
                (T.PAGE_PROGRESS, view.progress or T.DETAIL_NONE), (T.PAGE_EVIDENCE, view.evidence or T.DETAIL_NONE)]
    body = render_template(
        "rectification/evidence.html", title=T.PAGE_TITLE, heading=f"{T.PAGE_TITLE} #{view.item_id}",
        meta=T.PAGE_META.format(unit=view.unit, source=T.source_word(view.source),
                                deadline=clock.fmt_day(view.deadline), status=T.status_word(view.status),
                                id=view.item_id),
        sections=sections, photo_alt=T.PAGE_PHOTO_ALT,
        phases=[("before", T.PAGE_BEFORE.format(n=len(view.photos_before)), srcs(view.photos_before)),
                ("after", T.PAGE_AFTER.format(n=len(view.photos_after)), srcs(view.photos_after))],
        pending=T.PAGE_PHOTO_PENDING if pending else "",
        expires=T.PAGE_EXPIRES.format(when=clock.fmt_when(view.expires, settings)))
    return Response(body, status=200, mimetype="text/html", headers=NO_STORE)


@bp.get("/<int:item_id>/photo/<int:photo_id>")
def evidence_photo(item_id: int, photo_id: int) -> Response:
    """One photo of the item, from MEDIA_DIR, only with the page's valid key."""
    with web.get_db().Session() as session:
        try:
            path = evidence.photo_path(session, item_id=item_id, photo_id=photo_id, key=request.args.get("k", ""),
                                       now=web.now(), secret=_secret(), media_dir=_media_dir())
        except ServiceError as exc:
            return _refused(exc)
    response = send_file(path, mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
