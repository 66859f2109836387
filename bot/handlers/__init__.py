"""Chat handlers: each module registers what a message or event does on the shared router."""

from __future__ import annotations

from importlib import import_module

from ..router import Router

# Modules are listed, not discovered: the registry is explicit and its order is deliberate.
MODULES = ("bot.handlers.general", "bot.handlers.notify_events", "bot.handlers.org", "bot.handlers.meetings",
           "bot.handlers.mobile")


def build_router() -> Router:
    router = Router()
    for name in MODULES:
        import_module(name).register(router)
    return router
