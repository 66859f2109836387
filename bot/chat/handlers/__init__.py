"""Chat handlers: each module registers what a message or event does on the shared router."""

from __future__ import annotations

from importlib import import_module

from bot.chat.router import Router

# Modules are listed, not discovered: the registry is explicit and its order is deliberate.
MODULES = ("bot.chat.handlers.general", "bot.chat.handlers.notify_events", "bot.chat.handlers.org",
           "bot.chat.handlers.meetings",
           "bot.chat.handlers.mobile")


def build_router() -> Router:
    router = Router()
    for name in MODULES:
        import_module(name).register(router)
    return router
