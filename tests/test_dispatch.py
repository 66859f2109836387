"""Dispatch: the help menu, retries answered once, conversations and `取消`, the error handler."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from bot.chat.context import Context
from bot.chat.router import Router, RouterError
from bot.models import Committee
from bot.texts import general as G
from tests import wxxml
from tests.conftest import Chat


def test_unbound_sender_is_told_how_to_bind(chat: Chat) -> None:
    assert "绑定" in chat.say("o_new", "帮助")
    unknown = chat.say("o_new", "今天天气怎么样")  # one short line, not the whole menu
    assert unknown == "没有听懂“今天天气怎么样”。回复“帮助”查看全部指令。"


def test_subscribe_gets_welcome(chat: Chat) -> None:
    reply = chat.send(wxxml.subscribe("o_new"))
    assert reply is not None and "欢迎关注支部通" in reply["Content"]


def _count_committees(app: Flask) -> int:
    with app.extensions["db"].Session() as s:
        return int(s.scalar(select(func.count()).select_from(Committee)) or 0)


def test_retries_repeat_no_effect_and_get_the_same_reply(app: Flask, chat: Chat) -> None:
    router: Router = app.extensions["router"]

    @router.text(r"建委员会 (?P<name>.+)", name="test.effect")
    def effect(ctx: Context) -> str:
        assert ctx.match is not None
        ctx.session.add(Committee(name=ctx.match["name"]))
        ctx.session.flush()
        n = ctx.session.scalar(select(func.count()).select_from(Committee))
        return f"已建立，第{n}个"

    xml = wxxml.text("o_retry", "建委员会 测试委员会", msgid=991)
    replies = [chat.post(xml).get_data(as_text=True) for _ in range(3)]
    assert replies[0] == replies[1] == replies[2]
    assert "已建立，第1个" in replies[0]
    assert _count_committees(app) == 1


def test_handler_crash_rolls_back_and_apologises(app: Flask, chat: Chat, caplog: pytest.LogCaptureFixture) -> None:
    router: Router = app.extensions["router"]

    @router.text(r"坏了", name="test.crash")
    def crash(ctx: Context) -> str:
        ctx.session.add(Committee(name="half-written"))
        ctx.session.flush()
        raise RuntimeError("boom")

    assert chat.say("o_crash", "坏了") == G.APOLOGY
    assert _count_committees(app) == 0
    assert any(r.exc_info for r in caplog.records if "handler failed" in r.getMessage())


def test_conversation_takes_next_text_and_cancel_leaves_it(app: Flask, chat: Chat) -> None:
    router: Router = app.extensions["router"]

    @router.text(r"问我", name="test.ask")
    def ask(ctx: Context) -> str:
        ctx.start_conversation("test.answer", asked="名字")
        return "请问您的名字？"

    @router.step("test.answer")
    def answer(ctx: Context) -> str:
        ctx.end_conversation()
        return f"你好，{ctx.text}"

    assert chat.say("o_conv", "问我") == "请问您的名字？"
    # A command typed inside a conversation runs as the command; the conversation stays (issue 12 §4).
    assert chat.say("o_conv", "帮助").startswith(G.UNBOUND_HELP[:8])
    assert chat.say("o_conv", "李四") == "你好，李四"  # any other text is the step's answer
    assert chat.say("o_conv", "问我") == "请问您的名字？"
    assert chat.say("o_conv", "取消") == G.CANCELLED
    assert "没有听懂" in chat.say("o_conv", "张三")
    assert chat.say("o_conv", "取消") == G.NOTHING_TO_CANCEL


def test_full_width_text_is_normalised(chat: Chat) -> None:
    assert chat.say("o_fw", "　帮助　") == chat.say("o_fw", "帮助")
    assert chat.say("o_fw", "ｈｅｌｐ") == chat.say("o_fw", "帮助")


def test_long_reply_is_cut_under_2048_bytes(app: Flask, chat: Chat) -> None:
    router: Router = app.extensions["router"]
    router.text(r"长", name="test.long")(lambda ctx: "党" * 2000)
    reply = chat.say("o_long", "长")
    assert len(reply.encode()) <= 2048
    assert reply.endswith(G.TEXT_TOO_LONG_SUFFIX)


def test_bad_patterns_fail_at_registration() -> None:
    router = Router()
    with pytest.raises(RouterError, match="bad pattern"):
        router.text(r"签到(", name="x")(lambda ctx: None)
    router.text(r"a", name="dup")(lambda ctx: None)
    with pytest.raises(RouterError, match="twice"):
        router.text(r"b", name="dup")(lambda ctx: None)
    with pytest.raises(RouterError, match="bad event"):
        router.event("Not An Event", name="e")(lambda ctx: None)


def test_priority_then_registration_order() -> None:
    router = Router()
    router.text(r"会议.*", name="low", priority=10)(lambda ctx: "low")
    router.text(r"会议", name="first", priority=50)(lambda ctx: "first")
    router.text(r"会议", name="second", priority=50)(lambda ctx: "second")
    assert [r.name for r in router.routes] == ["first", "second", "low"]


def test_every_conversation_step_says_what_cancel_discards(app: Flask) -> None:
    router: Router = app.extensions["router"]
    assert set(router.steps) <= set(G.CANCELLED_STEPS), "a step without its 取消 wording"
