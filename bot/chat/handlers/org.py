"""Chat: 邀请 (a binding code for a member), 绑定 (bind this WeChat), 我的, 支部, 党员, 党委 (coverage)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.chat import texts as M
from bot.chat.context import Context
from bot.chat.router import Reply, Router
from bot.infra.clock import to_local
from bot.models import Branch, Committee, Member, MobileRegistration, PartyGroup, RoleGrant, SocialOrg
from bot.services.authz import Action, deny, require
from bot.services.errors import Invalid, PermissionDenied
from bot.services.org import binding
from bot.services.org import structure as org

STAFF_ROLES = ("secretary", "committee_member", "admin", "instructor", "liaison")


def _sender(ctx: Context) -> Member:
    if ctx.member is None:
        raise PermissionDenied(M.NEED_BINDING)
    return ctx.member


def _arg(ctx: Context) -> str:
    assert ctx.match is not None
    return (ctx.match.group(1) or "").strip()


def register(router: Router) -> None:
    @router.text(r"绑定\s*(.*)", priority=80, name="org.bind")
    def bind(ctx: Context) -> Reply:
        code = _arg(ctx)
        if not code:
            raise Invalid(M.BIND_FORMAT)
        current = ctx.member
        member = binding.bind(ctx.session, ctx.store, openid=ctx.openid, code=code, now=ctx.now,
                              policy=binding.BindPolicy.from_settings(ctx.settings))
        if current is not None and current.id == member.id:
            return M.BIND_ALREADY.format(name=member.name)
        branch = ctx.session.get(Branch, member.branch_id) if member.branch_id else None
        return M.BIND_DONE.format(name=member.name, branch=branch.name if branch else "")

    @router.text(r"邀请\s*(.*)", priority=60, name="org.invite", usage="邀请 张三",
                 summary="为党员生成绑定码", roles=("secretary", "admin"))
    def invite(ctx: Context) -> Reply:
        actor = _sender(ctx)
        who = _arg(ctx)
        if not who:
            raise Invalid(M.INVITE_USAGE)
        member = binding.find_invitee(ctx.session, actor, who)
        was_bound = bool(member.openid)
        code = binding.issue_code(ctx.session, actor=actor, member=member, now=ctx.now,
                                  policy=binding.BindPolicy.from_settings(ctx.settings))
        text = M.INVITE_DONE.format(name=member.name, code=code.code,
                                    expires=to_local(code.expires_at).strftime("%Y-%m-%d %H:%M"))
        if was_bound:
            text += "\n" + M.INVITE_REBIND_NOTE.format(name=member.name)
        return text

    @router.text(r"我的(?:信息)?", priority=60, name="org.mine", usage="我的", summary="查看本人信息")
    def mine(ctx: Context) -> Reply:
        return _mine(ctx, _sender(ctx))

    @router.text(r"(?:支部|本支部|支部概况)\s*#?(\d*)", priority=55, name="org.branch", usage="支部",
                 summary="查看支部概况", roles=STAFF_ROLES)
    def branch(ctx: Context) -> Reply:
        actor = _sender(ctx)
        wanted = _arg(ctx)
        if wanted:
            target = org.get_branch(ctx.session, int(wanted))
            require(ctx.session, actor, Action.VIEW_BRANCH, target)
            return _branch_card(ctx, target)
        visible = org.branches_visible_to(ctx.session, actor)
        if not visible:
            deny(actor, Action.VIEW_BRANCH, f"Branch#{actor.branch_id}")
        if len(visible) == 1:
            return _branch_card(ctx, visible[0])
        if visible[0].id == actor.branch_id:  # their own branch first, the others they may open after it
            others = "、".join(M.BRANCH_LINE.format(id=b.id, name=b.name) for b in visible[1:])
            return _branch_card(ctx, visible[0]) + "\n" + M.BRANCH_OTHERS.format(lines=others)
        lines = [M.BRANCH_LINE.format(id=b.id, name=b.name) for b in visible]
        return M.BRANCH_PICK.format(lines="\n".join(lines))

    @router.text(r"(?:党员\s+|查看党员\s*)(.+)", priority=55, name="org.member", usage="党员 张三",
                 summary="查看党员信息", roles=("secretary", "committee_member", "admin"))
    def member_card(ctx: Context) -> Reply:
        actor = _sender(ctx)
        who = _arg(ctx)
        if not who:
            raise Invalid(M.MEMBER_USAGE)
        shown = org.members_visible_to(ctx.session, actor, who)
        return "\n\n".join(_member_card(ctx, m) for m in shown[:5])

    @router.text(r"(?:党委|覆盖率|组织概况)\s*#?(\d*)", priority=55, name="org.coverage", usage="党委",
                 summary="查看覆盖率等组织概况", roles=("admin",))
    def coverage(ctx: Context) -> Reply:
        actor = _sender(ctx)
        wanted = _arg(ctx)
        if wanted:
            committee = org.get_committee(ctx.session, int(wanted))
            require(ctx.session, actor, Action.VIEW_COMMITTEE, committee)
            return _coverage_card(org.coverage(ctx.session, committee.id))
        committees = org.committees_administered(ctx.session, actor)
        if not committees:
            deny(actor, Action.VIEW_COMMITTEE, "Committee#*")
        return "\n\n".join(_coverage_card(org.coverage(ctx.session, c.id)) for c in committees)


# -- rendering -----------------------------------------------------------------------------------
NAMED: dict[str, type[Branch] | type[Committee] | type[PartyGroup] | type[SocialOrg]] = {
    "branch": Branch, "committee": Committee, "group": PartyGroup, "organization": SocialOrg}


def _names(session: Session, kind: str, ident: int | None) -> str:
    """The name of a branch, committee, group or organization by id, or 无."""
    model = NAMED.get(kind)
    obj = session.get(model, ident) if model is not None and ident else None
    name: str | None = getattr(obj, "name", None)
    return name or M.NONE


def _role_lines(ctx: Context, member: Member) -> str:
    labels = [M.ROLE_LABELS["member"]] if member.branch_id else []
    for g in ctx.session.scalars(select(RoleGrant).where(RoleGrant.member_id == member.id).order_by(RoleGrant.id)):
        scope = _names(ctx.session, g.scope_type, g.scope_id)
        label = M.ROLE_LABELS.get(g.role, g.role)
        labels.append(f"{label}（{scope}）" if scope != M.NONE else label)
    return "、".join(labels) or M.NONE


def _mine(ctx: Context, member: Member) -> str:
    """The member's own record: the one view with the phone number unmasked."""
    text = M.MINE.format(
        name=member.name,
        phone=member.phone or M.NONE,
        status=M.STATUS_LABELS.get(member.status, member.status),
        joined=member.joined_on.isoformat() if member.joined_on else M.NONE,
        branch=_names(ctx.session, "branch", member.branch_id),
        group=_names(ctx.session, "group", member.group_id),
        org=_names(ctx.session, "organization", member.org_id),
        title=member.title or M.NONE,
        roles=_role_lines(ctx, member),
    )
    hosts = list(ctx.session.scalars(
        select(Branch.name).join(MobileRegistration, MobileRegistration.host_branch_id == Branch.id)
        .where(MobileRegistration.member_id == member.id)))
    if hosts:
        text += "\n" + M.MINE_MOBILE.format(hosts="、".join(hosts))
    return text


