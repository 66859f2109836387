"""Settings: defaults, then the environment, then a test mapping; validated at start-up."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypedDict, cast
from urllib.parse import urlsplit
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
    # Binding codes (邀请/绑定): lifetime, and wrong tries per openid that lock binding for a while.
    "BIND_CODE_TTL_HOURS": 72,
    "BIND_MAX_FAILURES": 5,
    "BIND_FAILURE_WINDOW": 600,
    "BIND_LOCK_SECONDS": 3600,
    # Where fetched media (minutes photos) are kept; None: instance/media.
    "MEDIA_DIR": None,
    # Scheduler and notifications (定时提醒与消息发送).
    "MEETING_REMINDERS": "24,1",  # hours before a meeting that members are reminded
    "QUIET_HOURS": "22:00-07:30",  # non-urgent notices wait until the end of this window ("" = none)
    "HOLIDAY_COUNTRY": "CN",  # public holidays (the holidays package) also hold non-urgent notices ("" = none)
    "MAX_SEND_ATTEMPTS": 5,
    "SEND_BACKOFF": "60,300,1800,7200",  # seconds before retry n (the last repeats)
    "SEND_LEASE": 120,  # seconds a dispatcher owns a claimed notice before another may take it
    "DISPATCH_BATCH": 50,
    "SWEEP_INTERVAL": 60,  # seconds between sweeps in `flask scheduler`
    "DISPATCH_INTERVAL": 15,
    "DAILY_REMINDER_TIME": "09:00",  # once-a-day reminders (leave, volunteer records) are written from then
    "DIGEST_TIME": "mon 08:30",
    "LEAVE_REMIND_AFTER": 60,  # minutes a leave request waits before the secretary is reminded
    "COMPLIANCE_REMIND_DAY": 20,
    "INACTIVE_DAYS": 30,
    "CS_WINDOW_HOURS": 48,  # customer-service messages: this long after the member's last message
    "CS_WINDOW_MAX": 5,  # and at most this many in one window
    "TOKEN_REFRESH_MARGIN": 300,  # refresh the shared access_token this many seconds before it expires
    # Template message ids per notice kind (official account); demo values. JSON in the environment.
    "TEMPLATE_IDS": None,
    "SUBSCRIBE_TEMPLATE_IDS": None,  # subscribe-message (订阅通知) template ids per kind
    # Each notice kind's template: {"kind": {"title": "会议通知", "fields": {"thing1": "meeting", …}}} (JSON),
    # merged over DEFAULT_NOTICE_TEMPLATES kind by kind: the console's template title and which of the
    # notice's fields (roles) fills each keyword.
    "NOTICE_TEMPLATES": None,
    "NOTICE_LINK_DAYS": 30,  # how long the link to a notice's page opens
    "SUBSCRIBE_SEND_PATH": "message/subscribe/bizsend",
    # 年检 deadlines as MM-DD per registrar ("default" for the rest). JSON in the environment.
    "INSPECTION_DEADLINES": None,
    # 年检: a 基本合格 or 不合格 result becomes a ledger item due this many days after the result; an
    # organization whose board term ends within this many days (or has ended) is flagged for 换届.
    "INSPECTION_RECTIFY_DAYS": 60,
    "BOARD_TERM_WARN_DAYS": 90,
    # 述职评议: the grade scales a round may use (name -> grades, best first; JSON in the environment), the
    # scale a round uses unless it names another, and how a tie between grades is settled (lower|higher).
    "REVIEW_SCALES": None,
    "REVIEW_SCALE": "default",
    "REVIEW_TIE_RULE": "lower",
    "REVIEW_RECTIFY_DAYS": 90,  # a problem a review names is due this many days after it is named
    # 志愿服务: how long a confirmed record stays in 公示 before it is final, in days or working days
    # (Chinese public holidays and make-up working days counted); how far back a record may be logged.
    "VOLUNTEER_PUBLICITY_LENGTH": 7,
    "VOLUNTEER_PUBLICITY_UNIT": "days",  # days | working_days
    "VOLUNTEER_MAX_AGE_DAYS": 90,
    # The 志愿服务证明's issuer line and contact; "" : the member's branch and its secretary.
    "VOLUNTEER_CERT_ISSUER": "",
    "VOLUNTEER_CERT_CONTACT": "",
    # 三会一课 (meetings work): check-in window and rotating QR, in minutes / seconds.
    "CHECKIN_OPENS_BEFORE": 30,  # the check-in window opens this many minutes before the start
    "CHECKIN_LATE_AFTER": 10,  # a check-in this many minutes after the start is marked late
    "QR_ROTATE_SECONDS": 15,  # the projector QR shows a new token this often
    "QR_TOKEN_TTL": 30,  # and each token is accepted this long after it was shown
    "MEETING_DEFAULT_MINUTES": 120,  # a meeting scheduled by chat lasts this long
    # Required meetings per branch kind: type -> period (month|quarter|year). JSON in MEETING_RULES_JSON.
    "MEETING_RULES": None,  # None: DEFAULT_MEETING_RULES
    "MEETING_RULES_JSON": None,
    # Where the check-in pages are reached from phones (QR links); None: the request's own host.
    "PUBLIC_BASE_URL": None,
    "WECHAT_OAUTH_AUTHORIZE_URL": "https://open.weixin.qq.com/connect/oauth2/authorize",
}



class Settings(TypedDict, total=False):
    """Every setting with the type it has after load() validated and converted it (once, at start).
    Services and channels receive this (app.config holds the same values for Flask), so a key or a type
    used wrongly is a type error, not a surprise at run time."""

    APP_MODE: str
    SECRET_KEY: str | None
    DATABASE_URL: str | None
    REDIS_URL: str | None
    REDIS_PREFIX: str
    REDIS_SOCKET_TIMEOUT: float
    REDIS_BREAKER_SECONDS: float
    WECHAT_TOKEN: str
    WECHAT_APPID: str
    WECHAT_SECRET: str
    WECHAT_AES_KEY: str | None
    WECHAT_MAX_CLOCK_SKEW: int
    WECHAT_API_BASE: str
    WXA_APPID: str
    WXA_SECRET: str
    TZ: str
    DEDUPE_TTL: int
    CONVERSATION_TTL: int
    MAX_BODY_BYTES: int
    BIND_CODE_TTL_HOURS: int
    BIND_MAX_FAILURES: int
    BIND_FAILURE_WINDOW: int
    BIND_LOCK_SECONDS: int
    MEDIA_DIR: str | None
    MEETING_REMINDERS: list[int]
    QUIET_HOURS: str
    HOLIDAY_COUNTRY: str
    MAX_SEND_ATTEMPTS: int
    SEND_BACKOFF: list[int]
    SEND_LEASE: int
    DISPATCH_BATCH: int
    SWEEP_INTERVAL: int
    DISPATCH_INTERVAL: int
    DAILY_REMINDER_TIME: str
    DIGEST_TIME: str
    LEAVE_REMIND_AFTER: int
    COMPLIANCE_REMIND_DAY: int
    INACTIVE_DAYS: int
    CS_WINDOW_HOURS: int
    CS_WINDOW_MAX: int
    TOKEN_REFRESH_MARGIN: int
    TEMPLATE_IDS: dict[str, str]
    SUBSCRIBE_TEMPLATE_IDS: dict[str, str]
    NOTICE_TEMPLATES: dict[str, dict[str, Any]]
    NOTICE_LINK_DAYS: int
    SUBSCRIBE_SEND_PATH: str
    INSPECTION_DEADLINES: dict[str, dict[str, str]]
    INSPECTION_RECTIFY_DAYS: int
    BOARD_TERM_WARN_DAYS: int
    REVIEW_SCALES: dict[str, list[str]]
    REVIEW_SCALE: str
    REVIEW_TIE_RULE: str
    REVIEW_RECTIFY_DAYS: int
    VOLUNTEER_PUBLICITY_LENGTH: int
    VOLUNTEER_PUBLICITY_UNIT: str
    VOLUNTEER_MAX_AGE_DAYS: int
    VOLUNTEER_CERT_ISSUER: str
    VOLUNTEER_CERT_CONTACT: str
    CHECKIN_OPENS_BEFORE: int
    CHECKIN_LATE_AFTER: int
    QR_ROTATE_SECONDS: int
    QR_TOKEN_TTL: int
    MEETING_DEFAULT_MINUTES: int
    MEETING_RULES: dict[str, dict[str, str]]
    MEETING_RULES_JSON: str | None
    PUBLIC_BASE_URL: str | None
    WECHAT_OAUTH_AUTHORIZE_URL: str
    CLOCK: Callable[[], datetime]  # tests and `scheduler --now` only: a FrozenClock


def settings_of(config: Mapping[str, Any]) -> Settings:
    """The validated settings a Flask app holds in app.config (load() made every value its type)."""
    return cast(Settings, config)


INT_SETTINGS: tuple[str, ...] = ("WECHAT_MAX_CLOCK_SKEW", "DEDUPE_TTL", "CONVERSATION_TTL", "MAX_BODY_BYTES")
INT_SETTINGS += ("BIND_CODE_TTL_HOURS", "BIND_MAX_FAILURES", "BIND_FAILURE_WINDOW", "BIND_LOCK_SECONDS")
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
    _whole_numbers(cfg, INT_SETTINGS, None)
    for key in FLOAT_SETTINGS:
        try:
            cfg[key] = float(cfg[key])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{key} must be a number, got {cfg[key]!r}") from exc
    if cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = normalize_db_url(str(cfg["DATABASE_URL"]))
    if not cfg["WECHAT_API_BASE"].endswith("/"):
        cfg["WECHAT_API_BASE"] = cfg["WECHAT_API_BASE"] + "/"
    _coerce_scheduler_settings(cfg)
    _coerce_meeting_settings(cfg)
    _coerce_record_settings(cfg)


def _whole_numbers(cfg: dict[str, Any], keys: tuple[str, ...], minimum: int | None) -> None:
    """Make each setting of `keys` an int, at least `minimum` (None: any); ConfigError naming the key."""
    for key in keys:
        try:
            cfg[key] = int(cfg[key])
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{key} must be a whole number, got {cfg[key]!r}") from exc
        if minimum is not None and cfg[key] < minimum:
            raise ConfigError(f"{key} must not be negative, got {cfg[key]}" if minimum == 0
                              else f"{key} must be at least {minimum}, got {cfg[key]}")


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
    token = cfg["WECHAT_TOKEN"]
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
    if cfg["APP_MODE"] == "production" and not cfg["PUBLIC_BASE_URL"]:
        raise ConfigError("PUBLIC_BASE_URL is required in production (e.g. https://zhibu.example.org/): "
                          "links sent to members are built from it, never from a request's Host header")
    base = cfg["PUBLIC_BASE_URL"]
    if base and not _absolute_url(str(base)):
        raise ConfigError(f"PUBLIC_BASE_URL must be an absolute http(s) URL like https://zhibu.example.org/, "
                          f"got {base!r}")
    try:
        ZoneInfo(cfg["TZ"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"TZ is not a known time zone: {cfg['TZ']!r}") from exc


def _absolute_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not parts.query and not parts.fragment


def demo_secret_key(cfg: Mapping[str, Any]) -> str:
    """The SECRET_KEY of a development or demo run that sets none: derived from its settings, so every
    process of the run (the web workers, the scheduler, the CLI) signs with the same key. Not a secret:
    production refuses to start without its own SECRET_KEY."""
    seed = f"zhibu-demo-key:{cfg['APP_MODE']}:{cfg['WECHAT_TOKEN']}:{cfg['DATABASE_URL'] or ''}"
    return hashlib.sha256(seed.encode()).hexdigest()


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


# -- meetings (三会一课) settings ----------------------------------------------------------------
MEETING_TYPES = ("general_meeting", "committee_meeting", "group_meeting", "party_lecture", "theme_day",
                 "life_meeting", "member_appraisal")
PERIODS = ("month", "quarter", "year")
# From DOMAIN.md (中国共产党支部工作条例（试行）and local rules); functional branches hold study meetings only.
DEFAULT_MEETING_RULES: dict[str, dict[str, str]] = {
    "full": {
        "general_meeting": "quarter",
        "committee_meeting": "month",
        "group_meeting": "month",
        "party_lecture": "quarter",
        "theme_day": "month",
        "life_meeting": "year",
        "member_appraisal": "year",
    },
    "functional": {
        "party_lecture": "quarter",
        "theme_day": "month",
        "group_meeting": "month",
    },
}
MEETING_INT_SETTINGS = ("CHECKIN_OPENS_BEFORE", "CHECKIN_LATE_AFTER", "QR_ROTATE_SECONDS", "QR_TOKEN_TTL",
                        "MEETING_DEFAULT_MINUTES")


def _coerce_meeting_settings(cfg: dict[str, Any]) -> None:
    _whole_numbers(cfg, MEETING_INT_SETTINGS, 0)
    if cfg["QR_ROTATE_SECONDS"] < 1:
        raise ConfigError("QR_ROTATE_SECONDS must be at least 1")
    if cfg["QR_TOKEN_TTL"] < cfg["QR_ROTATE_SECONDS"]:
        raise ConfigError("QR_TOKEN_TTL must be at least QR_ROTATE_SECONDS, or a shown code would be refused")
    rules: Any = cfg.get("MEETING_RULES")
    if cfg.get("MEETING_RULES_JSON"):
        rules = cfg["MEETING_RULES_JSON"]
    if isinstance(rules, str):
        try:
            rules = json.loads(rules)
        except ValueError as exc:
            raise ConfigError(f"MEETING_RULES_JSON is not valid JSON: {exc}") from exc
    if rules is None:
        rules = DEFAULT_MEETING_RULES
    cfg["MEETING_RULES"] = check_meeting_rules(rules)


def check_meeting_rules(rules: Any) -> dict[str, dict[str, str]]:
    """{"full": {type: period}, "functional": {...}}: both kinds, known types, known periods."""
    if not isinstance(rules, Mapping):
        raise ConfigError('MEETING_RULES must map branch kinds to rules, e.g. {"full": {"theme_day": "month"}}')
    out: dict[str, dict[str, str]] = {}
    for kind in ("full", "functional"):
        per_kind = rules.get(kind)
        if not isinstance(per_kind, Mapping):
            raise ConfigError(f"MEETING_RULES lacks the rules for branch kind {kind!r}")
        out[kind] = {}
        for mtype, period in per_kind.items():
            if mtype not in MEETING_TYPES:
                raise ConfigError(f"MEETING_RULES[{kind!r}]: unknown meeting type {mtype!r} "
                                  f"(known: {', '.join(MEETING_TYPES)})")
            if period not in PERIODS:
                raise ConfigError(f"MEETING_RULES[{kind!r}][{mtype!r}]: period must be one of "
                                  f"{', '.join(PERIODS)}, got {period!r}")
            out[kind][str(mtype)] = str(period)
    unknown = set(rules) - {"full", "functional"}
    if unknown:
        raise ConfigError(f"MEETING_RULES: unknown branch kinds {sorted(unknown)}")
    return out


# -- scheduler settings --------------------------------------------------------------------------
DEFAULT_TEMPLATE_IDS: dict[str, str] = {  # demo values; the real ids come from the WeChat console
    "meeting_reminder": "TPL_MEETING_REMINDER",
    "minutes_reminder": "TPL_TODO",
    "leave_pending": "TPL_TODO",
    "compliance_gap": "TPL_TODO",
    "branch_inactive": "TPL_TODO",
    "review_due": "TPL_DEADLINE",
    "rectification_due": "TPL_DEADLINE",
    "rectification_overdue": "TPL_DEADLINE",
    "inspection_due": "TPL_DEADLINE",
    "board_term_due": "TPL_DEADLINE",
    "volunteer_pending": "TPL_TODO",
    "review_returned": "TPL_TODO",
    "volunteer_confirmed": "TPL_TODO",
    "volunteer_returned": "TPL_TODO",
    "volunteer_objected": "TPL_TODO",
    "volunteer_final": "TPL_TODO",
    "volunteer_leader_named": "TPL_TODO",
    "rectification_returned": "TPL_DEADLINE",
    "rectification_submitted": "TPL_DEADLINE",
    "fallback": "TPL_TODO",
    "mobile_registered": "TPL_TODO",
    "digest": "TPL_REPORT",
    "meeting_published": "TPL_MEETING_PUBLISHED",
    "meeting_changed": "TPL_MEETING_CHANGED",
    "meeting_cancelled": "TPL_MEETING_CANCELLED",
    "leave_requested": "TPL_LEAVE_REQUESTED",
    "leave_decided": "TPL_LEAVE_DECIDED",
    "*": "TPL_NOTICE",  # any other kind (meeting published/changed, leave decided, …)
}

# Every notice kind's template message: its title in the console's library and keyword -> the notice's
# field (role) that fills it. A keyword's letters are WeChat's type (thing ≤ 20 characters, phrase ≤ 5,
# time/date in WeChat's format, number digits, name a name).
DEFAULT_NOTICE_TEMPLATES: dict[str, dict[str, Any]] = {
    "meeting_published": {"title": "会议通知", "fields": {"thing1": "meeting", "time2": "time", "thing3": "place"}},
    "meeting_changed": {"title": "会议变更通知",
                        "fields": {"thing1": "meeting", "time2": "time", "time3": "old_time", "thing4": "place"}},
    "meeting_cancelled": {"title": "会议取消通知",
                          "fields": {"thing1": "meeting", "time2": "time", "phrase3": "status"}},
    "leave_requested": {"title": "请假申请提醒",
                        "fields": {"name1": "name", "thing2": "meeting", "time3": "time", "thing4": "reason"}},
    "leave_decided": {"title": "请假审批结果通知",
                      "fields": {"thing1": "meeting", "time2": "time", "phrase3": "status"}},
    "meeting_reminder": {"title": "会议提醒", "fields": {"thing1": "title", "time2": "time", "thing3": "place"}},
    # kinds sharing one console template (TEMPLATE_IDS) share its keywords
    **{kind: {"title": "待办事项提醒", "fields": {"thing1": "title", "thing2": "subject", "thing3": "detail"}}
       for kind in ("minutes_reminder", "leave_pending", "compliance_gap", "branch_inactive", "volunteer_pending",
                    "fallback", "mobile_registered", "review_returned", "volunteer_confirmed", "volunteer_returned",
                    "volunteer_objected", "volunteer_final", "volunteer_leader_named")},
    **{kind: {"title": "截止提醒", "fields": {"thing1": "title", "thing2": "topic", "date3": "deadline"}}
       for kind in ("review_due", "rectification_due", "rectification_overdue", "inspection_due",
                    "rectification_returned", "rectification_submitted", "board_term_due")},
    "digest": {"title": "工作周报", "fields": {"thing1": "committee", "thing2": "week", "thing3": "meetings",
                                             "number4": "overdue", "number5": "undeliverable"}},
}
KEYWORD_TYPES = ("thing", "time", "date", "phrase", "number", "name", "character_string", "amount", "letter",
                 "symbol", "phone_number", "car_number")
DEFAULT_INSPECTION_DEADLINES: dict[str, dict[str, str]] = {"default": {"supervisor": "03-31", "registrar": "05-31"}}
SCHEDULER_INT_SETTINGS = ("MAX_SEND_ATTEMPTS", "SEND_LEASE", "DISPATCH_BATCH", "SWEEP_INTERVAL", "DISPATCH_INTERVAL",
                          "LEAVE_REMIND_AFTER", "COMPLIANCE_REMIND_DAY", "INACTIVE_DAYS", "CS_WINDOW_HOURS",
                          "CS_WINDOW_MAX", "TOKEN_REFRESH_MARGIN", "NOTICE_LINK_DAYS")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock_time(value: str, key: str) -> str:
    hh, _, mm = value.strip().partition(":")
    if not (hh.isdigit() and mm.isdigit() and 0 <= int(hh) <= 23 and 0 <= int(mm) <= 59):
        raise ConfigError(f"{key}: {value!r} is not a time like 07:30")
    return f"{int(hh):02d}:{int(mm):02d}"


def _json_setting(cfg: dict[str, Any], key: str, default: Any) -> Any:
    value = cfg.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ConfigError(f"{key} is not valid JSON: {exc}") from exc
    return value


def _int_list(value: Any, key: str) -> list[int]:
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        out = [int(str(v).strip()) for v in items if str(v).strip()]
    except ValueError as exc:
        raise ConfigError(f"{key} must be whole numbers separated by commas, got {value!r}") from exc
    if not out or any(v <= 0 for v in out):
        raise ConfigError(f"{key} must list positive numbers, got {value!r}")
    return out


def _coerce_scheduler_settings(cfg: dict[str, Any]) -> None:
    _whole_numbers(cfg, SCHEDULER_INT_SETTINGS, 1)
    if not 1 <= cfg["COMPLIANCE_REMIND_DAY"] <= 28:
        raise ConfigError("COMPLIANCE_REMIND_DAY must be a day of the month from 1 to 28")
    cfg["MEETING_REMINDERS"] = sorted(set(_int_list(cfg["MEETING_REMINDERS"], "MEETING_REMINDERS")), reverse=True)
    cfg["SEND_BACKOFF"] = _int_list(cfg["SEND_BACKOFF"], "SEND_BACKOFF")
    quiet = str(cfg["QUIET_HOURS"] or "").strip()
    if quiet:
        start, sep, end = quiet.partition("-")
        if not sep:
            raise ConfigError(f"QUIET_HOURS must look like 22:00-07:30, got {quiet!r}")
        quiet = f"{_clock_time(start, 'QUIET_HOURS')}-{_clock_time(end, 'QUIET_HOURS')}"
    cfg["QUIET_HOURS"] = quiet
    cfg["DAILY_REMINDER_TIME"] = _clock_time(cfg["DAILY_REMINDER_TIME"], "DAILY_REMINDER_TIME")
    day, _, at = cfg["DIGEST_TIME"].strip().lower().partition(" ")
    if day not in WEEKDAYS:
        raise ConfigError(f"DIGEST_TIME must look like 'mon 08:30', got {cfg['DIGEST_TIME']!r}")
    cfg["DIGEST_TIME"] = f"{day} {_clock_time(at, 'DIGEST_TIME')}"
    cfg["HOLIDAY_COUNTRY"] = str(cfg["HOLIDAY_COUNTRY"] or "").strip().upper()
    for key, default in (("TEMPLATE_IDS", DEFAULT_TEMPLATE_IDS), ("SUBSCRIBE_TEMPLATE_IDS", {})):
        value = _json_setting(cfg, key, default)
        if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f'{key} must map notice kinds to template ids, e.g. {{"meeting_reminder": "abc"}}')
        cfg[key] = {**(default if key == "TEMPLATE_IDS" else {}), **value}
    cfg["NOTICE_TEMPLATES"] = check_notice_templates(_json_setting(cfg, "NOTICE_TEMPLATES", {}))
    deadlines = _json_setting(cfg, "INSPECTION_DEADLINES", DEFAULT_INSPECTION_DEADLINES)
    if not isinstance(deadlines, Mapping):
        raise ConfigError('INSPECTION_DEADLINES must map registrars to {"supervisor": "03-31", "registrar": "05-31"}')
    merged = {**DEFAULT_INSPECTION_DEADLINES, **deadlines}
    for registrar, pair in merged.items():
        for which in ("supervisor", "registrar"):
            month, _, dom = str((pair or {}).get(which, "")).partition("-")
            if not (month.isdigit() and dom.isdigit() and 1 <= int(month) <= 12 and 1 <= int(dom) <= 31):
                raise ConfigError(f"INSPECTION_DEADLINES[{registrar!r}][{which!r}] must be MM-DD")
    cfg["INSPECTION_DEADLINES"] = merged


def check_notice_templates(value: Any) -> dict[str, dict[str, Any]]:
    """NOTICE_TEMPLATES merged over DEFAULT_NOTICE_TEMPLATES kind by kind; ConfigError unless each kind
    has a title and keywords of WeChat's types (thing1, time2, …) each naming a field."""
    if not isinstance(value, Mapping):
        raise ConfigError('NOTICE_TEMPLATES must map notice kinds to {"title": "会议通知", "fields": {"thing1": '
                          '"meeting", "time2": "time"}}')
    merged: dict[str, dict[str, Any]] = {}
    for kind, spec in {**DEFAULT_NOTICE_TEMPLATES, **value}.items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("title", ""), str):
            raise ConfigError(f"NOTICE_TEMPLATES[{kind!r}] must be an object with a title and fields")
        base = DEFAULT_NOTICE_TEMPLATES.get(kind, {})
        fields = spec.get("fields", base.get("fields"))
        if not isinstance(fields, Mapping) or not fields:
            raise ConfigError(f"NOTICE_TEMPLATES[{kind!r}]: fields must map keywords to notice fields")
        for keyword, role in fields.items():
            kind_of = str(keyword).rstrip("0123456789")
            if kind_of not in KEYWORD_TYPES or kind_of == keyword or not isinstance(role, str) or not role:
                raise ConfigError(f"NOTICE_TEMPLATES[{kind!r}]: {keyword!r} is not a WeChat keyword like thing1 "
                                  f"naming a field (types: {', '.join(KEYWORD_TYPES)})")
        merged[str(kind)] = {"title": str(spec.get("title") or base.get("title") or kind), "fields": dict(fields)}
    return merged


