"""支部通: create_app(test_config=None) builds the Flask application (the WSGI entry `bot:create_app()`)."""

from __future__ import annotations

import secrets
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
        app.config["SECRET_KEY"] = secrets.token_hex(16)
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
    return app
