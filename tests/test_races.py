"""Races: N concurrent copies of one state-changing message (distinct MsgIds, through the real webhook) make
exactly one change and one set of notices; the others are told it was already done. Also the rules that keep
people out of what is not theirs to decide: their own leave, a cancelled meeting's leave and minutes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.infra.clock import FrozenClock
from bot.infra.store import Store, StoreUnavailable
from bot.models import LeaveRequest, Meeting, Notification
from bot.texts import meetings as T
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 2, 19, 30, tzinfo=SH)
N = 8
PARAGRAPHS = 12  # below the pool: each request holds connections while SQLite queues its writers


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    branch = f.branch(db, name="阳光党支部")
    sec = f.secretary(db, branch.id, name="李书记", openid="o_sec")
    cm = f.committee_member(db, branch.id, name="赵委员", openid="o_cm")
    members = [f.member(db, branch.id, name=f"党员{i}", openid=f"o_m{i}") for i in range(3)]
    return {"branch": branch, "sec": sec, "cm": cm, "members": members}


def _rows(db: Session, model: Any, *where: Any) -> list[Any]:
    found: list[Any] = list(db.scalars(select(model).where(*where).order_by(model.id)
                                       .execution_options(populate_existing=True)))
    db.commit()  # end the read (SQLite: do not hold a lock the webhook's writer waits for)
    return found


def race(app: Flask, openid: str, texts: list[str]) -> list[str]:
    """Post every text at once (one thread each, distinct MsgIds); the replies in the order given."""
    replies: dict[int, str] = {}
    barrier = threading.Barrier(len(texts))

    def go(i: int) -> None:
        chat = Chat(app.test_client(), app)
        xml = wxxml.text(openid, texts[i])
        barrier.wait()
        replies[i] = _say(chat, xml)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(replies) == len(texts), "a request did not finish"
    return [replies[i] for i in range(len(texts))]


def _say(chat: Chat, xml: str) -> str:
    reply = chat.send(xml)
    return "" if reply is None else str(reply.get("Content", ""))


@pytest.fixture
def store_down_for_claims(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The store answers reads but cannot take (it went down mid-message): the database has the last word."""
    def take(self: Store, key: str, expected: str) -> bool:
        raise StoreUnavailable("down")

    monkeypatch.setattr(type(app.extensions["store"]), "take", take)
    yield


# -- 确认 of a new meeting --------------------------------------------------------------------------
def _readback(chat: Chat) -> None:
    reply = chat.say("o_sec", "12月5日 19:30 在三楼会议室开党员大会")
    assert reply.startswith("将于 2026年12月5日（周六）19:30 在三楼会议室召开支部党员大会"), reply


def test_concurrent_confirms_publish_one_meeting(app: Flask, chat: Chat, db: Session,
                                                  world: dict[str, Any]) -> None:
    _readback(chat)
    replies = race(app, "o_sec", ["确认"] * N)
    [meeting] = _rows(db, Meeting)
    assert sum(r.startswith("已发布") for r in replies) == 1, replies
    assert all(r.startswith("已发布") or r == T.MTG_CONFIRM_TAKEN or "看不懂" in r or "没" in r
               for r in replies), replies
    notices = _rows(db, Notification, Notification.kind == "meeting_published")
    assert sorted(n.recipient_id for n in notices) == sorted(  # not the secretary who scheduled it (issue 12)
        [world["cm"].id] + [m.id for m in world["members"]])
    assert {n.subject_id for n in notices} == {meeting.id}


def test_concurrent_confirms_without_the_store_claim_publish_one_meeting(
        app: Flask, chat: Chat, db: Session, world: dict[str, Any], store_down_for_claims: None) -> None:
    _readback(chat)
    replies = race(app, "o_sec", ["确认"] * N)
    [meeting] = _rows(db, Meeting)
    assert sum(r.startswith("已发布") for r in replies) == 1, replies
    duplicate = f"已安排了支部党员大会（编号 {meeting.id}），无需重复安排。"
    assert all(r.startswith("已发布") or r.endswith(duplicate) for r in replies), replies
    assert len(_rows(db, Notification, Notification.kind == "meeting_published")) == 4  # not to the secretary


