"""Text shaping shared by every channel: one line, cut to a length with an ellipsis; the size of one reply."""

from __future__ import annotations

import re
from typing import Any


def shorten(value: Any, limit: int) -> str:
    """`value` on one line (runs of white space folded), at most `limit` characters, cut with "…"."""
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


REPLY_MAX_BYTES = 2048  # one WeChat text reply (passive or customer-service) at most, in UTF-8 bytes


def fits_reply(text: str) -> bool:
    """Does `text` fit one WeChat text reply? (Longer replies are cut by the channel.)"""
    return len(text.encode()) <= REPLY_MAX_BYTES


MAX_ID = 2**31 - 1  # the id columns are 32-bit integers on PostgreSQL


def in_id_range(ident: int) -> bool:
    """An id the id columns can hold: anything else is found nowhere, without asking the database (which
    would fail on it rather than answer "none")."""
    return 1 <= ident <= MAX_ID


def parse_id(value: str | None) -> int | None:
    """A record number as a person types it (`5`, `#5`, `＃５` after NFKC folding): ASCII digits only, 1 to
    MAX_ID; anything else (a phone number, 20 digits, a Unicode digit such as ፩) is None, which channels
    answer with "没有找到" rather than reaching the database."""
    text = (value or "").strip().removeprefix("#").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    number = int(text)
    return number if in_id_range(number) else None
