"""Photos sent by chat (minutes, 述职 reports, 整改 evidence): an image message carries only a media id,
valid MEDIA_VALID_DAYS on WeChat. The row that keeps the id is written in the message's transaction; the
channel downloads the file off the request and `keep` stores it in MEDIA_DIR. The download itself (WeChat's
media/get) is the caller's: a MediaSource it passes in."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from typing import Protocol

from sqlalchemy.orm import Session

log = logging.getLogger("zhibu.media")

MEDIA_VALID_DAYS = 3  # WeChat keeps a message's temporary media this long; later a fetch can only fail


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
