"""志愿服务, second round: the words people really type (两个半小时, 3个钟头, 今天上午, 周六, 20号, 11.20, glued
together, content with spaces), the refusals as a member reads them, what a team leader (who holds no role)
sees in 帮助 and 我的志愿, a retried WeChat message, and the notices of ten days of sweeps through the
dispatcher, the fake WeChat and the notice page (each once, none in quiet hours)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from bot.models import (
    Notification,
    VolunteerActivity,
    VolunteerCertificate,
    VolunteerRecord,
    VolunteerTeam,
    VolunteerTeamLeader,
)
from bot.texts import volunteer as T
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat
from tests.sched_util import L, step

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 2026-12-02 10:00 in Shanghai


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock, fake_wx: FakeWeChat) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    clock.set(NOW)
    c = f.committee(db, name="区社会组织综合党委")
    b = f.branch(db, c.id, name="阳光党支部")
    other = f.branch(db, c.id, name="星光党支部")
    sec = f.secretary(db, b.id, name="李书记", openid="o_sec")
    f.secretary(db, other.id, name="钱书记", openid="o_sec2")
    outsider = f.member(db, other.id, name="孙七", openid="o_out")
    lead = f.member(db, b.id, name="周队长", openid="o_lead", phone="13700000001")
    m1 = f.member(db, b.id, name="欧阳建国华", openid="o_m1")
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


@pytest.mark.parametrize(("text", "hours", "day", "content"), [
    ("志愿 两个半小时 社区助老 前天", "2.50", date(2026, 11, 30), "社区助老"),
    ("志愿 3个钟头 助残服务 前天", "3.00", date(2026, 11, 30), "助残服务"),
    ("志愿 3个钟 助残服务 前天", "3.00", date(2026, 11, 30), "助残服务"),
    ("志愿 1.5小时 政策宣讲 前天", "1.50", date(2026, 11, 30), "政策宣讲"),
    ("志愿 三小时 楼道清洁 前天", "3.00", date(2026, 11, 30), "楼道清洁"),
    ("志愿 半个小时 楼道清洁 前天", "0.50", date(2026, 11, 30), "楼道清洁"),
    ("志愿 2小時 楼道清洁 前天", "2.00", date(2026, 11, 30), "楼道清洁"),
    ("志愿 3 小时 社区助老 11月15日", "3.00", date(2026, 11, 15), "社区助老"),
    ("志愿 2小时 义诊 今天上午", "2.00", date(2026, 12, 2), "义诊"),
    ("志愿 4小时 社区助老 昨天下午", "4.00", date(2026, 12, 1), "社区助老"),
    ("志愿 4小时 社区助老 前天晚上", "4.00", date(2026, 11, 30), "社区助老"),
    ("志愿 社区助老 3小时 昨天 上午9点-12点", "3.00", date(2026, 12, 1), "社区助老"),
    ("志愿 2小时 助老 11月20日上午9点到11点", "2.00", date(2026, 11, 20), "助老"),
    ("志愿 2小时 义剪 11.20", "2.00", date(2026, 11, 20), "义剪"),
    ("志愿 2小时 义卖 2026-11-20", "2.00", date(2026, 11, 20), "义卖"),
    ("志愿 1.5h 义卖 2026/11/20", "1.50", date(2026, 11, 20), "义卖"),
    ("志愿 2小时 义卖 11/20", "2.00", date(2026, 11, 20), "义卖"),
    ("志愿 3小时 社区助老 11月21", "3.00", date(2026, 11, 21), "社区助老"),
    ("志愿 3小时 社区助老 周六", "3.00", date(2026, 11, 28), "社区助老"),  # Wednesday: last Saturday
    ("志愿 3小时 社区助老 20号", "3.00", date(2026, 11, 20), "社区助老"),  # December 2nd: November 20th
    ("志愿 2小时 社区 助老 服务 11月19日", "2.00", date(2026, 11, 19), "社区 助老 服务"),
    ("志愿 4小时 “社区助老” 10月29日", "4.00", date(2026, 10, 29), "社区助老"),
    ("志愿3小时社区助老11月18日", "3.00", date(2026, 11, 18), "社区助老"),
    ("志愿 社区助老三小时 前天", "3.00", date(2026, 11, 30), "社区助老"),
    ("志愿 3小时 11月9日社区助老", "3.00", date(2026, 11, 9), "社区助老"),
    ("志愿 2小时 清扫3号楼 昨天", "2.00", date(2026, 12, 1), "清扫3号楼"),
    ("志愿 3小时 24小时便利店值守 昨天", "3.00", date(2026, 12, 1), "24小时便利店值守"),
])
def test_the_words_people_really_type(chat: Chat, db: Session, world: dict[str, Any], text: str, hours: str,
                                      day: date, content: str) -> None:
    reply = chat.say("o_m1", text)
    [rec] = rows(db)
    assert (rec.served_on, rec.content, rec.hours, rec.status) == (day, content, Decimal(hours), "pending")
    shown = f"{day.month}月{day.day}日 {content}，{T.hours(rec.hours)}小时。"
    assert reply.startswith(f"已登记志愿服务（编号 {rec.id}）：{shown}")


def test_half_a_day_glued_asks_and_a_missing_activity_is_said_before_asking(chat: Chat, db: Session,
                                                                           world: dict[str, Any]) -> None:
    assert chat.say("o_m1", "志愿半天敬老院陪护上周六") == T.ASK_HOURS.format(said="半天")
    assert chat.say("o_m1", "4").startswith("已登记志愿服务")
    [rec] = rows(db)
    assert (rec.served_on, rec.content, rec.hours) == (date(2026, 11, 28), "敬老院陪护", Decimal("4.00"))
    # an activity that is not there, or another branch's: said at once, no question about the hours
    theirs = VolunteerActivity(branch_id=world["other"].id, held_on=date(2026, 11, 28), title="星光义诊",
                               place="", created_by_id=world["outsider"].id)
    db.add(theirs)
    db.commit()
    for ident in (99999, theirs.id):
        assert chat.say("o_m1", f"志愿 半天 活动#{ident}") == (
            f"没有找到编号为 {ident} 的志愿服务活动。回复“活动”查看可登记的活动。")
    assert chat.say("o_m1", "4") != T.ASK_HOURS_AGAIN and len(rows(db)) == 1


def test_refusals_read_right(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    assert chat.say("o_m1", "志愿 24.001小时 抗洪抢险 昨天") == (
        "一天最多登记24小时，24.001小时超出了，请核实后重新填写。")
    assert chat.say("o_m1", "志愿 25小时 抗洪抢险 昨天") == "一天最多登记24小时，25小时超出了，请核实后重新填写。"
    assert chat.say("o_m1", "志愿 20小时 抗洪抢险 昨天").startswith("已登记")
    assert chat.say("o_m1", "志愿 4.5小时 物资搬运 昨天") == (
        "12月1日您已登记20小时，再加4.5小时将超过一天24小时，未保存。请核实时长。")
    assert chat.say("o_m1", "志愿 3小时 助老 2025年11月20日") == (
        "2025年11月20日距今已超过90天，不能再登记，请联系支部书记。")
    assert chat.say("o_m1", "志愿 3小时 助老 12月5日") == "2026年12月5日还没到，不能登记未来的志愿服务。"
    assert chat.say("o_m1", "撤销志愿") == "请在命令后写上记录编号，例如：撤销志愿 12"
    assert chat.say("o_sec", "退回志愿") == "请在命令后写上记录编号和原因，例如：退回志愿 12 时长有误"
    assert chat.say("o_m1", "异议") == "请在命令后写上记录编号和理由，例如：异议 12 当天未参加该活动"
    assert chat.say("o_sec", "确认志愿 ＃１２３") == "没有找到编号为 123 的志愿服务记录。"
    for text in ("我的志愿", "撤销志愿 1", "确认志愿 1", "异议 1 不对", "志愿 半天 助老 昨天"):
        assert chat.say("o_nobody", text) == T.REFUSALS["volunteer_unbound"], text
    assert "签到" not in T.REFUSALS["volunteer_unbound"]
    assert len(rows(db)) == 1


def test_a_team_leader_finds_the_confirming_commands(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    line = "· 确认志愿 / 确认全部 / 退回志愿 编号 原因 — 服务队队长或书记：查看、确认或退回待确认的志愿记录"
    assert line in chat.say("o_lead", "帮助")
    member_help = chat.say("o_m1", "帮助")
    # a plain member confirms nothing and makes no team: neither shows (a leader is named, authz's _SENDER)
    assert "确认志愿" not in member_help and "· 服务队 —" not in member_help
    assert chat.say("o_lead", "我的志愿") == (
        T.MINE_EMPTY + "\n您是先锋志愿服务队队长，可确认本队队员的志愿服务记录。回复“确认志愿”查看待确认的记录。")
    made = chat.say("o_lead", "活动 11月28日 社区义诊 先锋志愿服务队 @社区卫生站")
    activity = db.scalar(select(VolunteerActivity.id))
    db.commit()
    assert made.startswith(f"已创建志愿服务活动（编号 {activity}）：11月28日 社区义诊，先锋志愿服务队，"
                           "地点：社区卫生站。")
    chat.say("o_m1", f"志愿 3小时 活动#{activity}")
    chat.say("o_m2", f"志愿 2小时 活动#{activity}")
    chat.say("o_m2", "志愿 1小时 社区助老 昨天")  # no team: the secretary's to confirm
    assert "有2条志愿服务记录等待您确认，回复“确认志愿”查看。" in chat.say("o_lead", "我的志愿")
    assert chat.say("o_sec", "我的志愿").endswith("有3条志愿服务记录等待您确认，回复“确认志愿”查看。")
    listing = chat.say("o_lead", "确认志愿")
    assert listing.startswith("等待您确认的志愿服务记录（2条）") and "回复“确认全部”全部确认" in listing
    _first, second, own = rows(db)
    assert chat.say("o_lead", f"退回志愿 {second.id} 当天只参加了上午") == (
        f"已退回志愿服务记录（编号 {second.id}）：赵六 11月28日 社区义诊。已告知本人，退回原因：当天只参加了上午。")
    assert chat.say("o_lead", "确认全部").startswith("已确认1条志愿服务记录，公示至12月9日")
    assert [r.status for r in rows(db)] == ["confirmed", "returned", "pending"]
    assert chat.say("o_lead", f"确认志愿 {own.id}") == T.REFUSALS["volunteer_not_confirmer"].format(id=own.id)
    assert chat.say("o_lead", "我的志愿").endswith("回复“确认志愿”查看待确认的记录。")


def test_a_long_list_says_how_many_are_not_shown(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    for i in range(23):
        db.add(VolunteerRecord(member_id=world["m1"].id, branch_id=world["b"].id, served_on=date(2026, 11, 1 + i),
                               content=f"社区助老{i}", hours=Decimal(2), status="pending", leader_id=world["sec"].id,
                               created_at=NOW, updated_at=NOW))
    db.commit()
    listing = chat.say("o_sec", "确认志愿")
    assert listing.startswith("等待您确认的志愿服务记录（23条）") and "……另有3条未列出" in listing
    done = chat.say("o_sec", "确认全部")
    assert done.startswith("已确认23条志愿服务记录") and "……另有3条未列出" in done


def test_a_retried_message_logs_once_and_answers_alike(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    xml = wxxml.text("o_m1", "志愿 1小时 社区助老 昨天", msgid=4242)
    first, again = chat.send(xml), chat.send(xml)
    assert first is not None and again is not None and first["Content"] == again["Content"]
    assert len(rows(db)) == 1


def test_ten_days_of_notices_as_each_reads_them(app: Flask, chat: Chat, db: Session, clock: FrozenClock,
                                                fake_wx: FakeWeChat, world: dict[str, Any]) -> None:
    """Logged on Wednesday, reminded to the secretary once a day at 09:00 while pending, confirmed on Thursday
    (the member told at once), final after 7 days of 公示 (told once); never in quiet hours; the fake WeChat
    takes each template within its limits and the notice page shows the whole words."""
    content = "重阳节敬老院慰问演出及陪护暨社区独居老人上门探访与健康咨询志愿服务活动"
    sent = []
    at = L(2026, 12, 2, 10)
    clock.set(at)
    assert chat.say("o_m1", f"志愿 3.5小时 {content} 昨天").startswith("已登记")
    [rec] = rows(db)
    while at <= L(2026, 12, 12, 23):
        if at == L(2026, 12, 4, 21):
            clock.set(at)
            assert chat.say("o_sec", f"确认志愿 {rec.id}").startswith("已确认")
        sent += [s for s in step(app, clock, at) if s.kind.startswith("volunteer")]
        at += timedelta(hours=1)
    got = [(s.at, s.to, s.kind) for s in sent]
    assert got == [
        ("12-02 10:00", "李书记", "volunteer_pending"),  # logged after 09:00: today's reminder at once
        ("12-03 09:00", "李书记", "volunteer_pending"),
        ("12-04 09:00", "李书记", "volunteer_pending"),
        ("12-04 21:00", "欧阳建国华", "volunteer_confirmed"),
        ("12-12 09:00", "欧阳建国华", "volunteer_final"),  # 公示 12-05..12-11, final on 12-12
    ]
    words = {s.kind: s.text for s in sent}
    assert words["volunteer_pending"] == T.REMIND_PENDING.format(count=1)
    assert words["volunteer_confirmed"] == (
        f"您12月1日的志愿服务“{content}”（3.5小时，编号 {rec.id}）已确认，公示至12月11日，期满无异议即生效。")
    assert words["volunteer_final"] == (
        f"您12月1日的志愿服务“{content}”（3.5小时，编号 {rec.id}）公示期满，已生效。回复“我的志愿”查看累计时长。")
    assert all("07:30" <= s.at[6:] < "22:00" for s in sent)
    received = [m for box in fake_wx.inbox.values() for m in box]
    assert len(received) == len(sent) and {m["channel"] for m in received} == {"template"}
    assert all(len(v["value"]) <= 20 and "\n" not in v["value"] for m in received for v in m["data"].values())
    client = app.test_client()
    for message in received:
        url = urlsplit(str(message["url"]))
        page = client.get(f"{url.path}?{url.query}")
        assert page.status_code == 200
        assert any(s.text in page.get_data(as_text=True) for s in sent)
    assert int(db.scalar(select(func.count()).select_from(Notification)
                         .where(Notification.kind.like("volunteer%"), Notification.status != "sent")) or 0) == 0
    db.commit()


def test_cli_files_that_cannot_be_written_and_bad_leader_phones(runner: Any, db: Session, tmp_path: Path,
                                                                 world: dict[str, Any]) -> None:
    db.add(VolunteerRecord(member_id=world["m1"].id, branch_id=world["b"].id, served_on=date(2026, 11, 2),
                           content="社区助老", hours=Decimal(3), status="confirmed", public_until=date(2026, 11, 10),
                           confirmed_by_id=world["sec"].id, confirmed_at=NOW, created_at=NOW, updated_at=NOW))
    db.commit()
    missing = tmp_path / "没有这个目录"
    result = runner.invoke(args=["volunteer", "export", "--branch", str(world["b"].id), "--year", "2026",
                                 "--out", str(missing / "a.xlsx")])
    assert result.exit_code == 1 and "无法写入" in result.output and "请检查目录是否存在" in result.output
    assert not isinstance(result.exception, OSError)
    result = runner.invoke(args=["volunteer", "certificate", "--member", str(world["m1"].id), "--year", "2026",
                                 "--out", str(missing / "c.docx")])
    assert result.exit_code == 1 and "无法写入" in result.output
    assert db.scalar(select(func.count()).select_from(VolunteerCertificate)) == 0  # no number issued for nothing
    db.commit()
    result = runner.invoke(args=["volunteer", "certificate", "--member", str(world["m1"].id), "--year", "2026",
                                 "--out", str(tmp_path / "c.docx")])
    assert result.exit_code == 0 and (tmp_path / "c.docx").exists()
    result = runner.invoke(args=["volunteer", "team", "--branch", str(world["b"].id), "--name", "新风服务队",
                                 "--leader", "abc"])
    assert result.exit_code == 1 and "队长手机号“abc”格式不对，请写 11 位手机号。" in result.output
    assert db.scalar(select(func.count()).select_from(VolunteerTeam)) == 1
    db.commit()


def test_a_leader_named_is_told_once_what_a_leader_may_do(app: Flask, chat: Chat, db: Session, clock: FrozenClock,
                                                          world: dict[str, Any]) -> None:
    assert chat.say("o_sec", "服务队 新风志愿服务队 13700000001").startswith("服务队“新风志愿服务队”")
    assert chat.say("o_sec", "服务队 新风志愿服务队 13700000001").startswith("服务队“新风志愿服务队”")  # again
    assert chat.say("o_sec", "服务队 新风志愿服务队 abc") == "队长手机号“abc”格式不对，请写 11 位手机号。"
    sent = [s for s in step(app, clock, L(2026, 12, 2, 10, 5)) if s.kind == "volunteer_leader_named"]
    assert [(s.to, s.text) for s in sent] == [("周队长", (
        "您已被设为“新风志愿服务队”队长。本队队员登记的志愿服务由您确认：回复“确认志愿”查看待确认的记录，"
        "“确认全部”全部确认，“退回志愿 编号 原因”退回；回复“活动 日期 内容 新风志愿服务队”创建活动。"))]
    assert db.scalar(select(func.count()).select_from(Notification)
                     .where(Notification.kind == "volunteer_leader_named")) == 1
    db.commit()


def test_figures_by_chat_for_each_staff_role(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    org = f.social_org(db, world["c"].id, world["b"].id, name="阳光社工协会")
    f.instructor(db, org.id, name="吴指导", openid="o_ins")
    f.committee_member(db, world["b"].id, name="冯支委", openid="o_cm")
    f.member(db, world["b"].id, name="陈管理", openid="o_adm", roles=(("admin", "committee", world["c"].id),))
    assert chat.say("o_cm", "志愿统计").startswith("阳光党支部2026年志愿服务统计")
    # a committee's admin who is also a member of a branch reads the committee
    assert chat.say("o_adm", "志愿统计").startswith("区社会组织综合党委2026年志愿服务统计")
    # instructors may not read volunteer figures: not offered in 帮助
    assert "志愿统计" not in chat.say("o_ins", "帮助") and "志愿统计" in chat.say("o_cm", "帮助")
