"""流动党员 by chat: the host branch's secretary registers a member of another branch by mobile number;
the member may then check in to the host's meetings (not 支委会 or 党小组会), and is told so."""

from __future__ import annotations

import itertools
import logging
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import settings_of
from bot.infra.clock import FrozenClock
from bot.models import Attendance, Member, MobileRegistration, Notification
from bot.texts import meetings as TM
from bot.texts import org as T
from bot.texts import render
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 2, 19, 30, tzinfo=SH)
_times = itertools.count(1_793_000_000)



@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    clock.set(START - timedelta(minutes=2))
    # One committee tree: the host under the district's committee, the home branch under an industry committee
    # below it. 登记流动党员 finds members in the host's committee tree only.
    district = f.committee(db, name="区社会组织综合党委")
    industry = f.committee(db, name="区物流行业党委", parent_id=district.id)
    host = f.branch(db, district.id, name="阳光社工服务中心党支部")
    home = f.branch(db, industry.id, name="物流行业协会党支部")
    sec = f.secretary(db, host.id, name="李书记", openid="o_sec")
    f.member(db, host.id, name="王五", openid="o_wang", phone="13900000001")
    zhao = f.member(db, home.id, name="赵六", openid="o_zhao", phone="13812345678")
    home_sec = f.secretary(db, home.id, name="钱书记", openid="o_home_sec")
    f.meeting(db, host.id, START, type="general_meeting", checkin_scene="mob_general")
    f.meeting(db, host.id, START, type="committee_meeting", checkin_scene="mob_committee")
    return {"host": host, "home": home, "sec": sec, "zhao": zhao, "home_sec": home_sec}


def scan(chat: Chat, openid: str, scene: str) -> str:
    reply = chat.send(wxxml.scan(openid, scene, create_time=next(_times)))
    return "" if reply is None else str(reply["Content"])


def registrations(db: Session) -> list[tuple[int, int]]:
    found = [(r.member_id, r.host_branch_id) for r in db.scalars(select(MobileRegistration))]
    db.commit()
    return found


def test_a_secretary_registers_a_mobile_member_who_may_then_check_in(app: Flask, chat: Chat, db: Session,
                                                                     world: dict[str, Any]) -> None:
    assert scan(chat, "o_zhao", "mob_general") == TM.CHK_NOT_MEMBER.format(branch="阳光社工服务中心党支部")
    reply = chat.say("o_sec", "登记流动党员 138-1234-5678")
    assert reply.startswith("已登记：赵六（组织关系在物流行业协会党支部，138****5678）"
                            "为阳光社工服务中心党支部的流动党员")
    assert registrations(db) == [(world["zhao"].id, world["host"].id)]
    assert scan(chat, "o_zhao", "mob_general") == "签到成功，赵六，2026-12-02 19:28"
    assert scan(chat, "o_zhao", "mob_committee") == TM.CHK_NOT_MEMBER.format(branch="阳光社工服务中心党支部")
    zhao = db.get(Member, world["zhao"].id)
    assert zhao is not None and zhao.branch_id == world["home"].id  # the organizational relation stays
    settings = settings_of(app.config)
    told = {n.recipient_id: render(n.kind, n.payload, settings).text for n in db.scalars(select(Notification)
                                                       .where(Notification.kind == "mobile_registered"))}
    db.commit()
    assert told == {world["zhao"].id: T.MOB_NOTICE.format(name="赵六", host="阳光社工服务中心党支部"),
                    world["home_sec"].id: T.MOB_NOTICE_HOME.format(name="赵六", host="阳光社工服务中心党支部")}

    assert chat.say("o_sec", "登记流动党员 +86 13812345678") == T.MOB_ALREADY.format(
        name="赵六", home="物流行业协会党支部", branch="阳光社工服务中心党支部")
    assert len(registrations(db)) == 1
    assert db.scalar(select(func.count()).select_from(Notification)
                     .where(Notification.kind == "mobile_registered")) == 2  # told once each


