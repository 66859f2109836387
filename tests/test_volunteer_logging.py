"""志愿服务 by chat: a member logs in everyday words (hours in 小时/h/分钟/Chinese numerals, the day as meetings
read it), 半天 asks how many hours, the bot reads the record back with its number (待确认), 撤销志愿 withdraws it;
every bad input is a clear answer and nothing is saved; N concurrent copies keep the 24-hour day and the
duplicate rule."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import settings_of
from bot.infra.clock import FrozenClock
from bot.models import VolunteerRecord
from bot.services.errors import Invalid
from bot.texts import refusal
from bot.texts import volunteer as T
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # Wednesday 2026-12-02 10:00 in Shanghai


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    clock.set(NOW)
    c = f.committee(db, name="区社会组织综合党委")
    b = f.branch(db, c.id, name="阳光党支部")
    other = f.branch(db, c.id, name="星光党支部")
    sec = f.secretary(db, b.id, name="李书记", openid="o_sec", phone="13800000001")
    sec2 = f.secretary(db, other.id, name="钱书记", openid="o_sec2")
    m1 = f.member(db, b.id, name="王五", openid="o_m1")
    m2 = f.member(db, b.id, name="赵六", openid="o_m2")
    return {"c": c, "b": b, "other": other, "sec": sec, "sec2": sec2, "m1": m1, "m2": m2}


def rows(db: Session) -> list[VolunteerRecord]:
    found = list(db.scalars(select(VolunteerRecord).order_by(VolunteerRecord.id)
                            .execution_options(populate_existing=True)))
    db.commit()
    return found


def said(app: Flask, reason: str, **params: Any) -> str:
    return refusal(Invalid(reason, **params), settings_of(app.config))


@pytest.mark.parametrize(("text", "hours", "day", "content"), [
    ("志愿 3小时 社区助老 11月20日", "3.00", date(2026, 11, 20), "社区助老"),
    ("志愿服务 2.5h 文明交通劝导 昨天", "2.50", date(2026, 12, 1), "文明交通劝导"),
    ("志愿 90分钟 图书整理 前天", "1.50", date(2026, 11, 30), "图书整理"),
    ("志愿 三个小时 垃圾分类宣传 上周六", "3.00", date(2026, 11, 28), "垃圾分类宣传"),
    ("志愿 一个半小时 社区义诊 11.25", "1.50", date(2026, 11, 25), "社区义诊"),
    ("志愿 半小时 清扫楼道 今天", "0.50", date(2026, 12, 2), "清扫楼道"),
    ("志愿 1小时30分钟 防诈宣传 12月1日", "1.50", date(2026, 12, 1), "防诈宣传"),
    ("志愿 两小时 捡拾垃圾", "2.00", date(2026, 12, 2), "捡拾垃圾"),  # no day: today
])
def test_a_member_logs_in_everyday_words(chat: Chat, db: Session, world: dict[str, Any], text: str, hours: str,
                                         day: date, content: str) -> None:
    reply = chat.say("o_m1", text)
    [rec] = rows(db)
    assert (rec.member_id, rec.served_on, rec.content, rec.hours, rec.status) == (
        world["m1"].id, day, content, Decimal(hours), "pending")
    assert rec.leader_id == world["sec"].id and rec.branch_id == world["b"].id
    assert f"编号 {rec.id}" in reply and "待确认" in reply and "李书记" in reply and f"撤销志愿 {rec.id}" in reply


def test_half_a_day_asks_how_many_hours(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    assert chat.say("o_m1", "志愿 半天 敬老院陪护 上周六") == T.ASK_HOURS.format(said="半天")
    assert rows(db) == []
    assert chat.say("o_m1", "差不多吧") == T.ASK_HOURS_AGAIN
    reply = chat.say("o_m1", "4小时")
    [rec] = rows(db)
    assert (rec.served_on, rec.content, rec.hours) == (date(2026, 11, 28), "敬老院陪护", Decimal("4.00"))
    assert f"编号 {rec.id}" in reply
    # the conversation is over: a number now is no answer
    assert "编号" not in chat.say("o_m1", "4")
    # 取消 leaves the step without saving
    chat.say("o_m1", "志愿 半天 社区助老 昨天")
    assert chat.say("o_m1", "取消") == "已取消：志愿服务没有登记。"
    assert len(rows(db)) == 1


def test_withdraw_while_pending_only(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    chat.say("o_m1", "志愿 3小时 社区助老 昨天")
    [rec] = rows(db)
    assert "不是您本人" in chat.say("o_m2", f"撤销志愿 {rec.id}")
    assert chat.say("o_m1", f"撤销志愿 {rec.id}").startswith("已撤销志愿服务记录")
    assert rows(db)[0].status == "withdrawn"
    assert "不是待确认状态" in chat.say("o_m1", f"撤销志愿 {rec.id}")
    # withdrawn: the same day and content may be logged again
    assert "编号" in chat.say("o_m1", "志愿 3小时 社区助老 昨天")
    assert [r.status for r in rows(db)] == ["withdrawn", "pending"]


def test_every_bad_input_is_refused_and_nothing_saved(app: Flask, chat: Chat, db: Session,
                                                      world: dict[str, Any]) -> None:
    assert chat.say("o_m1", "志愿 25小时 社区助老 昨天") == said(app, "volunteer_hours_too_many",
                                                              hours=Decimal("25.00"))
    assert chat.say("o_m1", "志愿 0小时 社区助老 昨天") == said(app, "volunteer_hours_not_positive")
    assert chat.say("o_m1", "志愿 -2小时 社区助老 昨天") == said(app, "volunteer_hours_not_positive")
    assert chat.say("o_m1", "志愿 abc小时 社区助老 昨天") == said(app, "volunteer_hours_unreadable")
    assert chat.say("o_m1", "志愿 社区助老 昨天") == said(app, "volunteer_hours_missing")
    assert chat.say("o_m1", "志愿 3小时 社区助老 12月5日") == said(app, "volunteer_future", day=date(2026, 12, 5))
    assert chat.say("o_m1", "志愿 3小时 社区助老 2026年8月1日") == said(app, "volunteer_too_old",
                                                                    day=date(2026, 8, 1), days=90)
    assert chat.say("o_m1", "志愿 3小时 社区助老 2月30日").startswith("2月没有30日")
    assert chat.say("o_m1", "志愿 半天 社区助老 12月5日") == said(app, "volunteer_future", day=date(2026, 12, 5))
    assert rows(db) == []
    # the day's sum: 20 hours logged, 5 more is over 24
    assert "编号" in chat.say("o_m1", "志愿 20小时 抗洪抢险 昨天")
    assert chat.say("o_m1", "志愿 5小时 物资搬运 昨天") == said(
        app, "volunteer_day_over", day=date(2026, 12, 1), logged=Decimal("20.00"), hours=Decimal("5.00"))
    assert "编号" in chat.say("o_m1", "志愿 4小时 物资搬运 昨天")  # exactly 24 is fine
    # a duplicate of the same member, day and content
    [first, _second] = rows(db)
    assert chat.say("o_m1", "志愿 1小时 抗洪抢险 昨天") == T.REFUSALS["volunteer_duplicate"].format(
        day="12月1日", content="抗洪抢险")
    assert len(rows(db)) == 2
    # confirming one's own record; another branch's secretary
    assert chat.say("o_m1", f"确认志愿 {first.id}") == T.REFUSALS["volunteer_confirm_own"]
    assert chat.say("o_sec2", f"确认志愿 {first.id}") == T.REFUSALS["volunteer_other_branch"].format(id=first.id)
    assert chat.say("o_m2", f"确认志愿 {first.id}") == T.REFUSALS["volunteer_not_confirmer"].format(id=first.id)
    assert chat.say("o_sec", "确认志愿 99999") == T.REFUSALS["volunteer_not_found"].format(id=99999)
    assert chat.say("o_sec", "确认志愿 13800000001") == T.REFUSALS["volunteer_not_found"].format(id="13800000001")
    assert {r.status for r in rows(db)} == {"pending"}


def test_a_secretary_who_logs_is_confirmed_by_another(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    chat.say("o_sec", "志愿 2小时 社区助老 昨天")
    [rec] = rows(db)
    assert rec.leader_id is None  # nobody else can confirm in this branch: no reminder to themselves
    assert "暂无其他可确认的人" in chat.say("o_sec", "志愿 2小时 敬老院陪护 昨天")


def test_unbound_and_usage(chat: Chat, world: dict[str, Any]) -> None:
    assert "绑定" in chat.say("o_nobody", "志愿 3小时 社区助老 昨天")
    assert chat.say("o_m1", "志愿") == T.USAGE
    assert chat.say("o_m1", "志愿服务") == T.USAGE


def race(app: Flask, openid: str, texts: list[str]) -> list[str]:
    replies: dict[int, str] = {}
    barrier = threading.Barrier(len(texts))

    def go(i: int) -> None:
        chat = Chat(app.test_client(), app)
        barrier.wait()
        reply = chat.send(wxxml.text(openid, texts[i]))
        replies[i] = "" if reply is None else str(reply.get("Content", ""))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(replies) == len(texts)
    return [replies[i] for i in range(len(texts))]


def test_concurrent_logs_keep_the_24_hour_day(app: Flask, db: Session, world: dict[str, Any]) -> None:
    replies = race(app, "o_m1", [f"志愿 5小时 服务项目{i} 昨天" for i in range(8)])
    saved = rows(db)
    assert len(saved) == 4 and sum(r.hours for r in saved) == Decimal("20.00")
    assert sum("编号" in r for r in replies) == 4
    assert sum("超过一天24小时" in r for r in replies) == 4


def test_concurrent_copies_save_one_record(app: Flask, db: Session, world: dict[str, Any]) -> None:
    replies = race(app, "o_m1", ["志愿 2小时 社区助老 昨天"] * 6)
    assert len(rows(db)) == 1
    assert sum("编号" in r for r in replies) == 1
    assert sum("不能重复登记" in r for r in replies) == 5


@pytest.mark.parametrize("text", [
    "志愿 3小时", "志愿 3小时 活动#", "志愿 3小时 活动#0", "志愿 99999999999999999999999小时 助老 昨天",
    "志愿 1e5小时 助老", "志愿 3小时 助老 13月1日", "志愿 3小时 助老 2月30日", "撤销志愿", "撤销志愿 abc",
    "确认志愿 #", "确认志愿 ፩", "退回志愿", "退回志愿 5", "异议", "异议 5", "活动 13月40日 义诊", "活动 昨天",
    "活动 义诊", "志愿统计 0000", "确认全部", "服务队 x", "志愿 3小时 " + "很长的内容" * 100 + " 昨天",
])
@pytest.mark.parametrize("openid", ["o_m1", "o_sec", "o_nobody"])
def test_never_a_500(chat: Chat, db: Session, world: dict[str, Any], text: str, openid: str) -> None:
    reply = chat.say(openid, text)  # Chat.send asserts the 200
    assert reply and "系统" not in reply
