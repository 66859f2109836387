"""Server-rendered pages: the check-in and projector pages now, admin pages later."""

from __future__ import annotations

from flask import Flask

from bot.services.errors import ServiceError

# How a service's refusal reads in HTTP (pages and, later, the API).
STATUS_BY_KIND = {"invalid": 400, "not_found": 404, "forbidden": 403, "conflict": 409, "unavailable": 503}


def http_status(exc: ServiceError) -> int:
    return STATUS_BY_KIND.get(exc.kind, 400)


def init_app(app: Flask) -> None:
    from bot.pages import meetings, notices, rectification

    app.register_blueprint(meetings.bp)
    app.register_blueprint(notices.bp)
    app.register_blueprint(rectification.bp)
