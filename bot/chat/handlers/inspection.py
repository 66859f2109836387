"""Chat: 年检 (the sender's organizations: status and days to each deadline) and 年检材料 (the drafted party-work
section as a text summary), for the secretary of the covering branch or the organization's liaison."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Reply, Routes
from bot.infra.clock import today
from bot.infra.text import parse_id
from bot.services.errors import Invalid, NotFound
from bot.services.inspection import draft as drafting
from bot.services.inspection import filing, years
from bot.texts import inspection as T

ROLES = ("secretary", "liaison")
STATUS_ROLES = ("secretary", "liaison", "admin")

routes = Routes()


def _year(ctx: Context) -> int:
    assert ctx.match is not None
    given = ctx.match["year"]
    return int(given) if given else years.filing_year(ctx.now, ctx.settings)


@routes.text(r"年检\s*(?:(?P<year>\d{4})\s*年?度?)?", priority=60, name="inspection.status", usage="年检",
             summary="查看所负责社会组织的年检状态和截止日期", roles=STATUS_ROLES)
def status(ctx: Context) -> Reply:
    year = _year(ctx)
    committees = filing.admin_committees(ctx.session, ctx.member)
    if committees and not filing.organizations_of(ctx.session, ctx.member):  # committee staff: the figures
        return "\n\n".join(T.committee_reply(filing.status(ctx.session, actor=ctx.member, committee_id=cid, year=year,
                                                          now=ctx.now, settings=ctx.settings))
                             for cid in committees)
    found = filing.mine(ctx.session, actor=ctx.member, year=year, now=ctx.now, settings=ctx.settings)
    return T.mine_reply(found, year, today(ctx.now, ctx.settings))


@routes.text(r"年检材料\s*(?P<id>\S*)", priority=60, name="inspection.draft", usage="年检材料",
             summary="查看年检党建工作情况草稿", roles=ROLES)
def material(ctx: Context) -> Reply:
    assert ctx.match is not None
    given = ctx.match["id"]
    year = years.filing_year(ctx.now, ctx.settings)
    if given:
        org_id = parse_id(given)
        if org_id is None:
            raise NotFound("organization_not_found", id=given)
    else:
        orgs = filing.organizations_of(ctx.session, ctx.member)
        if not orgs:
            raise Invalid("inspection_no_organization")
        if len(orgs) > 1:
            raise Invalid("inspection_which_org", **T.which_org(orgs))
        org_id = orgs[0].id
    found = drafting.draft(ctx.session, actor=ctx.member, organization_id=org_id, year=year, now=ctx.now,
                           settings=ctx.settings)
    return T.draft_text(found)
