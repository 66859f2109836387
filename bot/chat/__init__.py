"""The WeChat channel: webhook (/wechat), router, context, handlers (one module per capability)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from bot.chat import webhook
    from bot.chat.handlers import build_router

    app.extensions["router"] = build_router()
    app.register_blueprint(webhook.bp)