# -- 改期 确认 ---------------------------------------------------------------------------------------
def test_concurrent_reschedule_confirms_change_once(app: Flask, chat: Chat, db: Session,
                                                     world: dict[str, Any]) -> None:
    meeting = f.meeting(db, world["branch"].id, START)
    assert chat.say("o_sec", "改期 12月6日 19:30").startswith("将把支部党员大会")
    replies = race(app, "o_sec", ["确认"] * N)
    assert sum(r.startswith("已改期") for r in replies) == 1, replies
    [row] = _rows(db, Meeting)
    assert row.revision == 2 and row.starts_at == datetime(2026, 12, 6, 19, 30, tzinfo=SH)
    notices = _rows(db, Notification, Notification.kind == "meeting_changed")
    assert len(notices) == 4 and {n.slot for n in notices} == {"rev2"} and {n.subject_id for n in notices} == {
        meeting.id}


def test_concurrent_reschedule_confirms_without_the_store_claim_change_once(
        app: Flask, chat: Chat, db: Session, world: dict[str, Any], store_down_for_claims: None) -> None:
    f.meeting(db, world["branch"].id, START)
    assert chat.say("o_sec", "改期 12月6日 19:30").startswith("将把支部党员大会")
    replies = race(app, "o_sec", ["确认"] * N)
    assert sum(r.startswith("已改期") for r in replies) == 1, replies
    assert all(r.startswith("已改期") or r == T.MTG_CHANGED_MEANWHILE for r in replies), replies
    [row] = _rows(db, Meeting)
    assert row.revision == 2
    assert len(_rows(db, Notification, Notification.kind == "meeting_changed")) == 4


def test_reschedule_onto_a_meeting_of_the_same_kind_is_a_duplicate(chat: Chat, db: Session,
                                                                    world: dict[str, Any]) -> None:
    f.meeting(db, world["branch"].id, START)
    other = f.meeting(db, world["branch"].id, START + timedelta(days=4))
    reply = chat.say("o_sec", f"改期 {other.id} 12月2日 19:30")
    assert reply.endswith("无需重复安排。"), reply
    assert [m.revision for m in _rows(db, Meeting)] == [1, 1]


# -- 取消会议 确认 -----------------------------------------------------------------------------------
@pytest.mark.parametrize("claim", ["store", "database"])
def test_concurrent_cancel_confirms_cancel_once(app: Flask, chat: Chat, db: Session, world: dict[str, Any],
                                                monkeypatch: pytest.MonkeyPatch, claim: str) -> None:
    if claim == "database":
        def take(self: Store, key: str, expected: str) -> bool:
            raise StoreUnavailable("down")

        monkeypatch.setattr(type(app.extensions["store"]), "take", take)
    meeting = f.meeting(db, world["branch"].id, START)
    assert chat.say("o_sec", "取消会议").startswith("将取消")
    replies = race(app, "o_sec", ["确认"] * N)
    assert sum(r.startswith("已取消") for r in replies) == 1, replies
    [row] = _rows(db, Meeting)
    assert (row.status, row.revision) == ("cancelled", 2)
    notices = _rows(db, Notification, Notification.kind == "meeting_cancelled")
    assert len(notices) == 4 and {(n.subject_id, n.slot) for n in notices} == {(meeting.id, "rev2")}


# -- minutes ------------------------------------------------------------------------------------------
def test_concurrent_minutes_paragraphs_are_all_kept_and_numbered(app: Flask, chat: Chat, db: Session,
                                                                 clock: FrozenClock, world: dict[str, Any]) -> None:
    meeting = f.meeting(db, world["branch"].id, START, type="committee_meeting")
    clock.set(START + timedelta(minutes=40))
    assert chat.say("o_sec", "记录").startswith("开始记录")
    paragraphs = [f"第{i}条发言内容" for i in range(PARAGRAPHS)]
    replies = race(app, "o_sec", paragraphs)
    numbers = sorted(int(r.split("第 ")[1].split(" 段")[0]) for r in replies)
    assert numbers == list(range(1, PARAGRAPHS + 1)), replies
    [row] = _rows(db, Meeting)
    stored = (row.minutes_text or "").split("\n\n")
    assert sorted(stored) == sorted(paragraphs) and row.recorded_at is not None
    # each acknowledgement named the paragraph's real place
    for text, reply in zip(paragraphs, replies, strict=True):
        assert stored[int(reply.split("第 ")[1].split(" 段")[0]) - 1] == text
    assert chat.say("o_sec", "完成") == T.MIN_DONE.format(texts=PARAGRAPHS, images=0)
    assert meeting.id == row.id


