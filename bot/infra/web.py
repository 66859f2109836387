"""The Flask application's plumbing: no cookie sessions, logging, the body-size refusal, the health check."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin


class NoCookieSessions(SessionInterface):
    """The app keeps no Flask cookie sessions (WeChat identifies the sender; pages carry signed tokens), so
    requests skip building a signed-cookie serializer from SECRET_KEY; writing to `session` raises."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def init_app(app: Flask) -> None:
    app.session_interface = NoCookieSessions()
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    @app.errorhandler(413)
    def too_large(_exc: Exception) -> Response:
        app.logger.warning("request refused 413: body over %s bytes", app.config["MAX_CONTENT_LENGTH"])
        return Response("request body too large", status=413, mimetype="text/plain")

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        """Liveness for the load balancer: the store's state is reported, not required."""
        return {"ok": True, "store": app.extensions["store"].ping()}
