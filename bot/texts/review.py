"""Words of 述职评议: replies, refusals (REFUSALS) and notices (NOTICES)."""

from __future__ import annotations

from typing import Any

REFUSALS: dict[str, Any] = {}
NOTICES: dict[str, Any] = {}