def test_a_paragraph_with_blank_lines_counts_once(chat: Chat, db: Session, clock: FrozenClock,
                                                  world: dict[str, Any]) -> None:
    f.meeting(db, world["branch"].id, START, type="committee_meeting")
    clock.set(START + timedelta(minutes=40))
    chat.say("o_sec", "记录")
    assert chat.say("o_sec", "一、学习\n\n二、讨论") == T.MIN_TEXT_SAVED.format(n=1)
    assert chat.say("o_sec", "三、表决") == T.MIN_TEXT_SAVED.format(n=2)


def test_minutes_of_a_cancelled_meeting_are_refused(chat: Chat, db: Session, clock: FrozenClock,
                                                    world: dict[str, Any]) -> None:
    meeting = f.meeting(db, world["branch"].id, START, type="committee_meeting")
    clock.set(START + timedelta(minutes=40))
    chat.say("o_sec", "记录")
    meeting.status = "cancelled"
    db.commit()
    assert chat.say("o_sec", "会议内容") == T.MIN_MEETING_CANCELLED
    reply = chat.send(wxxml.image("o_sec", "MEDIA_X"))
    assert reply is not None and reply["Content"] == T.MIN_MEETING_CANCELLED
    [row] = _rows(db, Meeting)
    assert row.minutes_text is None and row.recorded_at is None


# -- 同意 / 不同意 -----------------------------------------------------------------------------------
def test_concurrent_decisions_of_one_leave_decide_once(app: Flask, db: Session, world: dict[str, Any]) -> None:
    meeting = f.meeting(db, world["branch"].id, START)
    req = f.leave_request(db, meeting.id, world["members"][0].id)
    texts = [f"同意 {req.id}" if i % 2 else f"不同意 {req.id}" for i in range(N)]
    replies = race(app, "o_sec", texts)
    winners = [r for r in replies if r.startswith(("已同意", "已不同意"))]
    assert len(winners) == 1, replies
    [row] = _rows(db, LeaveRequest)
    assert row.status == ("approved" if winners[0].startswith("已同意") else "rejected")
    already = T.LEAVE_DECIDED_ALREADY.format(status=T.LEAVE_STATUS[row.status])
    assert sorted(replies) == sorted(winners + [already] * (N - 1)), replies
    [notice] = _rows(db, Notification, Notification.kind == "leave_decided")
    assert notice.recipient_id == world["members"][0].id and notice.slot == row.status


def test_a_committee_member_may_not_decide_their_own_leave(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    meeting = f.meeting(db, world["branch"].id, START)
    own = f.leave_request(db, meeting.id, world["cm"].id)
    assert chat.say("o_cm", f"同意 {own.id}") == T.LEAVE_OWN
    assert chat.say("o_cm", "同意") == T.LEAVE_NONE_PENDING  # their own is not offered to them
    [row] = _rows(db, LeaveRequest)
    assert row.status == "pending"
    assert _rows(db, Notification, Notification.kind == "leave_decided") == []
    assert chat.say("o_sec", f"同意 {own.id}").startswith("已同意赵委员的请假")


def test_leave_of_a_cancelled_meeting_is_not_decided(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    meeting = f.meeting(db, world["branch"].id, START)
    req = f.leave_request(db, meeting.id, world["members"][0].id)
    meeting.status = "cancelled"
    db.commit()
    assert chat.say("o_sec", f"同意 {req.id}") == T.LEAVE_MEETING_CANCELLED
    assert chat.say("o_sec", f"不同意 {req.id}") == T.LEAVE_MEETING_CANCELLED
    [row] = _rows(db, LeaveRequest)
    assert row.status == "pending"
    assert _rows(db, Notification, Notification.kind == "leave_decided") == []


def test_leave_for_a_cancelled_meeting_is_not_requested(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    f.meeting(db, world["branch"].id, START, status="cancelled")
    assert chat.say("o_m0", "请假 出差") == T.LEAVE_NO_MEETING
    assert _rows(db, LeaveRequest) == []


# -- the claim itself ---------------------------------------------------------------------------------
def test_the_store_take_gives_a_value_to_exactly_one_of_many(app: Flask) -> None:
    store: Store = app.extensions["store"]
    store.set("conv:o_race", '{"step": "x"}', ex=60)
    won: list[bool] = []
    barrier = threading.Barrier(20)

    def go() -> None:
        barrier.wait()
        won.append(store.take("conv:o_race", '{"step": "x"}'))

    threads = [threading.Thread(target=go) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(won) == [False] * 19 + [True]
    assert store.get("conv:o_race") is None
    store.set("conv:o_race", '{"step": "newer"}', ex=60)
    assert store.take("conv:o_race", '{"step": "x"}') is False  # a newer conversation is not taken
    assert store.get("conv:o_race") == '{"step": "newer"}'
