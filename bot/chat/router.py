"""The registry that chat handlers register with: explicit, prioritised, first match wins.

A handler is registered for a text pattern, an event, or a message type. Patterns are compiled at
registration, so a bad one fails at start-up, not on a user's message. Multi-step conversations are
named steps: while one is active for a sender, their text goes to that step first; the cancel route
(`取消`, registered by the general handlers) is tried before the step, so it always leaves one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.chat.context import Context

Reply = Any  # str (text reply), a wechatpy reply object, or None ("success")
# Text routes at this priority or above are commands: typed inside a conversation, they run as commands.
# Below it are routes that read free text (a meeting request in ordinary words), which a step's answer may be.
COMMAND_PRIORITY = 50
HandlerFn = Callable[["Context"], Reply]


class RouterError(ValueError):
    """A handler was registered wrongly (bad pattern, duplicate name, unknown kind)."""


@dataclass(frozen=True)
class MenuEntry:
    """A line of the help menu: what to type, what it does, who sees it."""

    usage: str
    summary: str
    roles: frozenset[str] | None  # None: every bound member
    order: int
    section: str = ""  # the capability (its handler module) the command belongs to


@dataclass
class Route:
    name: str
    kind: str  # text | event | message
    key: str  # the pattern text, the event name, or the message type
    fn: HandlerFn
    priority: int
    order: int
    pattern: re.Pattern[str] | None = None

    def matches(self, ctx: Context) -> re.Match[str] | bool | None:
        if self.kind == "text":
            if ctx.msg_type != "text":
                return None
            assert self.pattern is not None
            return self.pattern.fullmatch(ctx.text)
        if self.kind == "event":
            return ctx.msg_type == "event" and ctx.event == self.key
        return ctx.msg_type == self.key


class Routes:
    """A handler module's registrations, declared at module level with the Router's own decorators and
    added to a Router by Router.include: the handlers stay plain, importable functions."""

    def __init__(self) -> None:
        self._calls: list[tuple[str, tuple[Any, ...], dict[str, Any], HandlerFn]] = []

    def _record(self, method: str, *args: Any, **kwargs: Any) -> Callable[[HandlerFn], HandlerFn]:
        def deco(fn: HandlerFn) -> HandlerFn:
            self._calls.append((method, args, kwargs, fn))
            return fn

        return deco

    def text(self, pattern: str, **kwargs: Any) -> Callable[[HandlerFn], HandlerFn]:
        return self._record("text", pattern, **kwargs)

    def event(self, event: str, **kwargs: Any) -> Callable[[HandlerFn], HandlerFn]:
        return self._record("event", event, **kwargs)

    def message(self, msg_type: str, **kwargs: Any) -> Callable[[HandlerFn], HandlerFn]:
        return self._record("message", msg_type, **kwargs)

    def step(self, name: str, *, commands: Iterable[str] | None = None) -> Callable[[HandlerFn], HandlerFn]:
        return self._record("step", name, commands=commands)

    def image_step(self, name: str) -> Callable[[HandlerFn], HandlerFn]:
        return self._record("image_step", name)

    def observe(self, fn: Callable[[Context], None]) -> Callable[[Context], None]:
        self._calls.append(("observe", (), {}, fn))
        return fn

    def cancel(self, pattern: str) -> Callable[[HandlerFn], HandlerFn]:
        return self._record("cancel", pattern)

    def fallback(self, fn: HandlerFn) -> HandlerFn:
        self._calls.append(("fallback", (), {}, fn))
        return fn

    def add_to(self, router: Router) -> None:
        for method, args, kwargs, fn in self._calls:
            if method in ("observe", "fallback"):
                getattr(router, method)(fn)
            else:
                getattr(router, method)(*args, **kwargs)(fn)


@dataclass
class Router:
    routes: list[Route] = field(default_factory=list)
    steps: dict[str, HandlerFn] = field(default_factory=dict)
    # Writing steps (a 述职 report): the only commands they let through, by route name; any other text,
    # even one that reads like a command, is the writing's.
    step_commands: dict[str, frozenset[str]] = field(default_factory=dict)
    # Conversation steps that take photos: an image sent while one is current goes to it.
    image_steps: dict[str, HandlerFn] = field(default_factory=dict)
    menu: list[MenuEntry] = field(default_factory=list)
    fallback_fn: HandlerFn | None = None
    cancel_route: Route | None = None
    observers: list[Callable[[Context], None]] = field(default_factory=list)
    _names: set[str] = field(default_factory=set)
    # The routes that could match a message of a (type, event), in order: built on first use.
    _candidates: dict[tuple[str, str], list[Route]] = field(default_factory=dict)
    _command_fns: set[HandlerFn] | None = None
    _menus: dict[frozenset[str], list[MenuEntry]] = field(default_factory=dict)

    # -- registration -------------------------------------------------------------------------
    def _add(self, kind: str, key: str, fn: HandlerFn, priority: int, name: str | None) -> Route:
        route_name = name or f"{fn.__module__}.{fn.__qualname__}"
        if route_name in self._names:
            raise RouterError(f"handler {route_name!r} registered twice")
        pattern = None
        if kind == "text":
            try:
                pattern = re.compile(key, re.S)
            except re.error as exc:
                raise RouterError(f"bad pattern for {route_name}: {key!r}: {exc}") from exc
        elif not key or not re.fullmatch(r"[a-z_]+", key):
            raise RouterError(f"bad {kind} name for {route_name}: {key!r}")
        route = Route(route_name, kind, key, fn, priority, len(self.routes), pattern)
        self._names.add(route_name)
        self.routes.append(route)
        # Higher priority first; among equals, the first registered wins.
        self.routes.sort(key=lambda r: (-r.priority, r.order))
        self._candidates.clear()
        self._command_fns = None
        return route

    def text(
        self,
        pattern: str,
        *,
        priority: int = 50,
        name: str | None = None,
        usage: str | None = None,
        summary: str | None = None,
        roles: Iterable[str] | None = None,
    ) -> Callable[[HandlerFn], HandlerFn]:
        """Register for text that fully matches `pattern` (after normalisation); optionally list it
        in the help menu for the given roles."""

        def deco(fn: HandlerFn) -> HandlerFn:
            self._add("text", pattern, fn, priority, name)
            if usage:
                role_set = frozenset(roles) if roles is not None else None
                self.menu.append(MenuEntry(usage, summary or "", role_set, len(self.menu),
                                           fn.__module__.rsplit(".", 1)[-1]))
            self._menus.clear()
            return fn

        return deco

    def event(self, event: str, *, priority: int = 50, name: str | None = None) -> Callable[[HandlerFn], HandlerFn]:
        def deco(fn: HandlerFn) -> HandlerFn:
            self._add("event", event, fn, priority, name)
            return fn

        return deco

    def message(
        self, msg_type: str, *, priority: int = 50, name: str | None = None
    ) -> Callable[[HandlerFn], HandlerFn]:
        def deco(fn: HandlerFn) -> HandlerFn:
            self._add("message", msg_type, fn, priority, name)
            return fn

        return deco

    def step(self, name: str, *, commands: Iterable[str] | None = None) -> Callable[[HandlerFn], HandlerFn]:
        """Register a conversation step; Context.start_conversation(name, …) makes it current. A command
        typed during a step runs as the command, unless the step names its `commands` (route names): a
        writing step, where only those (and 取消) are commands and the rest is what is being written."""

        def deco(fn: HandlerFn) -> HandlerFn:
            if name in self.steps:
                raise RouterError(f"conversation step {name!r} registered twice")
            self.steps[name] = fn
            if commands is not None:
                self.step_commands[name] = frozenset(commands)
            return fn

        return deco

    def image_step(self, name: str) -> Callable[[HandlerFn], HandlerFn]:
        """Register what an image does while conversation step `name` is current (a report's photos, 整改
        evidence); images outside such a step go to the image routes."""

        def deco(fn: HandlerFn) -> HandlerFn:
            if name in self.image_steps:
                raise RouterError(f"image step {name!r} registered twice")
            self.image_steps[name] = fn
            return fn

        return deco

    def observe(self, fn: Callable[[Context], None]) -> Callable[[Context], None]:
        """Register a function that sees every message before it is routed (it must not reply)."""
        self.observers.append(fn)
        return fn

    def fallback(self, fn: HandlerFn) -> HandlerFn:
        if self.fallback_fn is not None:
            raise RouterError("a fallback is already registered")
        self.fallback_fn = fn
        return fn

    def cancel(self, pattern: str) -> Callable[[HandlerFn], HandlerFn]:
        """Register the text that leaves a conversation; it is tried before the current step."""

        def deco(fn: HandlerFn) -> HandlerFn:
            if self.cancel_route is not None:
                raise RouterError("a cancel route is already registered")
            route = self._add("text", pattern, fn, 100, f"{fn.__module__}.{fn.__qualname__}")
            self.cancel_route = route
            return fn

        return deco

    def include(self, routes: Routes) -> None:
        """Add a handler module's routes, in the order the module declared them."""
        routes.add_to(self)

    # -- dispatch -----------------------------------------------------------------------------
    def dispatch(self, ctx: Context) -> Reply:
        """Observers see the message; text goes to the cancel route, then to a command (a command typed
        inside a conversation is routed as the command, not taken as the step's content; the conversation
        stays), then to the sender's conversation step, else to the first matching route (the fallback for
        text nobody takes)."""
        for observer in self.observers:
            observer(ctx)
        fn, match = self.resolve(ctx)
        if ctx.msg_type == "text":
            conv = ctx.load_conversation()
            cancel = self.cancel_route
            if cancel is not None and cancel.matches(ctx):
                return cancel.fn(ctx)
            step = conv.get("step") if conv else None
            if step in self.steps and not self._is_command(fn, step):
                return self.steps[step](ctx)
        elif ctx.msg_type == "image" and self.image_steps:
            conv = ctx.load_conversation()
            if conv and conv.get("step") in self.image_steps:
                return self.image_steps[conv["step"]](ctx)
        if fn is None:
            return None
        ctx.match = match
        return fn(ctx)

    def is_command_text(self, ctx: Context) -> bool:
        """Does this text read as a command (outside any conversation)?"""
        return self._is_command(self.resolve(ctx)[0])

    def _is_command(self, fn: HandlerFn | None, step: str | None = None) -> bool:
        """A route of a command (priority COMMAND_PRIORITY or more), not free text nor the fallback; during a
        writing step, only one of the commands it names."""
        if fn is None or fn is self.fallback_fn or fn not in self._commands():
            return False
        allowed = self.step_commands.get(step or "")
        return allowed is None or any(r.fn is fn and r.name in allowed for r in self.routes)

    def _commands(self) -> set[HandlerFn]:
        if self._command_fns is None:
            self._command_fns = {r.fn for r in self.routes if r.kind == "text" and r.priority >= COMMAND_PRIORITY}
        return self._command_fns

    def resolve(self, ctx: Context) -> tuple[HandlerFn | None, re.Match[str] | None]:
        """The handler for this message, and the text match if any."""
        kinds = (ctx.msg_type, ctx.event)
        candidates = self._candidates.get(kinds)
        if candidates is None:  # text routes for text; event routes of this event; message routes of this type
            candidates = [r for r in self.routes if (r.kind == "text" and ctx.msg_type == "text")
                          or (r.kind == "event" and ctx.msg_type == "event" and r.key == ctx.event)
                          or (r.kind == "message" and r.key == ctx.msg_type)]
            if len(self._candidates) < 256:  # WeChat's kinds are few; a flood of made-up ones is not kept
                self._candidates[kinds] = candidates
        for route in candidates:
            found = route.matches(ctx)
            if found:
                return route.fn, found if isinstance(found, re.Match) else None
        if ctx.msg_type == "text":
            return self.fallback_fn, None
        return None, None

    def menu_for(self, roles: set[str], bound: bool) -> list[MenuEntry]:
        """The help menu's entries for a holder of `roles` (computed once per set of roles)."""
        if not bound:
            return []
        key = frozenset(roles)
        found = self._menus.get(key)
        if found is None:
            found = [e for e in self.menu if e.roles is None or e.roles & roles]
            if len(self._menus) < 256:  # the sets of roles people hold are few
                self._menus[key] = found
        return found
