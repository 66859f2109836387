"""Races on the ledger, through the real webhook: N copies of 销号 from two admins, of 提交 from the owner,
and 销号 against 退回整改 make exactly one change (and one notice); the others are told it was done."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from bot.infra.wechat import wait_for_background
from bot.models import Notification, RectificationItem
from bot.texts import rectification as T
from bot.texts import refusals
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

N = 6


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock, fake_wx: FakeWeChat) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    top = f.committee(db, name="某区社会组织综合党委")
    a = f.branch(db, top.id, name="星光党支部")
    owner = f.member(db, a.id, name="张三", openid="o_m1")
    admins = [f.admin(db, top.id, name=n, openid=o) for n, o in (("周管理", "o_ad1"), ("郑管理", "o_ad2"))]
    fake_wx.media["MEDIA_1"] = b"\xff\xd8photo"
    return {"top": top, "a": a, "owner": owner, "admins": admins}


def race(app: Flask, messages: list[tuple[str, str]]) -> list[str]:
    """Post every (openid, text) at once, one thread each; the replies in the order given."""
    replies: dict[int, str] = {}
    barrier = threading.Barrier(len(messages))

    def go(i: int) -> None:
        chat = Chat(app.test_client(), app)
        openid, text = messages[i]
        xml = wxxml.text(openid, text)
        barrier.wait()
        reply = chat.send(xml)
        replies[i] = "" if reply is None else str(reply.get("Content", ""))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(messages))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(replies) == len(messages), "a request did not finish"
    return [replies[i] for i in range(len(messages))]


def _item(db: Session, item_id: int) -> RectificationItem:
    found = db.scalars(select(RectificationItem).where(RectificationItem.id == item_id)
                       .execution_options(populate_existing=True)).one()
    db.commit()
    return found


def _submitted_item(db: Session, chat: Chat, world: dict[str, Any]) -> int:
    item = f.rectification(db, world["top"].id, world["owner"].id, date(2026, 12, 31),
                           branch_id=world["a"].id, problem="三会一课不规范")
    assert chat.say("o_m1", f"整改 {item.id} 已完成 已规范") == T.EVIDENCE_START.format(id=item.id)
    assert chat.say("o_m1", "提交").startswith(T.SUBMITTED.format(id=item.id, evidence="文字说明"))
    return int(item.id)


def test_two_admins_close_at_once(app: Flask, chat: Chat, db: Session, world: dict[str, Any]) -> None:
    item_id = _submitted_item(db, chat, world)
    replies = race(app, [(("o_ad1", "o_ad2")[i % 2], f"销号 {item_id}") for i in range(N)])
    winners = [i for i, r in enumerate(replies) if r.startswith(f"整改事项 #{item_id}（星光党支部）已销号")]
    assert len(winners) == 1, replies
    already = str(refusals()["ledger_closed_already"]).format(id=item_id)
    assert all(r == already for i, r in enumerate(replies) if i not in winners), replies
    row = _item(db, item_id)
    assert row.status == "closed" and row.verifier_id == world["admins"][winners[0] % 2].id


def test_the_owner_submits_twice_at_once(app: Flask, chat: Chat, db: Session, world: dict[str, Any]) -> None:
    item = f.rectification(db, world["top"].id, world["owner"].id, date(2026, 12, 31),
                           branch_id=world["a"].id, problem="党费台账缺失")
    assert chat.say("o_m1", f"整改 {item.id} 已完成") == T.EVIDENCE_START.format(id=item.id)
    assert chat.send(wxxml.image("o_m1", "MEDIA_1")) is not None
    replies = race(app, [("o_m1", "提交")] * N)
    done = T.SUBMITTED.format(id=item.id, evidence="照片1张")
    assert replies.count(done) == 1, replies
    others = {str(refusals()["ledger_submitted_already"]).format(id=item.id), T.NOTHING_TO_SUBMIT}
    assert all(r in others for r in replies if r != done), replies
    row = _item(db, item.id)
    assert row.status == "awaiting_verification" and row.submitted_at is not None
    wait_for_background()


def test_close_against_return(app: Flask, chat: Chat, db: Session, world: dict[str, Any]) -> None:
    item_id = _submitted_item(db, chat, world)
    replies = race(app, [("o_ad1", f"销号 {item_id}"), ("o_ad2", f"退回整改 {item_id} 照片不清晰")] * (N // 2))
    closed = [r for r in replies if "已销号，验收人" in r]
    returned = [r for r in replies if "已退回整改" in r]
    assert len(closed) + len(returned) == 1, replies
    row = _item(db, item_id)
    notes = int(db.scalar(select(func.count()).select_from(Notification)
                          .where(Notification.kind == "rectification_returned")) or 0)
    db.commit()
    if closed:
        assert row.status == "closed" and notes == 0
    else:
        assert row.status == "in_progress" and row.return_reason == "照片不清晰" and notes == 1


def test_a_verifier_and_an_admin_close_at_once(app: Flask, chat: Chat, db: Session, world: dict[str, Any]) -> None:
    """The 验收人 a committee names races its admin: one closes, the other is told it was closed."""
    verifier = f.member(db, None, name="郑验收", openid="o_ver", roles=(("verifier", "committee", world["top"].id),))
    item_id = _submitted_item(db, chat, world)
    replies = race(app, [(("o_ver", "o_ad1")[i % 2], f"销号 {item_id}") for i in range(N)])
    winners = [i for i, r in enumerate(replies) if r.startswith(f"整改事项 #{item_id}（星光党支部）已销号")]
    assert len(winners) == 1, replies
    already = str(refusals()["ledger_closed_already"]).format(id=item_id)
    assert all(r == already for i, r in enumerate(replies) if i not in winners), replies
    row = _item(db, item_id)
    assert row.status == "closed" and row.verifier_id == (verifier.id, world["admins"][0].id)[winners[0] % 2]
