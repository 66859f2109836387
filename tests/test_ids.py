"""Ids as people type them: one bounded parser (bot.infra.text.parse_id) behind every org and 流动党员
command, so a phone number, 20 digits, a Unicode digit, 0, a negative or 2^31 typed where an id goes is
answered with the "没有找到…" a missing id gets: no traceback, no 系统繁忙 (on SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.infra.text import MAX_ID, parse_id
from bot.services.errors import NotFound
from bot.services.org import structure as org
from bot.texts import general as G
from bot.texts import meetings as TM
from bot.texts import org as T
from tests import factories as f
from tests.conftest import Chat

PHONE = "13800130005"  # a phone number typed as an id: nobody has it
ODD = [
    PHONE,
    f"#{PHONE}",
    "123456789012345678901",  # 21 digits
    "#123456789012345678901234567890",
    "#፩",  # Ethiopic digit one: str.isdigit() is True, int() refuses it
    "٣",  # Arabic-Indic three: a decimal digit (regex \d matches it; int() reads it), NFKC keeps it
    "#٣",
    "0",
    "#0",
    "-1",
    "#-5",
    str(2**31),
    f"#{2**31}",
]


@pytest.mark.parametrize(("text", "expected"), [
    ("5", 5), ("#5", 5), (" # 7 ", 7), (str(MAX_ID), MAX_ID), ("0", None), ("-1", None), (str(2**31), None),
    (PHONE, None), ("1" * 25, None), ("፩", None), ("٣", None), ("", None), (None, None), ("#", None),
    ("5a", None), ("+5", None),
])
def test_parse_id_is_bounded_and_ascii(text: str | None, expected: int | None) -> None:
    assert parse_id(text) == expected


@pytest.fixture
def world(db: Any) -> dict[str, Any]:
    committee = f.committee(db, name="区社会组织综合党委")
    branch = f.branch(db, committee.id, name="阳光支部")
    sec = f.secretary(db, branch.id, name="李书记", openid="o_sec")
    f.admin(db, committee.id, name="王管理员", openid="o_admin")
    zhang = f.member(db, branch.id, name="张三", phone="13700000011", openid="o_zhang")
    elsewhere = f.branch(db, name="别处支部")  # another committee: outside the secretary's scope
    stranger = f.member(db, elsewhere.id, name="外人", phone="13700000012", openid="o_stranger")
    return {"committee": committee, "branch": branch, "sec": sec, "zhang": zhang, "stranger": stranger}


def _bare(value: str) -> str:
    return value.removeprefix("#")


def expected(command: str, value: str) -> str:
    if command in ("党员", "查看党员", "邀请"):
        if value == PHONE:  # a bare mobile number is a lookup by phone, within the sender's scope
            return T.MEMBER_PHONE_NOT_FOUND.format(phone="138****0005")
        return T.MEMBER_ID_NOT_FOUND.format(id=_bare(value))
    if command == "支部":
        return T.BRANCH_NOT_FOUND.format(id=_bare(value))
    if command == "党委":
        return T.COMMITTEE_NOT_FOUND.format(id=_bare(value))
    if value == PHONE:  # 流动党员 commands take a phone number: nobody has this one
        if command == "登记流动党员":
            return T.MOB_NOBODY.format(phone="138****0005")
        return T.MOB_NOT_REGISTERED.format(phone="138****0005", branch="阳光支部")
    return T.MOB_PHONE_FORMAT


COMMANDS = [("o_sec", "党员"), ("o_sec", "查看党员"), ("o_sec", "邀请"), ("o_sec", "支部"), ("o_admin", "党委"),
            ("o_sec", "登记流动党员"), ("o_sec", "取消流动党员")]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(("sender", "command"), COMMANDS, ids=[c for _s, c in COMMANDS])
def test_an_odd_id_is_not_found_without_a_traceback(chat: Chat, world: dict[str, Any], caplog: Any,
                                                   sender: str, command: str, value: str) -> None:
    with caplog.at_level(logging.INFO):
        reply = chat.say(sender, f"{command} {value}")
    assert reply == expected(command, value)
    assert G.TRY_LATER not in reply
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_a_real_id_still_works(chat: Chat, world: dict[str, Any]) -> None:
    zhang, branch, committee = world["zhang"], world["branch"], world["committee"]
    assert f"【党员信息】#{zhang.id}" in chat.say("o_sec", f"党员 #{zhang.id}")
    assert f"【党员信息】#{zhang.id}" in chat.say("o_sec", f"党员 {zhang.id}")
    assert "已为 张三 生成绑定码" in chat.say("o_sec", f"邀请 #{zhang.id}")
    assert f"【阳光支部】#{branch.id}" in chat.say("o_sec", f"支部 #{branch.id}")
    assert "【区社会组织综合党委 覆盖情况】" in chat.say("o_admin", f"党委 {committee.id}")


def test_a_phone_number_finds_a_member_in_scope_and_names_nobody_outside(chat: Chat, world: dict[str, Any],
                                                                       caplog: Any) -> None:
    """`党员 13900000011`: a secretary means the member with that number; one outside their scope is
    answered as nobody (no name), and every lookup by phone is in the personal-data access log."""
    sec, zhang, stranger = world["sec"], world["zhang"], world["stranger"]
    with caplog.at_level(logging.INFO, logger="zhibu.personal_data"):
        mine = chat.say("o_sec", "党员 137-0000-0011")
        theirs = chat.say("o_sec", "党员 13700000012")
        invited = chat.say("o_sec", "邀请 13700000012")
    assert mine.startswith(f"【党员信息】#{zhang.id}\n姓名：张三")
    assert theirs == invited == T.MEMBER_PHONE_NOT_FOUND.format(phone="137****0012")
    assert "外人" not in theirs + invited
    lookups = [r.getMessage() for r in caplog.records
               if r.name == "zhibu.personal_data" and "lookup" in r.getMessage()]
    assert lookups == [
        f"personal data lookup: reader={sec.id} by=phone phone=137****0011 member={zhang.id} outcome=found",
        f"personal data lookup: reader={sec.id} by=phone phone=137****0012 member={stranger.id} "
        "outcome=out_of_scope",
        f"personal data lookup: reader={sec.id} by=phone phone=137****0012 member={stranger.id} "
        "outcome=out_of_scope",
    ]


@pytest.mark.parametrize("ident", [0, -1, 2**31, 10**20])
def test_the_services_refuse_an_id_out_of_range(db: Any, world: dict[str, Any], ident: int) -> None:
    """Every channel (the CLI's integers included) gets NotFound, not a database error."""
    with pytest.raises(NotFound):
        org.get_branch(db, ident)
    with pytest.raises(NotFound):
        org.get_committee(db, ident)


MEETING_COMMANDS = [("取消会议", TM.MTG_NOT_FOUND), ("签到码", TM.MTG_NOT_FOUND), ("签到情况", TM.MTG_NOT_FOUND),
                    ("记录", TM.MTG_NOT_FOUND), ("同意", TM.LEAVE_NONE_PENDING), ("不同意", TM.LEAVE_NONE_PENDING)]


@pytest.mark.parametrize("value", ODD)
@pytest.mark.parametrize(("command", "answer"), MEETING_COMMANDS, ids=[c for c, _a in MEETING_COMMANDS])
def test_an_odd_meeting_or_leave_number_is_not_found(chat: Chat, world: dict[str, Any], caplog: Any,
                                                     command: str, answer: str, value: str) -> None:
    """The meetings commands read their number through the same parser: `取消会议 #٣` no longer acts on
    meeting 3, and a phone number or 2^31 is a plain "没有找到"."""
    with caplog.at_level(logging.INFO):
        reply = chat.say("o_sec", f"{command} {value}")
    assert reply == answer
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def test_reschedule_with_an_odd_number_is_not_found(chat: Chat, world: dict[str, Any]) -> None:
    assert chat.say("o_sec", f"改期 {PHONE} 12月6日 19:30") == TM.MTG_NOT_FOUND
    assert chat.say("o_sec", "改期 #٣ 12月6日 19:30") == TM.MTG_NOT_FOUND
