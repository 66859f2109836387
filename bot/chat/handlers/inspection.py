"""Chat: 年检."""

from __future__ import annotations

from bot.chat.router import Routes

routes = Routes()
