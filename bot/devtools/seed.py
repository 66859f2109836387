"""The demo: a believable (and entirely fictional) district committee with its branches, members and
meetings, for `make run`, the chat simulator and the tests. Names, phones and codes are made up."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra import clock
from bot.models import Branch, Committee, Meeting, Member, MobileRegistration, PartyGroup, RoleGrant, SocialOrg
from bot.services.authz import Actor
from bot.services.inspection import filing, years
from bot.services.org.structure import (
    branches_of_committee,
    committee_ids_under,
    create_social_org,
    credit_code_check_char,
)
from bot.services.rectification import ledger
from bot.services.review import rounds
from bot.services.volunteer import records, teams
from bot.texts import review as review_words

DEMO_COMMITTEE = "明湖区社会组织综合党委"
NEWCOMER_OPENID = "o_demo_newcomer"  # an unbound WeChat user, for trying 绑定 in the simulator


def demo_credit_code(category: str, serial: int) -> str:
    """A well-formed 统一社会信用代码 for a 民政-registered organization in a fictional area."""
    first17 = f"5{category}339901MJ{serial:07d}"
    return first17 + credit_code_check_char(first17)


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    branch: str | None  # key of the branch, None for committee staff
    status: str = "full"
    title: str = ""
    org: str | None = None
    group: str | None = None
    bound: bool = True
    joined: date | None = None


BRANCHES: tuple[dict[str, Any], ...] = (
    {"key": "law_committee", "name": "明湖区律师行业党委", "level": "party_committee", "formation": "single",
     "kind": "full"},
    {"key": "law_firm", "name": "明湖区正衡律师事务所党支部", "parent": "law_committee", "formation": "single",
     "kind": "full"},
    {"key": "joint", "name": "明湖区文化艺术类社会组织联合党支部", "formation": "joint", "kind": "full"},
    {"key": "functional", "name": "明湖区社会组织孵化中心功能性党支部", "formation": "attached",
     "kind": "functional", "has_committee": False},
)

ORGS: tuple[dict[str, Any], ...] = (
    {"key": "bar", "name": "明湖区律师协会", "org_type": "social_group", "branch": "law_committee", "members": 9},
    {"key": "calligraphy", "name": "明湖区书法家协会", "org_type": "social_group", "branch": "joint", "members": 2},
    {"key": "photo", "name": "明湖区摄影家协会", "org_type": "social_group", "branch": "joint", "members": 1},
    {"key": "folk_music", "name": "明湖区民乐艺术协会", "org_type": "social_group", "branch": "joint", "members": 2},
    {"key": "youth_fund", "name": "明湖区青少年成长基金会", "org_type": "foundation", "branch": None, "members": 2},
    {"key": "elder_care", "name": "明湖区银龄养老服务中心", "org_type": "private_nonenterprise", "branch": None,
     "members": 0},
)

PEOPLE: tuple[Person, ...] = (
    Person("zhouzhengyang", "周正阳", "law_committee", title="党委书记", org="bar", joined=date(2003, 7, 1)),
    Person("sunlixin", "孙立新", "law_committee", title="党委委员", org="bar", joined=date(2008, 6, 20)),
    Person("linxiaofeng", "林晓峰", "law_firm", title="书记", group="第一党小组", joined=date(2009, 6, 12)),
    Person("wuhaiyan", "吴海燕", "law_firm", title="组织委员", group="第一党小组", joined=date(2012, 11, 3)),
    Person("huangjingyi", "黄静怡", "law_firm", group="第一党小组", joined=date(2016, 5, 28)),
    Person("liuzhiqiang", "刘志强", "law_firm", group="第二党小组", joined=date(2018, 7, 1)),
    Person("xuhuimin", "徐慧敏", "law_firm", status="probationary", group="第二党小组", bound=False,
           joined=date(2026, 6, 30)),
    Person("chensiyuan", "陈思远", "joint", title="书记", org="calligraphy", joined=date(2006, 9, 15)),
    Person("zhengwanqing", "郑婉清", "joint", org="calligraphy", joined=date(2014, 4, 8)),
    Person("majunjie", "马俊杰", "joint", org="photo", joined=date(2011, 12, 1)),
    Person("heyutong", "何雨桐", "joint", org="folk_music", bound=False, joined=date(2019, 10, 16)),
    Person("songyifan", "宋逸帆", "functional", title="书记", joined=date(2010, 3, 22)),
    Person("tangxiaowen", "唐晓雯", "functional", joined=date(2020, 7, 1)),
    Person("wangyaqin", "王雅琴", None, title="综合党委组织科科员"),
    Person("zhaodeming", "赵德明", None, title="党建指导员"),
)

ROLES: tuple[tuple[str, str, str, str], ...] = (
    # person, role, scope type, scope key
    ("zhouzhengyang", "secretary", "branch", "law_committee"),
    ("sunlixin", "committee_member", "branch", "law_committee"),
    ("linxiaofeng", "secretary", "branch", "law_firm"),
    ("wuhaiyan", "committee_member", "branch", "law_firm"),
    ("chensiyuan", "secretary", "branch", "joint"),
    ("songyifan", "secretary", "branch", "functional"),
    ("wangyaqin", "admin", "committee", "committee"),
    ("zhaodeming", "instructor", "organization", "youth_fund"),
    ("zhaodeming", "instructor", "organization", "calligraphy"),
)

# One meeting per branch; the first opens for check-in at seed time (starts within 20 minutes).
MEETINGS: tuple[dict[str, Any], ...] = (
    {"branch": "law_firm", "type": "theme_day", "topic": "主题党日：学习新修订的律师法（草案）",
     "place": "正衡律师事务所三楼会议室", "in_minutes": 10},
    {"branch": "law_committee", "type": "party_lecture", "topic": "党课：以高质量党建引领律师行业规范发展",
     "place": "区律师协会报告厅", "days": 1, "at": time(14, 30)},
    {"branch": "joint", "type": "general_meeting", "topic": "支部党员大会：第四季度工作安排",
     "place": "区文化馆二楼活动室", "days": 3, "at": time(19, 0)},
    {"branch": "functional", "type": "theme_day", "topic": "主题党日：社会组织孵化中心志愿服务",
     "place": "区社会组织孵化中心一楼大厅", "days": 5, "at": time(9, 30)},
)


def has_any_committee(session: Session) -> bool:
    return session.scalar(select(Committee.id).limit(1)) is not None


def demo_committee_id(session: Session) -> int | None:
    found: int | None = session.scalar(select(Committee.id).where(Committee.name == DEMO_COMMITTEE))
    return found


def phone_for(index: int) -> str:
    """Fictional numbers in the 1380013xxxx range commonly used as a placeholder."""
    return f"1380013{index:04d}"


def seed_demo(session: Session, now: datetime, tz: str = "Asia/Shanghai", *, actor: Actor,
              settings: Settings | None = None) -> Committee:
    """Build the demo in the session (the caller commits); `actor` registers the social organizations
    (the operator running seed-demo). With the app's settings, the demo also holds a 述职评议 round, ledger
    items, a volunteer team with an activity and a record, and last year's 年检 (seed_records)."""
    committee = Committee(name=DEMO_COMMITTEE, kind="comprehensive", created_at=now)
    session.add(committee)
    session.flush()

    branches: dict[str, Branch] = {}
    for spec in BRANCHES:
        parent = branches[spec["parent"]].id if spec.get("parent") else None
        b = Branch(committee_id=committee.id, parent_id=parent, name=spec["name"],
                   level=spec.get("level", "branch"), formation=spec["formation"], kind=spec["kind"],
                   has_committee=spec.get("has_committee", True), created_at=now)
        session.add(b)
        session.flush()
        branches[spec["key"]] = b

    orgs: dict[str, SocialOrg] = {}
    category = {"social_group": "1", "private_nonenterprise": "2", "foundation": "3"}
    for serial, spec in enumerate(ORGS, start=101):
        orgs[spec["key"]] = create_social_org(
            session, actor=actor, committee_id=committee.id, name=spec["name"],
            credit_code=demo_credit_code(category[spec["org_type"]], serial), org_type=spec["org_type"],
            branch_id=branches[spec["branch"]].id if spec["branch"] else None,
            registrar="明湖区民政局", supervisor="明湖区社会组织综合党委",
            board_term_ends=date(now.year + 2, 12, 31), full_member_count=spec["members"])

    groups: dict[tuple[int, str], PartyGroup] = {}
    people: dict[str, Member] = {}
    for index, p in enumerate(PEOPLE, start=1):
        branch_id = branches[p.branch].id if p.branch else None
        group_id = None
        if p.group and branch_id is not None:
            if (branch_id, p.group) not in groups:
                groups[(branch_id, p.group)] = PartyGroup(branch_id=branch_id, name=p.group)
                session.add(groups[(branch_id, p.group)])
                session.flush()
            group_id = groups[(branch_id, p.group)].id
        m = Member(name=p.name, phone=phone_for(index), status=p.status, joined_on=p.joined, branch_id=branch_id,
                   group_id=group_id, org_id=orgs[p.org].id if p.org else None, title=p.title,
                   is_committee_member=bool(p.title) and p.branch is not None,
                   openid=f"o_demo_{p.key}" if p.bound else None, created_at=now)
        session.add(m)
        people[p.key] = m
    session.flush()

    for key, role, scope_type, scope_key in ROLES:
        scope_id = {"branch": lambda k: branches[k].id, "committee": lambda k: committee.id,
                    "organization": lambda k: orgs[k].id}[scope_type](scope_key)
        session.add(RoleGrant(member_id=people[key].id, role=role, scope_type=scope_type, scope_id=scope_id,
                              created_at=now))
    # 流动党员: 唐晓雯 belongs to the functional branch and is also registered with the joint branch.
    session.add(MobileRegistration(member_id=people["tangxiaowen"].id, host_branch_id=branches["joint"].id,
                                   created_at=now))

    zone = clock.zone(tz)
    local_today = now.astimezone(zone).date()
    for spec in MEETINGS:
        if "in_minutes" in spec:
            starts = (now + timedelta(minutes=spec["in_minutes"])).replace(second=0, microsecond=0)
        else:
            starts = datetime.combine(local_today + timedelta(days=spec["days"]), spec["at"], zone)
        session.add(Meeting(branch_id=branches[spec["branch"]].id, type=spec["type"], topic=spec["topic"],
                            place=spec["place"], starts_at=starts, ends_at=starts + timedelta(hours=2),
                            checkin_scene="mtg_" + secrets.token_hex(8),
                            created_by_id=people[_secretary_of(spec["branch"])].id, created_at=now))
    session.flush()
    if settings is not None:
        seed_records(session, now, settings, actor=actor, committee=committee, branches=branches, orgs=orgs,
                     people=people)
    return committee


