"""支部通: create_app(test_config=None) builds the Flask application."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin

from bot import config as config_module

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the checkout (migrations live here)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="templates",
        static_folder=None,
    )
    cfg = config_module.load(test_config)
    app.config.update(cfg)
    if not app.config["SECRET_KEY"]:  # development, demo and tests only (validate() enforces it in production)
        app.config["SECRET_KEY"] = secrets.token_hex(16)
    app.config["MAX_CONTENT_LENGTH"] = cfg["MAX_BODY_BYTES"]
    app.session_interface = NoCookieSessions()
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    _logging(app)

    from bot.chat.handlers import build_router
    from bot.infra import db, store, wechat

    db.init_app(app)
    store.init_app(app)
    wechat.init_app(app)
    app.extensions["router"] = build_router()

    from bot import cli
    from bot.chat import webhook

    app.register_blueprint(webhook.bp)
    from bot.pages import meetings as meetings_web

    app.register_blueprint(meetings_web.bp)
    cli.register(app)

    if app.config["APP_MODE"] in ("demo", "development"):
        from bot.devtools import register_dev

        register_dev(app)

    @app.errorhandler(413)
    def too_large(_exc: Exception) -> Response:
        app.logger.warning("request refused 413: body over %s bytes", app.config["MAX_CONTENT_LENGTH"])
        return Response("request body too large", status=413, mimetype="text/plain")

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        """Liveness for the load balancer: the store's state is reported, not required."""
        return {"ok": True, "store": app.extensions["store"].ping()}

    return app


class NoCookieSessions(SessionInterface):
    """The app keeps no Flask cookie sessions (WeChat identifies the sender; pages carry signed tokens), so
    requests skip building a signed-cookie serializer from SECRET_KEY; writing to `session` raises."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def _logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