def test_the_list_and_ending_a_registration(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    assert chat.say("o_sec", "流动党员") == T.MOB_LIST_EMPTY.format(branch="阳光社工服务中心党支部")
    chat.say("o_sec", "登记流动党员 13812345678")
    assert chat.say("o_sec", "流动党员") == (
        "阳光社工服务中心党支部登记的流动党员（1 人）：\n赵六（组织关系在物流行业协会党支部，138****5678）")
    assert chat.say("o_sec", "取消流动党员 13812345678") == T.MOB_REMOVED.format(
        name="赵六", branch="阳光社工服务中心党支部")
    assert registrations(db) == []
    assert scan(chat, "o_zhao", "mob_general") == TM.CHK_NOT_MEMBER.format(branch="阳光社工服务中心党支部")
    assert chat.say("o_sec", "取消流动党员 13812345678") == T.MOB_NOT_REGISTERED.format(
        phone="138****5678", branch="阳光社工服务中心党支部")


@pytest.mark.parametrize(("who", "text", "expected"), [
    ("o_sec", "登记流动党员", T.MOB_USAGE),
    ("o_sec", "登记流动党员 12345", T.MOB_PHONE_FORMAT),
    ("o_sec", "登记流动党员 张三", T.MOB_PHONE_FORMAT),
    ("o_sec", "登记流动党员 13700000000", T.MOB_NOBODY.format(phone="137****0000")),
    ("o_sec", "登记流动党员 13900000001", T.MOB_OWN_MEMBER.format(name="王五", branch="阳光社工服务中心党支部")),
    ("o_wang", "登记流动党员 13812345678", "你没有权限进行此操作。如需开通，请联系支部书记或上级党委。"),
    ("o_stranger", "登记流动党员 13812345678", T.NEED_BINDING),
])
def test_bad_registrations_are_refused_with_the_reason(chat: Chat, db: Session, world: dict[str, Any], who: str,
                                                       text: str, expected: str) -> None:
    assert chat.say(who, text) == expected
    assert registrations(db) == []


def test_an_inactive_member_is_not_registered(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    zhao = db.get(Member, world["zhao"].id)
    assert zhao is not None
    zhao.active = False
    db.commit()
    assert chat.say("o_sec", "登记流动党员 13812345678") == T.MOB_INACTIVE.format(name="赵六")
    assert registrations(db) == []


def test_the_home_secretary_cannot_register_with_someone_elses_branch(chat: Chat, db: Session,
                                                                     world: dict[str, Any]) -> None:
    """钱书记 manages 物流行业协会党支部: registering there is registering with their own branch."""
    assert chat.say("o_home_sec", "登记流动党员 13812345678") == T.MOB_OWN_MEMBER.format(
        name="赵六", branch="物流行业协会党支部")
    assert registrations(db) == []
    assert db.scalar(select(func.count()).select_from(Attendance)) == 0


# -- scope: no name for a number outside it, registration within the host's committee tree, the access log --
@pytest.fixture
def outsider(db: Session, world: dict[str, Any]) -> Member:
    """A member of a branch under another (top-level) committee: outside the host's committee tree."""
    elsewhere = f.branch(db, f.committee(db, name="外区综合党委").id, name="外区某协会党支部")
    f.secretary(db, elsewhere.id, name="孙书记", openid="o_far_sec")
    return f.member(db, elsewhere.id, name="周八", openid="o_zhou", phone="13812340001")


def lookups(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "zhibu.personal_data" and "lookup" in r.getMessage()]


def test_a_member_outside_the_committee_tree_is_not_registered_nor_named(
        chat: Chat, db: Session, world: dict[str, Any], outsider: Member, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="zhibu.personal_data"):
        registered = chat.say("o_sec", "登记流动党员 13812340001")
        removed = chat.say("o_sec", "取消流动党员 13812340001")
    assert registered == T.MOB_NOBODY.format(phone="138****0001")  # as for a number nobody has
    assert removed == T.MOB_NOT_REGISTERED.format(phone="138****0001", branch="阳光社工服务中心党支部")
    assert "周八" not in registered + removed
    assert registrations(db) == []
    assert db.scalar(select(func.count()).select_from(Notification)) == 0
    sec = world["sec"].id
    assert lookups(caplog) == [
        f"personal data lookup: reader={sec} by=phone phone=138****0001 member={outsider.id} outcome=out_of_scope",
        f"personal data lookup: reader={sec} by=phone phone=138****0001 member={outsider.id} "
        "outcome=not_registered",
    ]


def test_ending_a_registration_names_only_a_member_registered_here(chat: Chat, db: Session,
                                                                  world: dict[str, Any]) -> None:
    """赵六 is in the tree but not registered with the host: 取消流动党员 does not turn the number into a name."""
    reply = chat.say("o_sec", "取消流动党员 13812345678")
    assert reply == T.MOB_NOT_REGISTERED.format(phone="138****5678", branch="阳光社工服务中心党支部")
    assert "赵六" not in reply
    assert chat.say("o_sec", "取消流动党员 13700000000") == T.MOB_NOT_REGISTERED.format(
        phone="137****0000", branch="阳光社工服务中心党支部")


def test_the_other_tree_cannot_register_our_member(chat: Chat, db: Session, world: dict[str, Any],
                                                   outsider: Member) -> None:
    assert chat.say("o_far_sec", "登记流动党员 13812345678") == T.MOB_NOBODY.format(phone="138****5678")
    assert registrations(db) == []


def test_every_lookup_by_phone_is_in_the_access_log(chat: Chat, world: dict[str, Any],
                                                    caplog: pytest.LogCaptureFixture) -> None:
    sec, zhao = world["sec"].id, world["zhao"].id
    with caplog.at_level(logging.INFO, logger="zhibu.personal_data"):
        chat.say("o_sec", "登记流动党员 13812345678")
        chat.say("o_sec", "登记流动党员 13700000000")
        chat.say("o_sec", "取消流动党员 13812345678")
        chat.say("o_sec", "登记流动党员 12345")  # not a number: nothing looked up
    assert lookups(caplog) == [
        f"personal data lookup: reader={sec} by=phone phone=138****5678 member={zhao} outcome=found",
        f"personal data lookup: reader={sec} by=phone phone=137****0000 member=- outcome=nobody",
        f"personal data lookup: reader={sec} by=phone phone=138****5678 member={zhao} outcome=found",
    ]
