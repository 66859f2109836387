"""Chat: 登记流动党员 / 取消流动党员 (a secretary registers a member of another branch), 流动党员 (the list)."""

from __future__ import annotations

from bot.chat import texts as M
from bot.chat.context import Context
from bot.chat.handlers.meetings import branch_or_refuse
from bot.chat.router import Reply, Router
from bot.models import Branch
from bot.services.errors import Invalid
from bot.services.org import mobile
from bot.services.org.structure import mask_phone

SECRETARY_ROLES = ("secretary", "admin")


def _host(ctx: Context) -> Branch:
    return branch_or_refuse(ctx, M.MOB_NO_BRANCH, M.NEED_BINDING)


def _phone(ctx: Context) -> str:
    assert ctx.match is not None
    given = (ctx.match["phone"] or "").strip()
    if not given:
        raise Invalid(M.MOB_USAGE)
    return given


def register(router: Router) -> None:
    @router.text(r"登记流动党员\s*(?P<phone>.*)", priority=60, name="mobile.register", usage="登记流动党员 手机号",
                 summary="把外支部党员登记为本支部流动党员", roles=SECRETARY_ROLES)
    def add(ctx: Context) -> Reply:
        host = _host(ctx)
        done = mobile.register(ctx.session, actor=ctx.member, host=host, phone=_phone(ctx), now=ctx.now)
        text = M.MOB_DONE if done.created else M.MOB_ALREADY
        return text.format(name=done.member.name, home=done.home, branch=host.name,
                           phone=mask_phone(done.member.phone))

    @router.text(r"取消流动党员\s*(?P<phone>.*)", priority=60, name="mobile.unregister")
    def remove(ctx: Context) -> Reply:
        host = _host(ctx)
        member = mobile.unregister(ctx.session, actor=ctx.member, host=host, phone=_phone(ctx))
        return M.MOB_REMOVED.format(name=member.name, branch=host.name)

    @router.text(r"流动党员", priority=55, name="mobile.list", usage="流动党员", summary="查看本支部登记的流动党员",
                 roles=("secretary", "committee_member", "admin"))
    def listing(ctx: Context) -> Reply:
        host = _host(ctx)
        found = mobile.registered_with(ctx.session, actor=ctx.member, host=host)
        if not found:
            return M.MOB_LIST_EMPTY.format(branch=host.name)
        lines = [M.MOB_LIST_LINE.format(name=m.name, home=home, phone=mask_phone(m.phone)) for m, home in found]
        return M.MOB_LIST.format(branch=host.name, n=len(found), lines="\n".join(lines))
