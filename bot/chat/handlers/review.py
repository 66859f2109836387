"""Chat: 述职评议."""

from __future__ import annotations

from bot.chat.router import Routes

routes = Routes()
