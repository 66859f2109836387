"""Settings: defaults, then the environment, then a test mapping; validated at start-up."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REAL_WECHAT_API = "https://api.weixin.qq.com/"

# Every setting the app reads, with its default. Names follow DESIGN.md.
DEFAULTS: dict[str, Any] = {
    "APP_MODE": "production",  # production | development | demo | test
    "SECRET_KEY": None,
    "DATABASE_URL": None,  # None: SQLite under instance/
    "REDIS_URL": None,  # None: in-process store
    "REDIS_PREFIX": "zhibu:",
    "REDIS_SOCKET_TIMEOUT": 0.5,
    # After Redis fails to answer, store calls fail fast for this long before one probes again (0: off).
    "REDIS_BREAKER_SECONDS": 2.0,
    "WECHAT_TOKEN": None,
    "WECHAT_APPID": "",
    "WECHAT_SECRET": "",
    "WECHAT_AES_KEY": None,
    "WECHAT_MAX_CLOCK_SKEW": 300,
    "WECHAT_API_BASE": REAL_WECHAT_API,
    "WXA_APPID": "",
    "WXA_SECRET": "",
    "TZ": "Asia/Shanghai",
    # How long a rendered reply is kept for WeChat's retries (seconds).
    "DEDUPE_TTL": 300,
    # How long a multi-step conversation waits for the next message (seconds).
    "CONVERSATION_TTL": 600,
    "MAX_BODY_BYTES": 64 * 1024,
    # Where fetched media (minutes photos) are kept; None: instance/media.
    "MEDIA_DIR": None,
}

INT_SETTINGS = ("WECHAT_MAX_CLOCK_SKEW", "DEDUPE_TTL", "CONVERSATION_TTL", "MAX_BODY_BYTES")
FLOAT_SETTINGS = ("REDIS_SOCKET_TIMEOUT", "REDIS_BREAKER_SECONDS")
MODES = ("production", "development", "demo", "test")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and why."""


def load(test_config: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, the environment and a test mapping, then validate."""
    cfg = dict(DEFAULTS)
    for key in DEFAULTS:
        if key in os.environ and os.environ[key] != "":
            cfg[key] = os.environ[key]
    if test_config:
        cfg.update(test_config)
    _coerce(cfg)
    validate(cfg)
    return cfg


def _coerce(cfg: dict[str, Any]) -> None:
    for key in INT_SETTINGS:
        try:
            cfg[key] = int(cfg[key])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{key} must be a whole number, got {cfg[key]!r}") from exc
    for key in FLOAT_SETTINGS:
        try:
            cfg[key] = float(cfg[key])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{key} must be a number, got {cfg[key]!r}") from exc
    if cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = normalize_db_url(str(cfg["DATABASE_URL"]))
    if not str(cfg["WECHAT_API_BASE"]).endswith("/"):
        cfg["WECHAT_API_BASE"] = str(cfg["WECHAT_API_BASE"]) + "/"


def normalize_db_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def validate(cfg: Mapping[str, Any]) -> None:
    """Fail fast, with a message an operator can act on."""
    if cfg["APP_MODE"] not in MODES:
        raise ConfigError(f"APP_MODE must be one of {', '.join(MODES)}, got {cfg['APP_MODE']!r}")
    if not cfg["WECHAT_TOKEN"]:
        raise ConfigError("WECHAT_TOKEN is required: the token entered in the WeChat admin console")
    token = str(cfg["WECHAT_TOKEN"])
    if not (3 <= len(token) <= 32 and token.isalnum()):
        raise ConfigError("WECHAT_TOKEN must be 3-32 letters or digits, as the WeChat console requires")
    aes = cfg["WECHAT_AES_KEY"]
    if aes:
        check_aes_key(str(aes))
        if not cfg["WECHAT_APPID"]:
            raise ConfigError("WECHAT_APPID is required in safe mode (WECHAT_AES_KEY is set)")
    if cfg["WECHAT_MAX_CLOCK_SKEW"] < 0:
        raise ConfigError("WECHAT_MAX_CLOCK_SKEW must be 0 (off) or a positive number of seconds")
    if cfg["APP_MODE"] == "production" and not cfg["SECRET_KEY"]:
        raise ConfigError("SECRET_KEY is required in production (it signs check-in tokens and sessions)")
    try:
        ZoneInfo(str(cfg["TZ"]))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TZ is not a known time zone: {cfg['TZ']!r}") from exc


def check_aes_key(key: str) -> None:
    """An EncodingAESKey is 43 characters of base64 that decode to 32 bytes."""
    if len(key) != 43:
        raise ConfigError(f"WECHAT_AES_KEY must be 43 characters, got {len(key)}")
    try:
        raw = base64.b64decode(key + "=", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("WECHAT_AES_KEY is not valid base64") from exc
    if len(raw) != 32:
        raise ConfigError("WECHAT_AES_KEY does not decode to 32 bytes")
