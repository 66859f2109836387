"""Help, welcome, cancel, and a sensible answer for every message and event nobody else takes."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Reply, Routes
from bot.infra.text import shorten
from bot.texts import general as G

routes = Routes()


def help_text(ctx: Context) -> str:
    if ctx.sender is None:
        return G.UNBOUND_HELP
    entries = ctx.router.menu_for(ctx.roles, bound=True)
    lines = [G.HELP_HEADER.format(name=ctx.sender.name)]
    lines += [f"· {e.usage} — {e.summary}" if e.summary else f"· {e.usage}" for e in entries]
    lines.append(G.HELP_FOOTER)
    return "\n".join(lines)


@routes.cancel(r"(?:取消|退出)")
def cancel(ctx: Context) -> Reply:
    """Leave the running conversation, if any, saying what was discarded."""
    if ctx.conversation:
        step = str(ctx.conversation.get("step") or "")
        ctx.end_conversation()
        return G.CANCELLED_STEPS.get(step, G.CANCELLED)
    return G.NOTHING_TO_CANCEL


@routes.text(r"(?:帮助|菜单|help|\?|？)", priority=90, name="general.help", usage="帮助", summary="查看可用功能")
def show_help(ctx: Context) -> Reply:
    return help_text(ctx)


@routes.fallback
def unknown(ctx: Context) -> Reply:
    """One short line: what was not understood, and where the commands are (not the whole menu)."""
    return G.UNKNOWN_PREFIX.format(text=shorten(ctx.text, 21)) + G.UNKNOWN_HINT


@routes.event("subscribe", name="general.subscribe")
def welcome(ctx: Context) -> Reply:
    return G.WELCOME


@routes.event("unsubscribe", name="general.unsubscribe")
def goodbye(ctx: Context) -> Reply:
    return None  # nobody can read a reply after unsubscribing


@routes.message("location", priority=0, name="general.location")
def location(ctx: Context) -> Reply:
    return G.LOCATION_NOTED


def non_text(ctx: Context) -> Reply:
    return G.NON_TEXT


for _msg_type in ("image", "voice", "video", "shortvideo", "link", "file"):
    routes.message(_msg_type, priority=0, name=f"general.{_msg_type}")(non_text)
