"""Chat handlers: each module declares what a message or event does (`routes`); build_router adds them."""

from __future__ import annotations

from importlib import import_module

from bot.chat.router import Router

# Modules are listed, not discovered: the registry is explicit and its order is deliberate.
MODULES = ("bot.chat.handlers.general", "bot.chat.handlers.notify_events", "bot.chat.handlers.org",
           "bot.chat.handlers.meetings", "bot.chat.handlers.mobile", "bot.chat.handlers.review",
           "bot.chat.handlers.rectification", "bot.chat.handlers.volunteer", "bot.chat.handlers.inspection")


def build_router() -> Router:
    router = Router()
    for name in MODULES:
        router.include(import_module(name).routes)
    return router
