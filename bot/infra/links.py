"""Links to the app's own public pages (the projector page, the H5 check-in page, later admin pages)."""

from __future__ import annotations

from bot.config import Settings

LOCAL_BASE = "http://127.0.0.1:5000/"  # outside any request, with no PUBLIC_BASE_URL set (development)


def public_url(settings: Settings, path: str, request_root: str | None = None) -> str:
    """The absolute URL of `path` (starting with "/", query included): under settings['PUBLIC_BASE_URL'];
    when that is unset, under the root of the request being answered (`request_root`, Flask's
    request.url_root), else under LOCAL_BASE."""
    base = settings.get("PUBLIC_BASE_URL") or request_root or LOCAL_BASE
    return str(base).rstrip("/") + path
