"""Help, welcome, cancel, and a sensible answer for every message and event nobody else takes."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import MenuEntry, Reply, Routes
from bot.infra.text import fits_reply, shorten
from bot.texts import general as G

routes = Routes()


def help_text(ctx: Context, section: str = "") -> str:
    """The commands the sender may use: each with what it does when that fits one reply; else grouped by
    capability, with `帮助 <分类>` for one capability's commands explained."""
    if ctx.sender is None:
        return G.UNBOUND_HELP
    entries = ctx.router.menu_for(ctx.roles, bound=True)
    if not section:
        full = "\n".join([G.HELP_HEADER.format(name=ctx.sender.name), *map(_line, entries), G.HELP_FOOTER])
        if fits_reply(full):
            return full
    groups: dict[str, list[MenuEntry]] = {}
    for e in entries:
        groups.setdefault(G.HELP_SECTIONS.get(e.section, G.HELP_OTHER), []).append(e)
    if section:
        label = next((name for name in groups if section in name or name in section), None)
        if label is None:
            return G.HELP_NO_SECTION.format(text=shorten(section, 12), sections="、".join(groups))
        return "\n".join([G.HELP_SECTION_HEADER.format(section=label), *map(_line, groups[label]),
                          G.HELP_FOOTER])
    groups.pop(G.HELP_SECTIONS["general"], None)  # 帮助 itself
    lines = [G.HELP_HEADER.format(name=ctx.sender.name)]
    lines += [G.HELP_GROUP.format(section=label, commands="；".join(e.usage for e in group))
              for label, group in groups.items()]
    lines.append(G.HELP_GROUPED_FOOTER.format(example=next(iter(groups), G.HELP_SECTIONS["general"])))
    return "\n".join(lines)


def _line(e: MenuEntry) -> str:
    return f"· {e.usage} — {e.summary}" if e.summary else f"· {e.usage}"


@routes.cancel(r"(?:取消|退出)")
def cancel(ctx: Context) -> Reply:
    """Leave the running conversation, if any, saying what was discarded."""
    if ctx.conversation:
        step = str(ctx.conversation.get("step") or "")
        ctx.end_conversation()
        return G.CANCELLED_STEPS.get(step, G.CANCELLED)
    return G.NOTHING_TO_CANCEL


@routes.text(r"(?:帮助|菜单|help|\?|？)(?:\s+(?P<section>\S.{0,39}))?", priority=90, name="general.help", usage="帮助",
             summary="查看可用功能（帮助 分类：某一类的说明）")
def show_help(ctx: Context) -> Reply:
    assert ctx.match is not None
    return help_text(ctx, (ctx.match["section"] or "").strip())


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