def _member_card(ctx: Context, member: Member) -> str:
    return M.MEMBER_CARD.format(
        id=member.id,
        name=member.name,
        phone=org.mask_phone(member.phone),
        status=M.STATUS_LABELS.get(member.status, member.status),
        joined=member.joined_on.isoformat() if member.joined_on else M.NONE,
        branch=_names(ctx.session, "branch", member.branch_id),
        group=_names(ctx.session, "group", member.group_id),
        title=member.title or M.NONE,
        bound="已绑定" if member.openid else "未绑定",
    )


def _branch_card(ctx: Context, branch: Branch) -> str:
    s = org.branch_summary(ctx.session, branch)
    lines = [M.BRANCH_CARD.format(
        name=branch.name,
        id=branch.id,
        committee=s.committee_name,
        level=M.LEVEL_LABELS.get(branch.level, branch.level),
        formation=M.FORMATION_LABELS.get(branch.formation, branch.formation),
        kind=M.KIND_LABELS.get(branch.kind, branch.kind),
        secretaries="、".join(s.secretaries) or M.NONE,
        full=s.full,
        probationary=s.probationary,
        bound=s.bound,
        groups="、".join(s.groups) or M.NONE,
        orgs="、".join(s.orgs) or M.NONE,
    )]
    if s.sub_branches:
        lines.append(M.BRANCH_SUBS.format(subs="、".join(s.sub_branches)))
    if s.unbound:
        shown = "、".join(s.unbound[:10]) + ("等" if len(s.unbound) > 10 else "")
        lines.append(M.BRANCH_UNBOUND.format(names=shown))
    if s.below_minimum:
        lines.append(M.BRANCH_BELOW_MIN)
    return "\n".join(lines)


def _coverage_card(c: org.Coverage) -> str:
    f = c.branches_by_formation
    lines = [M.COVERAGE_CARD.format(
        name=c.committee.name,
        orgs=c.organizations,
        branches=sum(f.values()),
        single=f.get("single", 0),
        joint=f.get("joint", 0),
        attached=f.get("attached", 0),
        single_rate=org.percent(c.single_rate),
        with_own=c.with_own_branch,
        coverage_rate=org.percent(c.coverage_rate),
        covered=c.covered,
    )]
    if c.below_minimum:
        items = "、".join(f"{b.name}（{n} 名）" for b, n in c.below_minimum)
        lines.append(M.COVERAGE_BELOW.format(items=items))
    if c.uncovered:
        lines.append(M.COVERAGE_UNCOVERED.format(names="、".join(c.uncovered)))
    return "\n".join(lines)