def seed_records(session: Session, now: datetime, settings: Settings, *, actor: Actor, committee: Committee,
                 branches: dict[str, Branch], orgs: dict[str, SocialOrg], people: dict[str, Member]) -> None:
    """述职评议, 整改, 志愿服务 and 年检 in the demo, written through their services as users would."""
    day = clock.today(now, settings)
    # 述职评议 of this year: due in two weeks; the law firm's secretary reports on site; three reviewers
    # (a committee member of the law 党委, a member of the joint branch, the functional branch's secretary).
    report_year = day.year if day.month >= 7 else day.year - 1  # rounds open in November–March
    rounds.open_round(session, actor=actor, committee_id=committee.id, year=report_year,
                      deadline=day + timedelta(days=14), scale=None, onsite=[branches["law_firm"].id],
                      reviewer_phones=[people[k].phone or "" for k in ("sunlixin", "zhengwanqing", "songyifan")],
                      title=review_words.ROUND_TITLE.format(year=report_year), now=now, settings=settings)
    # 整改: a problem a check found in the joint branch, answered by its secretary.
    ledger.add_item(session, actor=actor, now=now, settings=settings, item=ledger.NewItem(
        source="check", problem="三会一课会议记录缺少参会人员签到", deadline=day + timedelta(days=30),
        branch_id=branches["joint"].id, owner_id=people["chensiyuan"].id, category="组织生活"))
    # 志愿服务: the law firm's 先锋志愿服务队 led by 吴海燕, yesterday's activity with a record waiting for her,
    # and one ahead.
    teams.create_team(session, actor=actor, branch_id=branches["law_firm"].id, name="先锋志愿服务队",
                      leader_phones=[people["wuhaiyan"].phone or ""], now=now)
    done = teams.create_activity(session, actor=people["wuhaiyan"], held_on=day - timedelta(days=1),
                                 title="社区助老", team_name="先锋志愿服务队", place="明湖街道敬老院", now=now,
                                 settings=settings)
    teams.create_activity(session, actor=people["wuhaiyan"], held_on=day + timedelta(days=4), title="社区义诊",
                          team_name="先锋志愿服务队", place="明湖街道社区卫生服务站", now=now, settings=settings)
    records.log_record(session, actor=people["huangjingyi"], hours=Decimal(3), served_on=None, content="",
                       activity_id=done.id, now=now, settings=settings)
    # 年检 of last year: the bar association passed; the calligraphy association's 基本合格 is in the ledger;
    # the elder-care centre's board term ends soon (换届).
    filed_in = day.year if day >= date(day.year, 6, 1) else day.year - 1  # the last season whose filings are in
    last = filed_in - 1
    years.open_year(session, last, now, settings)
    filing.record(session, actor=actor, organization_id=orgs["bar"].id, year=last,
                  filed_supervisor=date(filed_in, 3, 20), filed_registrar=date(filed_in, 5, 15),
                  party_section_filed=True, result="合格", now=now, settings=settings)
    filing.record(session, actor=actor, organization_id=orgs["calligraphy"].id, year=last,
                  filed_supervisor=date(filed_in, 3, 28), filed_registrar=date(filed_in, 5, 30),
                  party_section_filed=False, result="基本合格", now=now, settings=settings)
    orgs["elder_care"].board_term_ends = day + timedelta(days=45)
    session.flush()


