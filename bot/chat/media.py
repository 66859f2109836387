"""Photos sent by chat: downloaded from WeChat once the message's transaction commits (the reply does not
wait); a failure is retried by the scheduler (minutes.fetch_missing, attachments.fetch_missing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.chat.context import Context
from bot.infra import clock, wechat
from bot.services.media import MediaSource

Fetch = Callable[..., bool]  # fetch_one(source, row_id, *, now) of minutes or attachments


def fetch_after_commit(ctx: Context, fetch_one: Fetch, row_id: int) -> None:
    """Start `fetch_one(source, row_id, now=…)` in the background after the commit."""
    source: MediaSource = wechat.media_fetcher()
    settings = ctx.settings

    def fetch() -> None:  # runs outside the app context: the clock is read from the settings
        now: datetime = clock.now(settings)
        fetch_one(source, row_id, now=now)

    def start() -> None:
        wechat.in_background(fetch, name=f"media-fetch-{row_id}")

    wechat.after_commit(ctx.session, start)
