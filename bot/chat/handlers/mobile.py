"""Chat: 登记流动党员 / 取消流动党员 (a secretary registers a member of another branch), 流动党员 (the list)."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.handlers.meetings import branch_or_refuse
from bot.chat.router import Reply, Routes
from bot.models import Branch
from bot.services.errors import Invalid
from bot.services.org import mobile
from bot.texts import org as T

SECRETARY_ROLES = ("secretary",)  # the host branch's secretary: an admin without a branch has none to host

routes = Routes()


def _host(ctx: Context) -> Branch:
    return branch_or_refuse(ctx, "mobile_no_branch", "need_binding")


def _phone(ctx: Context) -> str:
    assert ctx.match is not None
    given = (ctx.match["phone"] or "").strip()
    if not given:
        raise Invalid("mobile_usage")
    return given


@routes.text(r"登记流动党员\s*(?P<phone>.*)", priority=60, name="mobile.register", usage="登记流动党员 手机号",
             summary="把外支部党员登记为本支部流动党员", roles=SECRETARY_ROLES)
def add(ctx: Context) -> Reply:
    host = _host(ctx)
    done = mobile.register(ctx.session, actor=ctx.member, host=host, phone=_phone(ctx), now=ctx.now)
    text = T.MOB_DONE if done.created else T.MOB_ALREADY
    return text.format(name=done.member.name, home=done.home or T.NO_HOME_BRANCH, branch=host.name,
                       phone=done.phone)


@routes.text(r"取消流动党员\s*(?P<phone>.*)", priority=60, name="mobile.unregister")
def remove(ctx: Context) -> Reply:
    host = _host(ctx)
    member = mobile.unregister(ctx.session, actor=ctx.member, host=host, phone=_phone(ctx))
    return T.MOB_REMOVED.format(name=member.name, branch=host.name)


@routes.text(r"流动党员", priority=55, name="mobile.list", usage="流动党员", summary="查看本支部登记的流动党员",
             roles=("secretary", "committee_member"))
def listing(ctx: Context) -> Reply:
    host = _host(ctx)
    found = mobile.registered_with(ctx.session, actor=ctx.member, host=host)
    if not found:
        return T.MOB_LIST_EMPTY.format(branch=host.name)
    lines = [T.MOB_LIST_LINE.format(name=m.name, home=m.home or T.NO_HOME_BRANCH, phone=m.phone) for m in found]
    return T.MOB_LIST.format(branch=host.name, n=len(found), lines="\n".join(lines))
