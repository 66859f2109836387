"""The notice page: the whole notice a template message links to (/n/<id>?k=…), phone-width.

The link is signed (bot.infra.links.notice_key: HMAC with SECRET_KEY over the notice's id and an
expiry, NOTICE_LINK_DAYS after it was sent) and opens without login; a tampered or expired key gets a
403 page saying why.
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from bot import texts
from bot.infra import clock, links, web
from bot.services.notify.delivery import notice_record
from bot.texts import notices as T

bp = Blueprint("notices_web", __name__)
NO_STORE = {"Cache-Control": "no-store, max-age=0", "Referrer-Policy": "no-referrer"}


def _page(title: str, text: str, status: int, *, ok: bool, meta: str = "") -> Response:
    body = render_template("notices/notice.html", title=title, text=text, meta=meta, ok=ok)
    return Response(body, status=status, mimetype="text/html", headers=NO_STORE)


@bp.get("/n/<int:notice_id>")
def notice_page(notice_id: int) -> Response:
    settings = web.settings()
    why = links.check_notice_key(settings, notice_id, request.args.get("k", ""), web.now())
    if why == "expired":
        return _page(T.PAGE_TITLE, T.PAGE_LINK_EXPIRED.format(days=settings.get("NOTICE_LINK_DAYS") or 30), 403,
                     ok=False)
    if why is not None:
        return _page(T.PAGE_TITLE, T.PAGE_LINK_BAD, 403, ok=False)
    with web.get_db().Session() as session:
        record = notice_record(session, notice_id)
    if record is None:
        return _page(T.PAGE_TITLE, T.PAGE_NOT_FOUND, 404, ok=False)
    spec = dict(settings.get("NOTICE_TEMPLATES") or {}).get(record.kind) or {}
    title, text = str(spec.get("title") or T.PAGE_TITLE), record.text
    if "fields" not in record.params:  # a row of facts (not one written with its words): word it as sent
        said = texts.render(record.kind, record.params, settings)
        text, title = text or said.text, str(said.fields.get("title") or title)
    return _page(title, text, 200, ok=True, meta=T.PAGE_SENT_AT.format(when=clock.fmt_when(record.at, settings)))
