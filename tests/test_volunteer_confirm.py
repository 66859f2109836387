"""志愿服务 confirmed, published and final: the team leader or the secretary confirms (确认志愿, 确认全部) or returns
(退回志愿) and the member is told; 公示 runs VOLUNTEER_PUBLICITY_LENGTH days or working days (across 国庆 with its
make-up working day); an objection during 公示 sends the record back to its confirmer; 我的志愿 and the totals
count final records; the sweep reminds confirmers daily and tells members when 公示 has ended."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import settings_of
from bot.infra.clock import FrozenClock
from bot.models import Notification, VolunteerRecord, VolunteerTeam, VolunteerTeamLeader
from bot.services.authz import Operator
from bot.services.volunteer import publicity, totals
from bot.texts import render
from bot.texts import volunteer as T
from scheduler.sweeps import sweep_volunteer
from tests import factories as f
from tests.conftest import Chat

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 2026-12-02 10:00 in Shanghai


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    clock.set(NOW)
    c = f.committee(db, name="区社会组织综合党委")
    b = f.branch(db, c.id, name="阳光党支部")
    other = f.branch(db, c.id, name="星光党支部")
    sec = f.secretary(db, b.id, name="李书记", openid="o_sec")
    f.secretary(db, other.id, name="钱书记", openid="o_sec2")
    outsider = f.member(db, other.id, name="孙七", openid="o_out")
    lead = f.member(db, b.id, name="周队长", openid="o_lead", phone="13700000001")
    m1 = f.member(db, b.id, name="王五", openid="o_m1")
    m2 = f.member(db, b.id, name="赵六", openid="o_m2")
    team = VolunteerTeam(branch_id=b.id, name="先锋志愿服务队")
    db.add(team)
    db.flush()
    db.add(VolunteerTeamLeader(team_id=team.id, member_id=lead.id))
    db.commit()
    return {"c": c, "b": b, "other": other, "sec": sec, "lead": lead, "m1": m1, "m2": m2, "team": team,
            "outsider": outsider}


def rows(db: Session) -> list[VolunteerRecord]:
    found = list(db.scalars(select(VolunteerRecord).order_by(VolunteerRecord.id)
                            .execution_options(populate_existing=True)))
    db.commit()
    return found


def notes(db: Session, kind: str) -> list[Notification]:
    found = list(db.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))
    db.commit()
    return found


def test_the_secretary_confirms_and_the_member_is_told(app: Flask, chat: Chat, db: Session,
                                                        world: dict[str, Any]) -> None:
    chat.say("o_m1", "志愿 3小时 社区助老 11月20日")
    [rec] = rows(db)
    reply = chat.say("o_sec", f"确认志愿 {rec.id}")
    assert reply == T.CONFIRMED.format(id=rec.id, name="王五", day="11月20日", content="社区助老", hours="3",
                                       until="12月9日")
    [rec] = rows(db)
    assert (rec.status, rec.public_until, rec.confirmed_by_id) == ("confirmed", date(2026, 12, 9), world["sec"].id)
    [note] = notes(db, "volunteer_confirmed")
    assert note.recipient_id == world["m1"].id
    text = render(note.kind, note.payload, settings_of(app.config)).text
    assert "社区助老" in text and "公示至12月9日" in text
    assert "不是待确认状态" in chat.say("o_sec", f"确认志愿 {rec.id}")  # twice: once
    assert len(notes(db, "volunteer_confirmed")) == 1
    mine = chat.say("o_m1", "我的志愿")
    assert "公示中（至12月9日）" in mine and "2026年已生效 0 小时（另有待确认或公示中 3 小时）" in mine


def test_return_with_a_reason(app: Flask, chat: Chat, db: Session, world: dict[str, Any]) -> None:
    chat.say("o_m1", "志愿 3小时 社区助老 昨天")
    [rec] = rows(db)
    assert chat.say("o_sec", f"退回志愿 {rec.id}") == f"请写明退回原因，例如：退回志愿 {rec.id} 时长有误"
    reply = chat.say("o_sec", f"退回志愿 {rec.id} 时长与签到表不符")
    assert "已退回" in reply and "时长与签到表不符" in reply
    [rec] = rows(db)
    assert (rec.status, rec.return_reason) == ("returned", "时长与签到表不符")
    [note] = notes(db, "volunteer_returned")
    assert note.recipient_id == world["m1"].id
    assert "时长与签到表不符" in render(note.kind, note.payload, settings_of(app.config)).text
    assert "已退回（时长与签到表不符）" in chat.say("o_m1", "我的志愿")
    # returned: logging it again, corrected, is no duplicate
    assert "编号" in chat.say("o_m1", "志愿 2小时 社区助老 昨天")


def test_activities_of_a_team_and_its_leader_confirms(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    assert "没有权限" in chat.say("o_m1", "活动 12月1日 社区义诊 先锋志愿服务队")  # not its leader
    assert chat.say("o_m1", "活动 12月1日 社区义诊") == T.REFUSALS["volunteer_activity_forbidden"]
    reply = chat.say("o_lead", "活动 12月1日 社区义诊 先锋志愿服务队")
    assert reply.startswith("已创建志愿服务活动（编号 ") and "先锋志愿服务队" in reply
    act_id = int(reply.split("编号 ")[1].split("）")[0])
    assert f"#{act_id} 12月1日 社区义诊，先锋志愿服务队" in chat.say("o_m1", "活动")
    assert "编号" in chat.say("o_m1", f"志愿 3小时 活动#{act_id}")
    assert "编号" in chat.say("o_m2", f"志愿 2.5小时 活动#{act_id}")
    assert chat.say("o_m1", "志愿 3小时 活动#999") == T.REFUSALS["volunteer_activity_not_found"].format(id=999)
    assert chat.say("o_out", f"志愿 3小时 活动#{act_id}") == T.REFUSALS["volunteer_activity_not_found"].format(
        id=act_id)  # another branch's activity
    r1, _r2 = rows(db)
    assert (r1.served_on, r1.content, r1.team_id, r1.activity_id, r1.leader_id, r1.organizer) == (
        date(2026, 12, 1), "社区义诊", world["team"].id, act_id, world["lead"].id, "先锋志愿服务队")
    # the secretary creates one without a team; 确认全部 by the leader confirms the team's two
    assert chat.say("o_sec", "活动 11月30日 清洁家园").startswith("已创建志愿服务活动")
    assert "没有找到名为“飞虎队”的服务队" in chat.say("o_sec", "活动 11月30日 清洁家园 飞虎队")
    pending = chat.say("o_lead", "确认志愿")
    assert "等待您确认的志愿服务记录（2条）" in pending
    done = chat.say("o_lead", "确认全部")
    assert done.startswith("已确认2条志愿服务记录，公示至12月9日")
    assert {r.status for r in rows(db)} == {"confirmed"}
    assert chat.say("o_lead", "确认全部") == T.CONFIRMED_NONE
    assert len(notes(db, "volunteer_confirmed")) == 2


def test_working_day_publicity_across_national_day(app: Flask, chat: Chat, db: Session, clock: FrozenClock,
                                                   world: dict[str, Any]) -> None:
    """Confirmed on Wed 2026-09-30 with 3 working days: 10-01..10-07 are 国庆 (10-04 a Sunday inside the break),
    10-08 Thu and 10-09 Fri are working days 1 and 2, Sat 10-10 is the make-up working day (3): 公示 runs
    through 10-10, final from 10-11."""
    app.config["VOLUNTEER_PUBLICITY_UNIT"] = "working_days"
    app.config["VOLUNTEER_PUBLICITY_LENGTH"] = 3
    settings = settings_of(app.config)
    assert publicity.public_until(date(2026, 9, 30), settings) == date(2026, 10, 10)
    assert not publicity.is_working_day(date(2026, 10, 4), settings)
    assert publicity.is_working_day(date(2026, 9, 20), settings)  # a Sunday made a working day
    assert publicity.public_until(date(2026, 12, 4), settings) == date(2026, 12, 9)  # Fri → Mon, Tue, Wed
    clock.set(datetime(2026, 9, 30, 2, 0, tzinfo=UTC))
    chat.say("o_m1", "志愿 4小时 国庆节前社区巡逻 9月28日")
    [rec] = rows(db)
    assert "公示至10月10日" in chat.say("o_sec", f"确认志愿 {rec.id}")
    b = world["b"].id
    for day, final in ((date(2026, 10, 10), False), (date(2026, 10, 11), True)):
        at = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
        with app.extensions["db"].transaction() as s:
            hours = totals.branch_hours(s, [b], 2026, now=at, settings=settings)
        assert hours == {b: Decimal("4.00") if final else Decimal("0.00")}
    clock.set(datetime(2026, 10, 11, 2, 0, tzinfo=UTC))
    mine = chat.say("o_m1", "我的志愿")
    assert "2026年已生效 4 小时" in mine and "已确认" in mine


def test_an_objection_during_publicity_goes_back_to_the_confirmer(app: Flask, chat: Chat, db: Session,
                                                                  clock: FrozenClock, world: dict[str, Any]) -> None:
    chat.say("o_m1", "志愿 3小时 社区助老 昨天")
    [rec] = rows(db)
    chat.say("o_lead", f"确认志愿 {rec.id}")  # not the leader's team: refused
    assert rows(db)[0].status == "pending"
    chat.say("o_sec", f"确认志愿 {rec.id}")
    assert chat.say("o_out", f"异议 {rec.id} 他那天不在") == T.REFUSALS["volunteer_other_branch"].format(id=rec.id)
    assert chat.say("o_m2", f"异议 {rec.id}") == f"请写明异议理由，例如：异议 {rec.id} 当天未参加该活动"
    reply = chat.say("o_m2", f"异议 {rec.id} 当天他在外地出差")
    assert reply == T.OBJECTED.format(id=rec.id, name="王五", day="12月1日", content="社区助老", confirmer="李书记")
    [rec] = rows(db)
    assert (rec.status, rec.objection, rec.objected_by_id, rec.leader_id, rec.public_until) == (
        "pending", "当天他在外地出差", world["m2"].id, world["sec"].id, None)
    [note] = notes(db, "volunteer_objected")
    assert note.recipient_id == world["sec"].id
    text = render(note.kind, note.payload, settings_of(app.config)).text
    assert "当天他在外地出差" in text and f"确认志愿 {rec.id}" in text
    assert "（异议：当天他在外地出差）" in chat.say("o_sec", "确认志愿")
    # confirmed again; once 公示 is over an objection is refused
    chat.say("o_sec", f"确认志愿 {rec.id}")
    clock.set(NOW + timedelta(days=8))
    assert "不在公示期内" in chat.say("o_m2", f"异议 {rec.id} 还是不对")
    assert rows(db)[0].status == "confirmed"


def test_totals_by_month_team_and_activity_in_one_call(app: Flask, chat: Chat, db: Session, clock: FrozenClock,
                                                       world: dict[str, Any]) -> None:
    reply = chat.say("o_lead", "活动 11月10日 社区义诊 先锋志愿服务队")
    act_id = int(reply.split("编号 ")[1].split("）")[0])
    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    chat.say("o_m1", f"志愿 3小时 活动#{act_id}")
    chat.say("o_m2", f"志愿 2小时 活动#{act_id}")
    chat.say("o_m1", "志愿 1.5小时 社区助老 10月30日")
    chat.say("o_m2", "志愿 4小时 慰问孤老 11月19日")
    chat.say("o_lead", "确认全部")
    chat.say("o_sec", "确认全部")  # the rest
    chat.say("o_m1", "志愿 2小时 未确认的 11月19日")
    clock.set(NOW)  # 12-02: 公示 of 11-20's confirmations (through 11-27) is over
    settings = settings_of(app.config)
    with app.extensions["db"].transaction() as s:
        t = totals.totals(s, actor=Operator("t"), year=2026, branch_id=world["b"].id, now=NOW, settings=settings)
        c = totals.totals(s, actor=Operator("t"), year=2026, committee_id=world["c"].id, now=NOW, settings=settings)
    assert (t.final_hours, t.final_records, t.members, t.pending_hours) == (
        Decimal("10.50"), 4, 2, Decimal("2.00"))
    assert t.by_month == {10: Decimal("1.50"), 11: Decimal("9.00")}
    assert t.by_team == [(world["team"].id, "先锋志愿服务队", Decimal("5.00")), (None, "", Decimal("5.50"))]
    assert t.by_activity == [(act_id, "社区义诊", Decimal("5.00")), (None, "", Decimal("5.50"))]
    assert c.final_hours == t.final_hours
    text = chat.say("o_sec", "志愿统计")
    assert "合计 10.5 小时，4 条记录，2 名党员参与" in text and "先锋志愿服务队 5" in text and "王五" not in text
    assert "没有权限" in chat.say("o_m1", "志愿统计")
    f.admin(db, world["c"].id, name="党委管理员", openid="o_admin")
    committee_text = chat.say("o_admin", "志愿统计 2026")
    assert committee_text.startswith("区社会组织综合党委2026年志愿服务统计") and "合计 10.5 小时" in committee_text
    assert "合计 0 小时" in chat.say("o_admin", "志愿统计 2025")


def test_reminders_through_the_sweep(app: Flask, chat: Chat, db: Session, clock: FrozenClock,
                                     world: dict[str, Any]) -> None:
    settings = settings_of(app.config)
    chat.say("o_m1", "志愿 3小时 社区助老 昨天")
    chat.say("o_m2", "志愿 2小时 社区助老 昨天")
    with app.extensions["db"].transaction() as s:
        assert sweep_volunteer(s, NOW, settings) == 1
    with app.extensions["db"].transaction() as s:
        assert sweep_volunteer(s, NOW + timedelta(hours=1), settings) == 0  # once a day
    [note] = notes(db, "volunteer_pending")
    assert (note.recipient_id, note.payload) == (world["sec"].id, {"count": 2})
    text = render(note.kind, note.payload, settings).text
    assert "“确认全部”" in text and "“确认志愿 编号”" in text
    r1, _r2 = rows(db)
    chat.say("o_sec", "确认全部")
    # 公示 through 12-09; on 12-10 the members are told it is final, once
    day = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)
    with app.extensions["db"].transaction() as s:
        assert sweep_volunteer(s, NOW + timedelta(days=7), settings) == 0
    with app.extensions["db"].transaction() as s:
        assert sweep_volunteer(s, day, settings) == 2
    with app.extensions["db"].transaction() as s:
        assert sweep_volunteer(s, day + timedelta(days=1), settings) == 0
    finals = notes(db, "volunteer_final")
    assert {n.recipient_id for n in finals} == {world["m1"].id, world["m2"].id}
    first = next(n for n in finals if n.subject_id == r1.id)
    assert "公示期满，已生效" in render(first.kind, first.payload, settings).text


def test_the_secretary_makes_a_team_by_chat(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    f.member(db, world["b"].id, name="吴队长", openid="o_wu", phone="13700000002")
    reply = chat.say("o_sec", "服务队 红马甲服务队 13700000002")
    assert reply.startswith("服务队“红马甲服务队”（编号 ") and "已创建" in reply and "吴队长" in reply
    assert "没有找到手机号为 13600000000 的党员" in chat.say("o_sec", "服务队 蓝天服务队 13600000000")
    assert "没有权限" in chat.say("o_m1", "服务队 三队 13700000002")
    listing = chat.say("o_sec", "服务队")
    assert "先锋志愿服务队（队长：周队长）" in listing and "红马甲服务队（队长：吴队长）" in listing
    assert "蓝天服务队" not in listing
    # the new leader creates an activity of their team
    assert chat.say("o_wu", "活动 昨天 助残服务 红马甲服务队 @阳光家园").startswith("已创建志愿服务活动")
