"""Chat: 整改台账."""

from __future__ import annotations

from bot.chat.router import Routes

routes = Routes()
