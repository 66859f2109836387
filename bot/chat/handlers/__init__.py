"""Chat handlers: each module declares what a message or event does (`routes`); build_router adds them."""

from __future__ import annotations

from importlib import import_module

from bot.chat.router import Router

# Modules are listed, not discovered: the registry is explicit and its order is deliberate.
MODULES = ("bot.chat.handlers.general", "bot.chat.handlers.notify_events", "bot.chat.handlers.org",
           "bot.chat.handlers.meetings", "bot.chat.handlers.mobile")


def build_router() -> Router:
    router = Router()
    for name in MODULES:
        module = import_module(name)
        if hasattr(module, "routes"):
            router.include(module.routes)
        else:  # TRANSITIONAL: modules not yet converted to module-level routes
            module.register(router)
    return router
