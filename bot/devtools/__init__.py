"""Development and demo helpers: the fake WeChat API server (also used by tests)."""

from __future__ import annotations

from flask import Flask


def register_dev(app: Flask) -> None:
    """Mount what only demo/development mode serves (the fake WeChat API under /_fakewx/)."""
    from bot.devtools.fake_wechat import FakeWeChat

    fake = FakeWeChat()
    app.extensions["fake_wechat"] = fake
    app.register_blueprint(fake.blueprint(), url_prefix="/_fakewx")
    from bot.devtools import simulator

    simulator.register(app)
