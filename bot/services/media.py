"""Photos sent by chat (minutes, 述职 reports, 整改 evidence): an image message carries only a media id,
valid MEDIA_VALID_DAYS on WeChat. The row that keeps the id is written in the message's transaction; the
channel downloads the file off the request and `keep` stores it in MEDIA_DIR. The download itself (WeChat's
media/get) is the caller's: a MediaSource it passes in."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Attachment, MinutesMedia

log = logging.getLogger("zhibu.media")

MEDIA_VALID_DAYS = 3  # WeChat keeps a message's temporary media this long; later a fetch can only fail
PhotoRow = TypeVar("PhotoRow", MinutesMedia, Attachment)  # a row keeping a media id, and its file once fetched


@dataclass(frozen=True)
class Photo:
    """A photo as a page lists it."""

    id: int  # its row
    kept: bool  # the file is in MEDIA_DIR (False: still being fetched from WeChat)


class MediaSource(Protocol):
    """Where photos come from and go to: new sessions (a fetch runs outside any request), the download of
    a media id (WeChat's media/get; raises if it fails), and the directory files are kept in."""

    @property
    def sessions(self) -> Callable[[], Session]: ...

    @property
    def media_dir(self) -> str: ...

    def download(self, media_id: str) -> bytes: ...


def safe_name(media_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", media_id)[:100] or "media"


def keep(source: MediaSource, media_id: str, *folder: str) -> str | None:
    """Download a media id into MEDIA_DIR/<folder…>/<media id>.jpg (written whole, then renamed); the path,
    or None when WeChat or the network failed (the caller keeps its row for a later try)."""
    try:
        content = source.download(media_id)
    except Exception as exc:  # WeChat's or the network's error
        log.warning("media %s (%s) not fetched: %s", media_id, "/".join(folder), exc)
        return None
    directory = os.path.join(source.media_dir, *folder)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, safe_name(media_id) + ".jpg")
    tmp = path + ".part"
    with open(tmp, "wb") as fh:
        fh.write(content)
    os.replace(tmp, path)
    return path


def fetch_row(source: MediaSource, model: type[PhotoRow], row_id: int, folder: Callable[[PhotoRow], tuple[str, ...]],
              *, now: datetime) -> bool:
    """Download the photo of one row into MEDIA_DIR/<folder(row)…>/ and note its path; False on failure (the
    row stays for a later try). A row already fetched, or gone, is left as it is."""
    with source.sessions() as session:
        row = session.get(model, row_id)
        if row is None or row.path:
            return row is not None
        media_id, where = row.media_id, folder(row)
    path = keep(source, media_id, *where)
    if path is None:
        return False
    with source.sessions() as session, session.begin():
        row = session.get(model, row_id)
        if row is not None:
            row.path = path
            row.fetched_at = now
    return True


def unfetched(source: MediaSource, model: type[PhotoRow], limit: int, *, now: datetime) -> list[int]:
    """Rows whose fetch failed and that WeChat still keeps (sent within MEDIA_VALID_DAYS), oldest first, since
    they expire first."""
    since = now - timedelta(days=MEDIA_VALID_DAYS)
    with source.sessions() as session:
        return list(session.scalars(select(model.id).where(model.path.is_(None), model.created_at >= since)
                                    .order_by(model.id).limit(limit)))


def kept_file(media_dir: str, path: str | None) -> str | None:
    """A fetched photo's file, only if it lies inside `media_dir` (MEDIA_DIR) and exists; else None."""
    if not path:
        return None
    root = os.path.realpath(media_dir)
    found = os.path.realpath(path)
    return found if os.path.commonpath([root, found]) == root and os.path.isfile(found) else None