def _secretary_of(branch_key: str) -> str:
    return next(p for p, role, _t, scope in ROLES if role == "secretary" and scope == branch_key)


def export_demo(session: Session, committee_id: int) -> dict[str, list[dict[str, Any]]]:
    """The JSON DESIGN.md describes, for the committee's subtree."""
    ids = committee_ids_under(session, committee_id)
    committees = list(session.scalars(select(Committee).where(Committee.id.in_(ids)).order_by(Committee.id)))
    branches = branches_of_committee(session, committee_id)
    branch_ids = [b.id for b in branches]
    orgs = list(session.scalars(select(SocialOrg).where(SocialOrg.committee_id.in_(ids)).order_by(SocialOrg.id)))
    staff_ids = set(session.scalars(select(RoleGrant.member_id).where(
        RoleGrant.scope_type == "committee", RoleGrant.scope_id.in_(ids))))
    staff_ids |= set(session.scalars(select(RoleGrant.member_id).where(
        RoleGrant.scope_type == "organization", RoleGrant.scope_id.in_([o.id for o in orgs] or [0]))))
    members = list(session.scalars(select(Member).where(
        (Member.branch_id.in_(branch_ids)) | (Member.id.in_(staff_ids or {0}))).order_by(Member.id)))
    meetings = list(session.scalars(select(Meeting).where(Meeting.branch_id.in_(branch_ids)).order_by(Meeting.id)))
    return {
        "committees": [{"id": c.id, "name": c.name} for c in committees],
        "branches": [{"id": b.id, "name": b.name, "committee_id": b.committee_id} for b in branches],
        "organizations": [{"id": o.id, "name": o.name, "branch_id": o.branch_id} for o in orgs],
        "members": [{"openid": m.openid, "name": m.name, "role": _main_role(session, m), "branch_id": m.branch_id}
                    for m in members],
        "meetings": [{"id": mt.id, "branch_id": mt.branch_id, "type": mt.type, "starts_at": mt.starts_at.isoformat(),
                      "checkin_scene": mt.checkin_scene} for mt in meetings],
    }


ROLE_RANK = ("admin", "instructor", "liaison", "secretary", "committee_member")


def _main_role(session: Session, member: Member) -> str:
    held = set(session.scalars(select(RoleGrant.role).where(RoleGrant.member_id == member.id)))
    return next((r for r in ROLE_RANK if r in held), "member")
