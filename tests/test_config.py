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


PRODUCTION = {"APP_MODE": "production", "SECRET_KEY": "s3cret", "PUBLIC_BASE_URL": "https://zhibu.example.org/"}


def test_production_needs_public_base_url() -> None:
    """Without it, page links were built from the request's Host header (`Host: evil.example` reflected)."""
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL is required"):
        make(**{**PRODUCTION, "PUBLIC_BASE_URL": None})
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL must be an absolute"):
        make(**{**PRODUCTION, "PUBLIC_BASE_URL": "zhibu.example.org"})


def test_production_needs_public_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("APP_MODE", "production")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        create_app({"WECHAT_TOKEN": "abc123", "DATABASE_URL": "sqlite://"})


def test_tests_and_development_may_leave_public_base_url_unset() -> None:
    make(APP_MODE="test", PUBLIC_BASE_URL=None)
    make(APP_MODE="development", PUBLIC_BASE_URL=None)


@pytest.mark.parametrize("mode", ["demo", "development"])
def test_demo_processes_share_one_secret_key(mode: str) -> None:
    """`make run` starts the web server and the scheduler as two processes (and gunicorn forks workers): a
    random key per process made each refuse the others' signed links. Without SECRET_KEY, one derived key."""
    first = make(APP_MODE=mode, SECRET_KEY=None)
    second = make(APP_MODE=mode, SECRET_KEY=None)
    key = first.config["SECRET_KEY"]  # type: ignore[attr-defined]
    assert key and key == second.config["SECRET_KEY"]  # type: ignore[attr-defined]
    other = make(APP_MODE=mode, SECRET_KEY=None, WECHAT_TOKEN="another1")
    assert other.config["SECRET_KEY"] != key  # type: ignore[attr-defined]
    assert make(APP_MODE=mode, SECRET_KEY="mine").config["SECRET_KEY"] == "mine"  # type: ignore[attr-defined]


def test_a_worker_loads_the_time_parser_before_its_first_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """gunicorn runs `bot:create_app()` in each worker: the factory loads jionlp, so the first scheduling
    message does not pay 1.8-2.9 s for it against WeChat's 5-second deadline."""
    from bot import nlp

    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.setattr(nlp, "_warm", False)
    make(**PRODUCTION)
    assert nlp.is_warm()
    assert nlp._parser is not None


def test_tests_and_flask_commands_do_not_load_the_time_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import nlp

    calls: list[int] = []
    monkeypatch.setattr(nlp, "warm_up", lambda: calls.append(1))
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    make()  # APP_MODE=test
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")  # `flask --app bot scheduler`, `db upgrade`, …
    make(**PRODUCTION)
    assert calls == []
    monkeypatch.delenv("FLASK_RUN_FROM_CLI")
    make(APP_MODE="demo")
    assert calls == [1]
