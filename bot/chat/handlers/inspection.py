"""Chat: 年检 (the sender's organizations: status and days to each deadline) and 年检材料 (the drafted party-work
section as a text summary), for the secretary of the covering branch or the organization's liaison."""

from __future__ import annotations

import re

from bot.chat.context import Context
from bot.chat.router import Reply, Routes
from bot.infra.clock import today
from bot.infra.text import parse_id
from bot.services.errors import Invalid
from bot.services.inspection import draft as drafting
from bot.services.inspection import filing, years
from bot.texts import inspection as T

STATUS_ROLES = ("secretary", "liaison", "admin")

routes = Routes()


def _year(ctx: Context) -> int:
    assert ctx.match is not None
    given = ctx.match["year"]
    return int(given) if given else years.filing_year(ctx.now, ctx.settings)


@routes.text(r"年检\s*(?:(?P<year>\d{4})\s*年?度?)?", priority=60, name="inspection.status", usage="年检",
             summary="所负责社会组织的年检状态和截止日期", roles=STATUS_ROLES)
def status(ctx: Context) -> Reply:
    year = _year(ctx)
    committees = filing.admin_committees(ctx.session, ctx.member)
    if committees and not filing.organizations_of(ctx.session, ctx.member):  # committee staff: the figures
        return "\n\n".join(T.committee_reply(filing.status(ctx.session, actor=ctx.member, committee_id=cid, year=year,
                                                          now=ctx.now, settings=ctx.settings))
                             for cid in committees)
    found = filing.mine(ctx.session, actor=ctx.member, year=year, now=ctx.now, settings=ctx.settings)
    return T.mine_reply(found, year, today(ctx.now, ctx.settings))


YEAR_WORD = re.compile(r"(?P<year>\d{4})年度?")


def _material_args(rest: str, ctx: Context) -> tuple[int | None, int]:
    """年检材料 [编号] [2025年度]: the organization's number (None: the sender's only one) and the year."""
    org_id: int | None = None
    year = years.filing_year(ctx.now, ctx.settings)
    words = rest.split()
    if words and (found := YEAR_WORD.fullmatch(words[-1])):
        year = int(found["year"])
        words.pop()
    if len(words) > 1:
        raise Invalid("inspection_material_usage")
    if words:
        org_id = parse_id(words[0])
        if org_id is None:
            raise Invalid("inspection_material_usage")
    return org_id, year


@routes.text(r"(?s)年检材料(?P<rest>.*)", priority=60, name="inspection.draft",
             usage="年检材料", summary="年检党建工作情况草稿", roles=STATUS_ROLES)
def material(ctx: Context) -> Reply:
    assert ctx.match is not None
    org_id, year = _material_args(ctx.match["rest"], ctx)
    if org_id is None:
        orgs = filing.organizations_of(ctx.session, ctx.member)
        if not orgs:
            if filing.admin_committees(ctx.session, ctx.member):
                raise Invalid("inspection_material_usage")
            raise Invalid("inspection_no_organization")
        if len(orgs) > 1:
            raise Invalid("inspection_which_org", **T.which_org(orgs))
        org_id = orgs[0].id
    found = drafting.draft(ctx.session, actor=ctx.member, organization_id=org_id, year=year, now=ctx.now,
                           settings=ctx.settings)
    return T.draft_text(found)
