"""Leave: 请假 → pending request and a notice to the secretary; 同意/不同意; the figures and the CLI."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import FrozenClock
from bot.models import LeaveRequest, Notification
from bot.texts import meetings as T
from bot.texts import render
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 2, 19, 30, tzinfo=SH)
CFG: Settings = {"TZ": "Asia/Shanghai"}



@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    branch = f.branch(db, name="阳光党支部")
    sec = f.secretary(db, branch.id, name="李书记", openid="o_sec")
    zhang = f.member(db, branch.id, name="张三", openid="o_zhang")
    wang = f.member(db, branch.id, name="王五", openid="o_wang")
    meeting = f.meeting(db, branch.id, START, type="general_meeting", checkin_scene="checkin_leave")
    return {"branch": branch, "sec": sec, "zhang": zhang, "wang": wang, "meeting": meeting}


def _rows(db: Session, model: Any) -> list[Any]:
    found: list[Any] = list(db.scalars(select(model).order_by(model.id).execution_options(populate_existing=True)))
    db.commit()
    return found


def test_leave_request_notifies_the_secretary_and_is_approved(chat: Chat, db: Session,
                                                              world: dict[str, Any]) -> None:
    reply = chat.say("o_zhang", "请假 家中有事")
    assert reply == "已提交请假：12月2日（周三）19:30 的支部党员大会，事由：家中有事。等待书记审批，结果会通知您。"
    [req] = _rows(db, LeaveRequest)
    assert (req.status, req.reason, req.member_id) == ("pending", "家中有事", world["zhang"].id)
    [notice] = [n for n in _rows(db, Notification) if n.kind == "leave_requested"]
    assert notice.recipient_id == world["sec"].id
    text = render(notice.kind, notice.payload, CFG).text
    assert f"回复“同意 {req.id}”" in text and "张三" in text

    assert chat.say("o_sec", "同意") == "已同意张三的请假（12月2日（周三）19:30 支部党员大会）。"
    [req] = _rows(db, LeaveRequest)
    assert (req.status, req.decided_by_id) == ("approved", world["sec"].id)
    decided = [n for n in _rows(db, Notification) if n.kind == "leave_decided"]
    assert [n.recipient_id for n in decided] == [world["zhang"].id]
    assert chat.say("o_sec", f"不同意 {req.id}") == T.LEAVE_DECIDED_ALREADY.format(status="已同意")


def test_bad_leave_requests(chat: Chat, db: Session, clock: FrozenClock, world: dict[str, Any]) -> None:
    # 事由？ is a step: the next message is the reason (issue 12 §4); 取消 leaves it with nothing filed
    assert chat.say("o_zhang", "请假") == T.LEAVE_ASK_REASON.format(when="12月2日（周三）19:30", label="支部党员大会")
    assert chat.say("o_zhang", "取消") == "已取消：请假申请没有提交。"
    assert chat.say("o_nobody", "请假 有事") == T.CHK_UNBOUND
    chat.say("o_zhang", "请假 出差")
    assert chat.say("o_zhang", "请假 还是出差") == T.LEAVE_ALREADY.format(
        when="12月2日（周三）19:30", label="支部党员大会", status="待审批")
    clock.set(START + timedelta(minutes=1))
    assert chat.say("o_wang", "请假 堵车") == T.LEAVE_NO_MEETING  # the meeting has started
    assert len(_rows(db, LeaveRequest)) == 1


def test_who_may_decide(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    chat.say("o_zhang", "请假 家中有事")
    chat.say("o_wang", "请假 值班")
    first, second = _rows(db, LeaveRequest)
    listing = chat.say("o_sec", "同意")
    assert "有多条请假申请" in listing and f"{first.id}. 张三" in listing and f"{second.id}. 王五" in listing
    assert "没有权限" in chat.say("o_wang", f"同意 {first.id}")  # a member
    other_branch = f.branch(db)
    f.secretary(db, other_branch.id, openid="o_other_sec")
    assert "没有权限" in chat.say("o_other_sec", f"同意 {first.id}")  # another branch's secretary
    f.committee_member(db, world["branch"].id, openid="o_cm")
    assert chat.say("o_cm", f"不同意 {second.id}").startswith("已不同意王五的请假")
    assert [r.status for r in _rows(db, LeaveRequest)] == ["pending", "rejected"]


def test_attendance_figures_with_leave_and_a_member_on_leave_who_came(
        chat: Chat, app: Flask, runner: Any, db: Session, clock: FrozenClock, world: dict[str, Any]) -> None:
    chat.say("o_zhang", "请假 家中有事")
    chat.say("o_wang", "请假 出差")
    chat.say("o_sec", "同意 1")
    chat.say("o_sec", "同意 2")
    clock.set(START + timedelta(minutes=15))
    chat.send(wxxml.scan("o_sec", "checkin_leave", create_time=1_790_000_001))  # late
    chat.send(wxxml.scan("o_wang", "checkin_leave", create_time=1_790_000_002))  # on leave but came
    reply = chat.say("o_sec", "签到情况")
    assert "应到 3 人，实到 2 人，请假 1 人，未签到 0 人，迟到 2 人。" in reply
    assert "到会 2/3 人，已过半数" in reply
    assert "请假：张三" in reply
    mid = world["meeting"].id
    result = runner.invoke(args=["attendance", str(mid), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {k: data[k] for k in ("expected", "present", "leave", "absent", "late", "quorum_met")} == {
        "expected": 3, "present": 2, "leave": 1, "absent": 0, "late": 2, "quorum_met": True}
    text = runner.invoke(args=["attendance", str(mid)])
    assert "应到 3 人" in text.output
    missing = runner.invoke(args=["attendance", "99999"])
    assert missing.exit_code != 0 and T.MTG_NOT_FOUND in missing.output


# -- issue 12 §6: 请假 names its meeting, asks which, never for a meeting checked in to -------------------
def test_leave_names_its_meeting_by_number_or_by_date_and_type(chat: Chat, db: Session,
                                                               world: dict[str, Any]) -> None:
    lecture = f.meeting(db, world["branch"].id, START + timedelta(days=1), type="party_lecture")
    reply = chat.say("o_zhang", f"请假 #{lecture.id} 出差")
    assert reply == "已提交请假：12月3日（周四）19:30 的党课，事由：出差。等待书记审批，结果会通知您。"
    reply = chat.say("o_wang", "请假 12月2日党员大会 出差")
    assert reply == "已提交请假：12月2日（周三）19:30 的支部党员大会，事由：出差。等待书记审批，结果会通知您。"
    reqs = _rows(db, LeaveRequest)
    assert [(r.member_id, r.meeting_id, r.reason) for r in reqs] == [
        (world["zhang"].id, lecture.id, "出差"), (world["wang"].id, world["meeting"].id, "出差")]
    assert chat.say("o_wang", "请假 12月9日党课 出差") == T.LEAVE_NOT_NAMED
    other = f.branch(db, name="别的支部")
    theirs = f.meeting(db, other.id, START, type="party_lecture")
    assert chat.say("o_wang", f"请假 #{theirs.id} 出差") == T.LEAVE_NO_MEETING
    assert len(_rows(db, LeaveRequest)) == 2


def test_leave_with_several_meetings_asks_which(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    lecture = f.meeting(db, world["branch"].id, START + timedelta(days=1), type="party_lecture")
    reply = chat.say("o_zhang", "请假 家中有事")
    assert reply == ("近期有多个会议，请回复序号选择要请假的会议（回复“取消”放弃）：\n"
                     f"1. #{world['meeting'].id} 12月2日（周三）19:30 支部党员大会\n"
                     f"2. #{lecture.id} 12月3日（周四）19:30 党课")
    assert _rows(db, LeaveRequest) == []
    assert chat.say("o_zhang", "随便") == T.LEAVE_CHOICE_AGAIN
    assert chat.say("o_zhang", "2") == ("已提交请假：12月3日（周四）19:30 的党课，事由：家中有事。"
                                        "等待书记审批，结果会通知您。")
    [req] = _rows(db, LeaveRequest)
    assert (req.meeting_id, req.reason) == (lecture.id, "家中有事")
    # without a reason nothing is asked: the reason first
    assert chat.say("o_wang", "请假") == T.LEAVE_NEED_REASON


def test_no_leave_for_a_meeting_already_checked_in_to(chat: Chat, db: Session, clock: FrozenClock,
                                                      world: dict[str, Any]) -> None:
    soon = f.meeting(db, world["branch"].id, clock() + timedelta(minutes=20), type="party_lecture")
    f.attendance(db, soon.id, world["zhang"].id, clock())
    assert chat.say("o_zhang", f"请假 #{soon.id} 临时有事") == (
        "您已签到 11月23日（周一）09:20 的党课，不能再为它请假。")
    # 请假 without naming: the checked-in meeting is not offered; the only other one is taken
    reply = chat.say("o_zhang", "请假 临时有事")
    assert reply.startswith("已提交请假：12月2日（周三）19:30 的支部党员大会")
    assert [r.meeting_id for r in _rows(db, LeaveRequest)] == [world["meeting"].id]


def test_the_reason_asked_for_is_the_next_message(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    assert chat.say("o_zhang", "请假").startswith("为 12月2日（周三）19:30 的支部党员大会请假，事由是什么？")
    assert chat.say("o_zhang", "单位加班").startswith("已提交请假")
    [req] = _rows(db, LeaveRequest)
    assert req.reason == "单位加班"
