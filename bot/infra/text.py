"""Text shaping shared by every channel: one line, cut to a length with an ellipsis."""

from __future__ import annotations

import re
from typing import Any


def shorten(value: Any, limit: int) -> str:
    """`value` on one line (runs of white space folded), at most `limit` characters, cut with "…"."""
    text = re.sub(r"\s+", " ", str(value or "")).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"
