"""Chat: 志愿服务."""

from __future__ import annotations

from bot.chat.router import Routes

routes = Routes()
