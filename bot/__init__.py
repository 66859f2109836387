"""支部通: create_app(test_config=None) builds the Flask application (the WSGI entry `bot:create_app()`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from bot import config as config_module


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Settings (validated once), infrastructure, then the channels: chat, pages, the CLI, devtools."""
    app = Flask(__name__, instance_relative_config=True, template_folder="templates", static_folder=None)
    cfg = config_module.load(test_config)
    app.config.update(cfg)
    if not app.config["SECRET_KEY"]:  # development, demo and tests only (validate() enforces it in production)
        app.config["SECRET_KEY"] = config_module.demo_secret_key(cfg)  # one key for every process of the run
    app.config["MAX_CONTENT_LENGTH"] = cfg["MAX_BODY_BYTES"]

    from bot.infra import web, wechat

    web.init_app(app)  # the database, the store, sessions, logging, health
    wechat.init_app(app)

    from bot import chat, cli, pages

    chat.init_app(app)
    pages.init_app(app)
    cli.register(app)
    if app.config["APP_MODE"] in ("demo", "development"):
        from bot.devtools import register_dev

        register_dev(app)
    if _serves_requests(app):
        from bot import nlp

        nlp.warm_up()
    return app


def _serves_requests(app: Flask) -> bool:
    """Whether this process will answer WeChat: a WSGI server's worker (gunicorn runs `bot:create_app()` in
    each worker after forking, so each warms itself before its first request). Not tests (APP_MODE=test:
    tests that parse warm on first use), not `flask …` commands (the scheduler and the CLI never parse a
    sentence; the demo's `flask run` loads the parser with its first scheduling message)."""
    return app.config["APP_MODE"] != "test" and os.environ.get("FLASK_RUN_FROM_CLI") != "true"