# -- 述职评议, 整改, 志愿服务 and 年检 settings ----------------------------------------------------------
# From DOMAIN.md: the usual 支部书记述职评议测评表 scale, and the two others some places use.
DEFAULT_REVIEW_SCALES: dict[str, list[str]] = {
    "default": ["好", "较好", "一般", "差"],
    "competence": ["优秀", "称职", "基本称职", "不称职"],
    "qualification": ["优秀", "合格", "基本合格", "不合格"],
}
RECORD_INT_SETTINGS = ("INSPECTION_RECTIFY_DAYS", "BOARD_TERM_WARN_DAYS", "REVIEW_RECTIFY_DAYS",
                       "VOLUNTEER_PUBLICITY_LENGTH", "VOLUNTEER_MAX_AGE_DAYS")
PUBLICITY_UNITS = ("days", "working_days")
TIE_RULES = ("lower", "higher")


def _coerce_record_settings(cfg: dict[str, Any]) -> None:
    _whole_numbers(cfg, RECORD_INT_SETTINGS, 1)
    scales = _json_setting(cfg, "REVIEW_SCALES", {})
    if not isinstance(scales, Mapping):
        raise ConfigError('REVIEW_SCALES must map scale names to grades, '
                          'e.g. {"default": ["好", "较好", "一般", "差"]}')
    merged: dict[str, list[str]] = {**DEFAULT_REVIEW_SCALES}
    for name, grades in scales.items():
        if (not isinstance(grades, list) or len(grades) < 2 or len(set(grades)) != len(grades)
                or not all(isinstance(g, str) and 0 < len(g.strip()) <= 10 for g in grades)):
            raise ConfigError(f"REVIEW_SCALES[{name!r}] must list at least two different grades, best first")
        merged[str(name)] = [g.strip() for g in grades]
    cfg["REVIEW_SCALES"] = merged
    if cfg["REVIEW_SCALE"] not in merged:
        raise ConfigError(f"REVIEW_SCALE must name one of REVIEW_SCALES ({', '.join(merged)}), "
                          f"got {cfg['REVIEW_SCALE']!r}")
    if cfg["REVIEW_TIE_RULE"] not in TIE_RULES:
        raise ConfigError(f"REVIEW_TIE_RULE must be lower or higher, got {cfg['REVIEW_TIE_RULE']!r}")
    if cfg["VOLUNTEER_PUBLICITY_UNIT"] not in PUBLICITY_UNITS:
        raise ConfigError(f"VOLUNTEER_PUBLICITY_UNIT must be days or working_days, "
                          f"got {cfg['VOLUNTEER_PUBLICITY_UNIT']!r}")
    cfg["VOLUNTEER_CERT_ISSUER"] = str(cfg["VOLUNTEER_CERT_ISSUER"] or "").strip()
    cfg["VOLUNTEER_CERT_CONTACT"] = str(cfg["VOLUNTEER_CERT_CONTACT"] or "").strip()
