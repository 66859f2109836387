"""Settings are validated at start-up with messages an operator can act on."""

from __future__ import annotations

import pytest

from bot import create_app
from bot.config import ConfigError


def make(**overrides: object) -> object:
    base: dict[str, object] = {"APP_MODE": "test", "WECHAT_TOKEN": "abc123", "DATABASE_URL": "sqlite://"}
    base.update(overrides)
    return create_app(base)


def test_missing_token_stops_startup() -> None:
    with pytest.raises(ConfigError, match="WECHAT_TOKEN is required"):
        make(WECHAT_TOKEN=None)


@pytest.mark.parametrize("key, reason", [
    ("short", "43 characters"),
    ("!" * 43, "not valid base64"),
])
def test_malformed_aes_key_stops_startup(key: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        make(WECHAT_AES_KEY=key, WECHAT_APPID="wx1")


def test_safe_mode_needs_appid() -> None:
    with pytest.raises(ConfigError, match="WECHAT_APPID"):
        make(WECHAT_AES_KEY="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", WECHAT_APPID="")


def test_production_needs_secret_key() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        make(APP_MODE="production", SECRET_KEY=None)


def test_bad_numbers_and_zones_are_named() -> None:
    with pytest.raises(ConfigError, match="WECHAT_MAX_CLOCK_SKEW"):
        make(WECHAT_MAX_CLOCK_SKEW="five minutes")
    with pytest.raises(ConfigError, match="TZ"):
        make(TZ="Mars/Olympus")


def test_postgres_urls_use_psycopg3() -> None:
    app = make(DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test")
    assert app.config["DATABASE_URL"].startswith("postgresql+psycopg://")  # type: ignore[attr-defined]


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WECHAT_MAX_CLOCK_SKEW", "60")
    monkeypatch.setenv("WECHAT_TOKEN", "fromenv")
    app = create_app({"APP_MODE": "test", "DATABASE_URL": "sqlite://"})
    assert app.config["WECHAT_MAX_CLOCK_SKEW"] == 60
    assert app.config["WECHAT_TOKEN"] == "fromenv"
