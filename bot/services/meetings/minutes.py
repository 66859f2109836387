"""Minutes (会议记录): text paragraphs and photos for a meeting; photos are fetched from WeChat off the request.

An image message carries only a media id (valid 3 days on WeChat). We store the id at once, in the
message's transaction, and fetch the file (media/get) into MEDIA_DIR in a background thread started after
that transaction commits, so the webhook never waits on the WeChat API. A photo whose fetch failed keeps
path NULL; `fetch_missing` tries it again: the scheduler every MEDIA_RETRY_EVERY seconds while WeChat still
keeps the file (MEDIA_VALID_DAYS), or `flask --app bot minutes-fetch` by hand.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.chat import texts as M
from bot.models import Meeting, Member, MinutesMedia
from bot.services import authz
from bot.services.authz import Action
from bot.services.errors import Invalid
from bot.services.meetings.scheduling import recent

log = logging.getLogger("zhibu.minutes")
PARAGRAPH_SEP = "\n\n"
MEDIA_VALID_DAYS = 3  # WeChat keeps a message's temporary media this long; later a fetch can only fail
MAX_MINUTES_CHARS = 50_000

_threads: list[threading.Thread] = []
_threads_lock = threading.Lock()


# -- running work after the caller's transaction commits ----------------------------------------
def after_commit(session: Session, fn: Callable[[], None]) -> None:
    """Run `fn` once the session's outermost transaction commits; drop it if it rolls back."""
    pending: list[Callable[[], None]] = session.info.setdefault("after_commit", [])
    pending.append(fn)
    if session.info.get("after_commit_hooked"):
        return
    session.info["after_commit_hooked"] = True

    def run(sess: Session) -> None:
        todo = list(sess.info.get("after_commit", []))
        sess.info["after_commit"] = []
        for job in todo:
            try:
                job()
            except Exception:
                log.exception("after-commit job failed")

    def drop(sess: Session, _previous: Any = None) -> None:
        sess.info["after_commit"] = []

    event.listen(session, "after_commit", run)
    event.listen(session, "after_soft_rollback", drop)


# -- the conversation's steps --------------------------------------------------------------------
def recordable(session: Session, actor: Member | None, now: datetime, branch_id: int | None,
               meeting_id: int | None = None) -> Meeting:
    """The meeting to record: the one named, else the branch's latest that has started."""
    meeting: Meeting | None
    if meeting_id is not None:
        meeting = session.get(Meeting, meeting_id)
    else:
        found = recent(session, branch_id, now, limit=1) if branch_id is not None else []
        meeting = found[0] if found else None
    if meeting is None or meeting.status != "scheduled" or meeting.starts_at > now:
        raise Invalid(M.MIN_NO_MEETING)
    authz.require(session, actor, Action.RECORD_MINUTES, meeting)
    return meeting


def paragraphs(meeting: Meeting) -> int:
    return len([p for p in (meeting.minutes_text or "").split(PARAGRAPH_SEP) if p.strip()])


def image_count(session: Session, meeting_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(MinutesMedia)
                              .where(MinutesMedia.meeting_id == meeting_id)) or 0)


def add_text(session: Session, *, actor: Member | None, meeting: Meeting, text: str, now: datetime) -> int:
    """Append one paragraph; returns how many paragraphs the minutes now have."""
    authz.require(session, actor, Action.RECORD_MINUTES, meeting)
    text = (text or "").strip()
    if not text:
        return paragraphs(meeting)
    current = meeting.minutes_text or ""
    if len(current) + len(text) > MAX_MINUTES_CHARS:
        raise Invalid(M.MIN_TOO_LONG)
    meeting.minutes_text = current + PARAGRAPH_SEP + text if current else text
    if meeting.recorded_at is None:
        meeting.recorded_at = now
    session.flush()
    return paragraphs(meeting)


@dataclass(frozen=True)
class MediaFetch:
    """What the background fetch needs: a session factory, the WeChat client, the directory."""

    session_factory: Callable[[], Session]
    client: Any
    media_dir: str


def add_image(session: Session, *, actor: Member | None, meeting: Meeting, media_id: str, now: datetime,
              fetch: MediaFetch | None) -> int:
    """Keep a photo's media id (once per meeting) and fetch the file after commit; returns the photo count."""
    authz.require(session, actor, Action.RECORD_MINUTES, meeting)
    media_id = (media_id or "").strip()[:128]
    if not media_id:
        raise Invalid(M.NON_TEXT)
    exists = session.scalar(select(MinutesMedia.id).where(MinutesMedia.meeting_id == meeting.id,
                                                          MinutesMedia.media_id == media_id))
    if exists is None:
        row = MinutesMedia(meeting_id=meeting.id, media_id=media_id, created_by_id=actor.id if actor else None,
                           created_at=now)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            pass  # the same photo arrived twice at once; one row is kept
        else:
            if meeting.recorded_at is None:
                meeting.recorded_at = now
            if fetch is not None:
                row_id = row.id
                after_commit(session, lambda: _start(fetch, row_id))
    session.flush()
    return image_count(session, meeting.id)


# -- fetching ------------------------------------------------------------------------------------
def start_fetch(fetch: MediaFetch, row_id: int) -> threading.Thread:
    thread = threading.Thread(target=fetch_one, args=(fetch, row_id), name=f"media-fetch-{row_id}", daemon=True)
    with _threads_lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()
    return thread


def _start(fetch: MediaFetch, row_id: int) -> None:
    start_fetch(fetch, row_id)


def wait_for_fetches(timeout: float = 10.0) -> None:
    """Join the background fetches started so far (tests and orderly shutdown)."""
    with _threads_lock:
        threads = list(_threads)
    for thread in threads:
        thread.join(timeout)


def _safe_name(media_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", media_id)[:100] or "media"


def fetch_one(fetch: MediaFetch, row_id: int) -> bool:
    """Download one photo into MEDIA_DIR/<meeting>/<media id>.jpg and note the path; False on failure."""
    with fetch.session_factory() as session:
        row = session.get(MinutesMedia, row_id)
        if row is None or row.path:
            return row is not None
        meeting_id, media_id = row.meeting_id, row.media_id
    try:
        resp = fetch.client.media.download(media_id)
        content: bytes = resp.content
    except Exception as exc:  # wechatpy raises its own and requests' errors; keep the row for a later try
        log.warning("media %s of meeting %s not fetched: %s", media_id, meeting_id, exc)
        return False
    folder = os.path.join(fetch.media_dir, str(meeting_id))
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, _safe_name(media_id) + ".jpg")
    tmp = path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(content)
    os.replace(tmp, path)
    with fetch.session_factory() as session, session.begin():
        row = session.get(MinutesMedia, row_id)
        if row is not None:
            row.path = path
            row.fetched_at = datetime.now(UTC)
    return True


def fetch_missing(fetch: MediaFetch, limit: int = 50, now: datetime | None = None) -> int:
    """Fetch photos whose earlier fetch failed and that WeChat still keeps (sent within MEDIA_VALID_DAYS),
    oldest first, since they expire first; returns how many were fetched now."""
    since = (now or datetime.now(UTC)) - timedelta(days=MEDIA_VALID_DAYS)
    with fetch.session_factory() as session:
        ids = list(session.scalars(select(MinutesMedia.id).where(MinutesMedia.path.is_(None),
                                                                 MinutesMedia.created_at >= since)
                                   .order_by(MinutesMedia.id).limit(limit)))
    return sum(1 for row_id in ids if fetch_one(fetch, row_id))
