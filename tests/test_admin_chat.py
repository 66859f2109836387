"""Issue 12 §3: admins and instructors in chat. 进度, 会议 and 签到情况 answer for the branches they oversee
(an admin: the committee's subtree; an instructor: the branches covering their organizations), `进度 #branch`
drills into one branch, and the help menu shows each role only what works for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from bot.infra.clock import FrozenClock
from tests import factories as f
from tests.conftest import Chat

FORBIDDEN = "你没有权限进行此操作。如需开通，请联系支部书记或上级党委。"
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 2026-11-23 09:00 in Shanghai


@pytest.fixture
def tree(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    top = f.committee(db, name="示范街道综合党委")
    sub = f.committee(db, name="示范社区党委", parent_id=top.id)
    other = f.committee(db, name="别处综合党委")
    a = f.branch(db, top.id, name="阳光协会党支部", kind="functional", has_committee=False)
    b = f.branch(db, sub.id, name="晨曦社工党支部", kind="functional", has_committee=False)
    c = f.branch(db, top.id, name="绿源基金会党支部", kind="functional", has_committee=False)
    d = f.branch(db, other.id, name="远方协会党支部", kind="functional", has_committee=False)
    for branch in (a, b, c, d):
        f.member(db, branch.id, name=f"{branch.name[:2]}党员", openid=f"o_{branch.id}")
    # a: 主题党日 held this month, 党课 missing; b: nothing held, a 主题党日 scheduled; c: all done
    held_a = f.meeting(db, a.id, NOW - timedelta(days=13), type="theme_day", status="scheduled")
    f.meeting(db, b.id, NOW + timedelta(days=5), type="theme_day", status="scheduled")
    f.meeting(db, c.id, NOW - timedelta(days=3), type="theme_day", status="scheduled")
    f.meeting(db, c.id, NOW - timedelta(days=40), type="party_lecture", status="scheduled")
    f.meeting(db, d.id, NOW + timedelta(days=2), type="party_lecture", status="scheduled")
    admin = f.admin(db, top.id, name="王主任", openid="o_admin")
    org = f.social_org(db, top.id, a.id, name="阳光协会")
    instructor = f.instructor(db, org.id, name="赵指导员", openid="o_instructor")
    return {"top": top, "a": a, "b": b, "c": c, "d": d, "admin": admin, "instructor": instructor,
            "held_a": held_a}


def test_admin_progress_lists_the_branches_behind_most_behind_first(chat: Chat, tree: dict[str, Any]) -> None:
    a, b = tree["a"], tree["b"]
    assert chat.say("o_admin", "进度") == (
        "所辖三会一课进度（截至 11月23日，共 3 个支部）：\n"
        f"1. 晨曦社工党支部（#{b.id}）：还差 党课1次、主题党日1次；已安排 1 次\n"
        f"2. 阳光协会党支部（#{a.id}）：还差 党课1次\n"
        "其余 1 个支部本期规定的会议都已完成。\n"
        "回复“进度 #支部编号”查看某个支部的详情。")  # the other committee's branch is not listed


def test_admin_drills_into_one_branch_and_not_outside_the_subtree(chat: Chat, tree: dict[str, Any]) -> None:
    reply = chat.say("o_admin", f"进度 #{tree['b'].id}")
    assert reply.startswith("晨曦社工党支部 三会一课进度（截至 11月23日）：")
    assert "✗ 主题党日（本月 2026-11，应 1 次）：还差 1 次" in reply
    assert "  · 已安排：#" in reply and "11月28日（周六）09:00" in reply  # scheduled beside held
    assert reply.endswith("还差：党课、主题党日。")  # no suggestion to schedule: the branch does that
    assert chat.say("o_admin", f"进度 #{tree['d'].id}") == FORBIDDEN
    assert chat.say("o_admin", "进度 #99999") == "没有找到 ID 为 99999 的党组织。"


def test_admin_meetings_and_attendance_answer_for_the_subtree(chat: Chat, tree: dict[str, Any]) -> None:
    assert chat.say("o_admin", "会议") == "所辖支部近期会议（1 个）：\n#2 11月28日（周六）09:00 晨曦社工党支部 主题党日"
    assert chat.say("o_admin", "签到情况") == (
        "主题党日（编号 3，2026年11月20日（周五）09:00）签到情况：\n"
        "应到 1 人，实到 0 人，请假 0 人，缺席 1 人，迟到 0 人。\n缺席：绿源党员")
    held_a = tree["held_a"]
    assert chat.say("o_admin", f"签到情况 #{held_a.id}").startswith(f"主题党日（编号 {held_a.id}，2026年11月10日")
    assert chat.say("o_admin", "签到情况 #5") == FORBIDDEN


def test_instructor_reads_the_branches_of_their_organizations(chat: Chat, tree: dict[str, Any]) -> None:
    a = tree["a"]
    assert chat.say("o_instructor", "进度") == (
        "所辖三会一课进度（截至 11月23日，共 1 个支部）：\n"
        f"1. 阳光协会党支部（#{a.id}）：还差 党课1次\n"
        "回复“进度 #支部编号”查看某个支部的详情。")
    assert chat.say("o_instructor", "会议") == "所辖支部近期没有安排会议。"
    assert chat.say("o_instructor", "签到情况").startswith(f"主题党日（编号 {tree['held_a'].id}，2026年11月10日")
    assert chat.say("o_instructor", f"进度 #{tree['b'].id}") == FORBIDDEN


def test_admin_without_branches_is_told(chat: Chat, db: Session, tree: dict[str, Any]) -> None:
    empty = f.committee(db, name="空党委")
    f.admin(db, empty.id, name="钱主任", openid="o_empty")
    assert chat.say("o_empty", "进度") == "您负责的党委或指导的社会组织下还没有党支部。"
    assert chat.say("o_empty", "会议") == "您负责的党委或指导的社会组织下还没有党支部。"


def _menu(reply: str) -> set[str]:
    """The commands a 帮助 reply offers: one per line with what it does, or grouped (【三会一课】会议；…)."""
    found = {line[2:].split(" — ")[0].split(" ")[0] for line in reply.splitlines() if line.startswith("· ")}
    for line in reply.splitlines():
        if line.startswith("【"):
            found |= {command.split(" ")[0] for command in line.split("】", 1)[1].split("；")}
    return found


def test_a_long_menu_is_grouped_and_each_group_explained(chat: Chat, db: Session, tree: dict[str, Any]) -> None:
    """A secretary's commands do not fit one reply with their explanations: 帮助 groups them by capability,
    whole (nothing cut), and 帮助 <分类> explains one group."""
    f.secretary(db, tree["a"].id, name="李书记", openid="o_sec")
    menu = chat.say("o_sec", "帮助")
    assert len(menu.encode()) <= 2048 and "已截断" not in menu
    assert "【三会一课】" in menu and "【年检】年检；年检材料" in menu and "【志愿服务】" in menu
    assert menu.endswith("回复“帮助 组织与党员”等查看某一类命令的说明；回复“取消”可退出正在进行的操作。")
    meetings = chat.say("o_sec", "帮助 三会一课")
    assert meetings.startswith("【三会一课】您可以回复：\n") and "· 签到码 — 获取会议签到二维码" in meetings
    assert "年检" not in meetings
    assert chat.say("o_sec", "帮助 整改台账").startswith("【整改】您可以回复：")  # a longer name finds it too
    assert chat.say("o_sec", "帮助 天气").startswith("没有“天气”这一类命令。可查看：常用、组织与党员、三会一课")


def test_help_menu_shows_each_role_what_works_for_it(chat: Chat, db: Session, tree: dict[str, Any]) -> None:
    admin = _menu(chat.say("o_admin", "帮助"))
    assert {"会议", "进度", "签到情况", "查看记录", "邀请", "党委"} <= admin
    schedule = "下周三晚上7点半开支委会，地点三楼会议室，主题…"  # the usage of 安排会议
    assert not admin & {"请假", "改期", "取消会议", "签到码", "代签", "记录", "同意", schedule}
    assert not admin & {"登记流动党员", "流动党员"}  # they act for the sender's own branch: an admin has none
    instructor = _menu(chat.say("o_instructor", "帮助"))
    assert {"会议", "进度", "签到情况", "查看记录"} <= instructor
    assert not instructor & {"请假", "签退", "改期", "取消会议", "签到码", "邀请", "党委", "记录"}
    sec = f.secretary(db, tree["a"].id, name="李书记", openid="o_sec")
    secretary = _menu(chat.say("o_sec", "帮助"))
    assert {"会议", "进度", "签到情况", "查看记录", "请假", "改期", "取消会议", "签到码", "记录"} <= secretary
    assert sec.id
    member = _menu(chat.say(f"o_{tree['a'].id}", "帮助"))
    assert {"会议", "请假", "查看记录"} <= member
    assert not member & {"进度", "签到情况", "改期", "签到码"}
