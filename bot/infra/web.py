"""The Flask application's plumbing: the database and store of the app in context, its clock, no cookie
sessions, logging, the body-size refusal, the health check. The rest of bot.infra knows nothing of Flask."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Any

from flask import Flask, Request, Response, current_app
from flask.sessions import SessionInterface, SessionMixin

from bot.config import Settings, settings_of
from bot.infra import clock
from bot.infra.db import Database
from bot.infra.store import MemoryStore, Store, make_client


def get_db() -> Database:
    db: Database = current_app.extensions["db"]
    return db


def get_store() -> Store:
    store: Store = current_app.extensions["store"]
    return store


def settings() -> Settings:
    """The current app's validated settings."""
    return settings_of(current_app.config)


def now() -> datetime:
    """The current app's now (its CLOCK setting when a test or `scheduler --now` set one)."""
    return clock.now(settings())


def _init_db(app: Flask) -> None:
    url = app.config.get("DATABASE_URL")
    if not url:  # SQLite under instance/
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "zhibu.sqlite3")
    app.config["DATABASE_URL"] = url
    app.extensions["db"] = Database(url)


def _init_store(app: Flask) -> None:
    client = make_client(app.config.get("REDIS_URL"), app.config["REDIS_SOCKET_TIMEOUT"])
    store: Store
    if app.config.get("REDIS_URL"):
        store = Store(client, app.config["REDIS_PREFIX"], breaker_seconds=float(app.config["REDIS_BREAKER_SECONDS"]))
    else:  # the in-process store cannot be unreachable: no breaker for it
        store = MemoryStore(client, app.config["REDIS_PREFIX"])
    app.extensions["store"] = store


class NoCookieSessions(SessionInterface):
    """The app keeps no Flask cookie sessions (WeChat identifies the sender; pages carry signed tokens), so
    requests skip building a signed-cookie serializer from SECRET_KEY; writing to `session` raises."""

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        return self.make_null_session(app)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def init_app(app: Flask) -> None:
    _init_db(app)
    _init_store(app)
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
