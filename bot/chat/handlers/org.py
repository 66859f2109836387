"""Chat: 邀请 (a binding code for a member), 绑定 (bind this WeChat), 我的, 支部, 党员, 党委 (coverage)."""

from __future__ import annotations

from bot.chat.context import Context
from bot.chat.router import Reply, Routes
from bot.infra.clock import fmt_stamp
from bot.infra.text import parse_id
from bot.models import Member
from bot.services.errors import Invalid, NotFound, PermissionDenied
from bot.services.org import binding
from bot.services.org import structure as org
from bot.texts import org as T

STAFF_ROLES = ("secretary", "committee_member", "admin", "instructor", "liaison")

routes = Routes()


def _sender(ctx: Context) -> Member:
    if ctx.member is None:
        raise PermissionDenied("need_binding")
    return ctx.member


def _arg(ctx: Context) -> str:
    assert ctx.match is not None
    return (ctx.match.group(1) or "").strip()


# What 支部/党委 take after the command: `#…`, or digits (of any script) with an optional sign. Anything
# that is not a valid id (parse_id: ASCII, 1..2^31-1) is answered as an id not found; other text after
# the command does not match (so `支部党员大会…` still reaches the meeting request).
ID_ARG = r"\s*(#\S*|[-+]?\d+)?"


def _wanted_id(ctx: Context, not_found: str) -> int | None:
    """The id typed after the command (None: none typed), or NotFound(`not_found`) naming what was typed."""
    wanted = _arg(ctx).removeprefix("#").strip()
    if not wanted:
        return None
    ident = parse_id(wanted)
    if ident is None:
        raise NotFound(not_found, id=wanted)
    return ident


@routes.text(r"绑定\s*(.*)", priority=80, name="org.bind")
def bind(ctx: Context) -> Reply:
    code = _arg(ctx)
    if not code and ctx.member is None:
        raise Invalid("bind_format")
    done = binding.bind(ctx.session, ctx.store, openid=ctx.openid, code=code, now=ctx.now,
                        policy=binding.BindPolicy.from_settings(ctx.settings))
    if done.already:
        return T.BIND_ALREADY.format(name=done.member.name)
    return T.BIND_DONE.format(name=done.member.name, branch=done.branch or "")


@routes.text(r"邀请\s*(.*)", priority=60, name="org.invite", usage="邀请 张三",
             summary="为党员生成绑定码", roles=("secretary", "admin"))
def invite(ctx: Context) -> Reply:
    ctx.require_dedupe()  # each 邀请 issues a new code: WeChat's retries must be recognized
    actor = _sender(ctx)
    who = _arg(ctx)
    if not who:
        raise Invalid("invite_usage")
    done = binding.invite(ctx.session, actor=actor, query=who, now=ctx.now,
                          policy=binding.BindPolicy.from_settings(ctx.settings))
    text = T.INVITE_DONE.format(name=done.member.name, code=done.code.code,
                                expires=fmt_stamp(done.code.expires_at, ctx.settings))
    if done.was_bound:
        text += "\n" + T.INVITE_REBIND_NOTE.format(name=done.member.name)
    return text


@routes.text(r"我的(?:信息)?", priority=60, name="org.mine", usage="我的", summary="查看本人信息")
def mine(ctx: Context) -> Reply:
    return _own_record(org.own_record(ctx.session, actor=_sender(ctx)))


@routes.text(r"(?:支部概况|本支部|支部)" + ID_ARG, priority=55, name="org.branch", usage="支部",
             summary="查看支部概况", roles=STAFF_ROLES)
def branch(ctx: Context) -> Reply:
    shown = org.branch_overview(ctx.session, actor=_sender(ctx), branch_id=_wanted_id(ctx, "branch_not_found"))
    lines = [T.BRANCH_LINE.format(id=b.id, name=b.name) for b in shown.others]
    if shown.card is None:
        return T.BRANCH_PICK.format(lines="\n".join(lines))
    if lines:
        return _branch_card(shown.card) + "\n" + T.BRANCH_OTHERS.format(lines="、".join(lines))
    return _branch_card(shown.card)


@routes.text(r"(?:党员\s+|查看党员\s*)(.+)", priority=55, name="org.member", usage="党员 张三",
             summary="查看党员信息", roles=("secretary", "committee_member", "admin"))
