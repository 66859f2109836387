"""Help, welcome, cancel, and a sensible answer for every message and event nobody else takes."""

from __future__ import annotations

from bot.chat import texts as M
from bot.chat.context import Context
from bot.chat.router import Reply, Router


def help_text(ctx: Context) -> str:
    if ctx.sender is None:
        return M.UNBOUND_HELP
    entries = ctx.router.menu_for(ctx.roles, bound=True)
    lines = [M.HELP_HEADER.format(name=ctx.sender.name)]
    lines += [f"· {e.usage} — {e.summary}" if e.summary else f"· {e.usage}" for e in entries]
    lines.append(M.HELP_FOOTER)
    return "\n".join(lines)


def register(router: Router) -> None:
    @router.text(r"(?:帮助|菜单|help|\?|？)", priority=90, name="general.help",
                 usage="帮助", summary="查看可用功能")
    def show_help(ctx: Context) -> Reply:
        return help_text(ctx)

    @router.fallback
    def unknown(ctx: Context) -> Reply:
        shown = ctx.text if len(ctx.text) <= 20 else ctx.text[:20] + "…"
        return M.UNKNOWN_PREFIX.format(text=shown) + "\n" + help_text(ctx)

    @router.event("subscribe", name="general.subscribe")
    def welcome(ctx: Context) -> Reply:
        return M.WELCOME

    @router.event("unsubscribe", name="general.unsubscribe")
    def goodbye(ctx: Context) -> Reply:
        return None  # nobody can read a reply after unsubscribing

    for msg_type in ("image", "voice", "video", "shortvideo", "link", "file"):
        router.message(msg_type, priority=0, name=f"general.{msg_type}")(_non_text)

    @router.message("location", priority=0, name="general.location")
    def location(ctx: Context) -> Reply:
        return M.LOCATION_NOTED


def _non_text(ctx: Context) -> Reply:
    return M.NON_TEXT
