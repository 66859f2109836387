"""Links to the app's own public pages (the projector page, the H5 check-in page, later admin pages)."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Settings
from bot.infra.signing import check_expiring_key, expiring_key

LOCAL_BASE = "http://127.0.0.1:5000/"  # outside any request, with no PUBLIC_BASE_URL set (development)


def public_url(settings: Settings, path: str, request_root: str | None = None) -> str:
    """The absolute URL of `path` (starting with "/", query included): under settings['PUBLIC_BASE_URL'];
    when that is unset, under the root of the request being answered (`request_root`, Flask's
    request.url_root), else under LOCAL_BASE."""
    base = settings.get("PUBLIC_BASE_URL") or request_root or LOCAL_BASE
    return str(base).rstrip("/") + path


# -- a notice's page: a signed link that opens without login until it expires ----------------------
NOTICE_PATH = "/n/{id}?k={key}"


def notice_key(settings: Settings, notice_id: int, expires: datetime) -> str:
    """The key of notice `notice_id`'s page link, good until `expires`: "<epoch>.<HMAC with SECRET_KEY>"."""
    return expiring_key(str(settings.get("SECRET_KEY") or ""), "notice", notice_id, int(expires.timestamp()))


def notice_link(settings: Settings, notice_id: int, now: datetime) -> str:
    """The absolute URL of notice `notice_id`'s page, opening for NOTICE_LINK_DAYS (30) days from `now`."""
    expires = now + timedelta(days=int(settings.get("NOTICE_LINK_DAYS") or 30))
    return public_url(settings, NOTICE_PATH.format(id=notice_id, key=notice_key(settings, notice_id, expires)))


def check_notice_key(settings: Settings, notice_id: int, key: str, now: datetime) -> str | None:
    """None if `key` opens notice `notice_id`'s page at `now`; else why not: "bad" or "expired"."""
    found = check_expiring_key(str(settings.get("SECRET_KEY") or ""), "notice", notice_id, key, now)
    return None if found == "ok" else found