def member_card(ctx: Context) -> Reply:
    actor = _sender(ctx)
    who = _arg(ctx)
    if not who:
        raise Invalid("member_usage")
    cards = org.member_cards(ctx.session, actor=actor, query=who)
    return "\n\n".join(_member_card(c) for c in cards[:5])


@routes.text(r"(?:党委|覆盖率|组织概况)" + ID_ARG, priority=55, name="org.coverage", usage="党委",
             summary="查看覆盖率等组织概况", roles=("admin",))
def coverage(ctx: Context) -> Reply:
    figures = org.committee_figures(ctx.session, actor=_sender(ctx),
                                    committee_id=_wanted_id(ctx, "committee_not_found"))
    return "\n\n".join(_coverage_card(c) for c in figures)


# -- wording -------------------------------------------------------------------------------------
def _role_lines(record: org.OwnRecord) -> str:
    labels = []
    for held in record.roles:
        label = T.ROLE_LABELS.get(held.role, held.role)
        labels.append(f"{label}（{held.scope}）" if held.scope else label)
    return T.listed(labels)


def _own_record(record: org.OwnRecord) -> str:
    """The member's own record: the one view with the phone number unmasked."""
    text = T.MINE.format(
        name=record.name,
        phone=record.phone or T.NONE,
        status=T.STATUS_LABELS.get(record.status, record.status),
        joined=record.joined_on.isoformat() if record.joined_on else T.NONE,
        branch=record.branch or T.NONE,
        group=record.group or T.NONE,
        org=record.organization or T.NONE,
        title=record.title or T.NONE,
        roles=_role_lines(record),
    )
    if record.hosts:
        text += "\n" + T.MINE_MOBILE.format(hosts="、".join(record.hosts))
    return text


def _member_card(card: org.MemberCard) -> str:
    return T.MEMBER_CARD.format(
        id=card.id,
        name=card.name,
        phone=card.phone,
        status=T.STATUS_LABELS.get(card.status, card.status),
        joined=card.joined_on.isoformat() if card.joined_on else T.NONE,
        branch=card.branch or T.NONE,
        group=card.group or T.NONE,
        title=card.title or T.NONE,
        bound=T.BOUND_YES if card.bound else T.BOUND_NO,
    )


def _branch_card(card: org.BranchCard) -> str:
    lines = [T.BRANCH_CARD.format(
        name=card.name,
        id=card.id,
        committee=card.committee,
        level=T.LEVEL_LABELS.get(card.level, card.level),
        formation=T.FORMATION_LABELS.get(card.formation, card.formation),
        kind=T.KIND_LABELS.get(card.kind, card.kind),
        secretaries=T.listed(card.secretaries),
        full=card.full,
        probationary=card.probationary,
        bound=card.bound,
        groups=T.listed(card.groups),
        orgs=T.listed(card.orgs),
    )]
    if card.sub_branches:
        lines.append(T.BRANCH_SUBS.format(subs="、".join(card.sub_branches)))
    if card.unbound:
        shown = "、".join(card.unbound[:10]) + ("等" if len(card.unbound) > 10 else "")
        lines.append(T.BRANCH_UNBOUND.format(names=shown))
    if card.below_minimum:
        lines.append(T.BRANCH_BELOW_MIN)
    return "\n".join(lines)


def _coverage_card(c: org.Coverage) -> str:
    f = c.branches_by_formation
    lines = [T.COVERAGE_CARD.format(
        name=c.committee.name,
        orgs=c.organizations,
        branches=sum(f.values()),
        single=f.get("single", 0),
        joint=f.get("joint", 0),
        attached=f.get("attached", 0),
        single_rate=T.percent(c.single_rate),
        with_own=c.with_own_branch,
        coverage_rate=T.percent(c.coverage_rate),
        covered=c.covered,
    )]
    if c.below_minimum:
        items = "、".join(f"{b.name}（{n} 名）" for b, n in c.below_minimum)
        lines.append(T.COVERAGE_BELOW.format(items=items))
    if c.uncovered:
        lines.append(T.COVERAGE_UNCOVERED.format(names="、".join(c.uncovered)))
    return "\n".join(lines)
