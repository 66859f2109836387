"""Words of 志愿服务: replies, refusals (REFUSALS) and notices (NOTICES)."""

from __future__ import annotations

from typing import Any

REFUSALS: dict[str, Any] = {}
NOTICES: dict[str, Any] = {}
