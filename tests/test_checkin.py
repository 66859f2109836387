"""Check-in: three doors (official-account scan, rotating QR page, 代签) into one service, and every bad input."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import settings_of
from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from bot.infra.db import Unit
from bot.infra.store import StoreUnavailable
from bot.models import Attendance, Meeting
from bot.services.authz import Sender
from bot.services.errors import ServiceError
from bot.services.meetings import checkin, qr
from bot.texts import meetings as T
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 12, 2, 19, 30, tzinfo=SH)
_times = itertools.count(1_790_000_000)



@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    clock.set(START - timedelta(minutes=2))  # 19:28, the window is open
    branch = f.branch(db, name="阳光社工服务中心党支部")
    other = f.branch(db, name="另一个党支部")
    sec = f.secretary(db, branch.id, name="李书记", openid="o_sec")
    zhang = f.member(db, branch.id, name="张三", openid="o_zhang")
    plain = f.member(db, branch.id, name="王五", openid="o_wang")
    outsider = f.member(db, other.id, name="赵六", openid="o_zhao")
    meeting = f.meeting(db, branch.id, START, type="general_meeting", checkin_scene="checkin_test_1")
    return {"branch": branch, "other": other, "sec": sec, "zhang": zhang, "plain": plain,
            "outsider": outsider, "meeting": meeting}


def scan(chat: Chat, openid: str, scene: str, create_time: int | None = None) -> str:
    reply = chat.send(wxxml.scan(openid, scene, create_time=create_time or next(_times)))
    return "" if reply is None else str(reply["Content"])


def records(db: Session, meeting_id: int | None = None) -> list[Attendance]:
    query = select(Attendance).order_by(Attendance.id).execution_options(populate_existing=True)
    if meeting_id is not None:
        query = query.where(Attendance.meeting_id == meeting_id)
    found = list(db.scalars(query))
    db.commit()
    return found


# -- door 1: official-account QR (SCAN / subscribe with qrscene_) --------------------------------
def test_scan_checks_in_and_second_scan_is_friendly(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    assert scan(chat, "o_zhang", "checkin_test_1") == "签到成功，张三，2026-12-02 19:28"
    assert scan(chat, "o_zhang", "checkin_test_1") == "张三，您已于 2026-12-02 19:28 签到，无需重复扫码。"
    [att] = records(db)
    assert (att.member_id, att.channel, att.late, att.entered_by_id) == (world["zhang"].id, "scan", False, None)


def test_subscribe_with_scene_checks_in(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    reply = chat.send(wxxml.subscribe("o_zhang", scene="checkin_test_1", create_time=next(_times)))
    assert reply is not None and reply["Content"] == "签到成功，张三，2026-12-02 19:28"
    assert len(records(db)) == 1


def test_wechat_retries_get_the_same_reply_and_one_record(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    xml = wxxml.scan("o_zhang", "checkin_test_1", create_time=next(_times))
    replies = [chat.post(xml).get_data(as_text=True) for _ in range(3)]
    assert replies[0] == replies[1] == replies[2] and "签到成功，张三" in replies[0]
    assert len(records(db)) == 1


def test_retry_without_redis_gets_the_same_success_reply(app: Flask, chat: Chat, db: Session,
                                                         world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    store = app.extensions["store"]

    def down(*_a: Any, **_k: Any) -> Any:
        raise StoreUnavailable("redis is down")

    for name in ("get", "set", "delete", "run"):
        monkeypatch.setattr(store, name, down)
    xml = wxxml.scan("o_zhang", "checkin_test_1", create_time=next(_times))
    first = chat.send(xml)
    again = chat.send(xml)
    assert first is not None and again is not None
    assert first["Content"] == again["Content"] == "签到成功，张三，2026-12-02 19:28"
    [att] = records(db)
    assert att.source_key is not None


def test_late_after_ten_minutes(chat: Chat, db: Session, clock: FrozenClock, world: dict[str, Any]) -> None:
    clock.set(START + timedelta(minutes=10))
    assert scan(chat, "o_zhang", "checkin_test_1") == "签到成功，张三，2026-12-02 19:40"
    clock.set(START + timedelta(minutes=11))
    assert scan(chat, "o_wang", "checkin_test_1") == "签到成功，王五，2026-12-02 19:41（迟到）"
    assert [a.late for a in records(db)] == [False, True]


@pytest.mark.parametrize(("moment", "expected"), [
    (START - timedelta(minutes=31), T.CHK_TOO_EARLY.format(start="12月02日 19:30", opens="19:00")),
    (START + timedelta(hours=2, seconds=1), T.CHK_CLOSED.format(end="12月02日 21:30")),
])
def test_outside_the_window_is_refused(chat: Chat, db: Session, clock: FrozenClock, world: dict[str, Any],
                                       moment: datetime, expected: str) -> None:
    clock.set(moment)
    assert scan(chat, "o_zhang", "checkin_test_1") == expected
    assert records(db) == []


def test_window_edges_are_inside(chat: Chat, db: Session, clock: FrozenClock, world: dict[str, Any]) -> None:
    clock.set(START - timedelta(minutes=30))
    assert scan(chat, "o_zhang", "checkin_test_1").startswith("签到成功")
    clock.set(START + timedelta(hours=2))
    assert scan(chat, "o_wang", "checkin_test_1").startswith("签到成功")


def test_bad_scans_are_refused_with_no_record(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    assert scan(chat, "o_zhao", "checkin_test_1") == T.CHK_NOT_MEMBER.format(branch="阳光社工服务中心党支部")
    assert scan(chat, "o_nobody", "checkin_test_1") == T.CHK_UNBOUND
    assert scan(chat, "o_zhang", "checkin_nonexistent") == T.CHK_SCENE_UNKNOWN
    assert scan(chat, "o_zhang", "") == T.CHK_SCENE_UNKNOWN
    assert records(db) == []


def test_cancelled_and_deleted_meetings_refuse(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    meeting = db.get(Meeting, world["meeting"].id)
    assert meeting is not None
    meeting.status = "cancelled"
    db.commit()
    assert scan(chat, "o_zhang", "checkin_test_1") == T.CHK_CANCELLED
    meeting.status = "deleted"
    db.commit()
    assert scan(chat, "o_zhang", "checkin_test_1") == T.CHK_SCENE_UNKNOWN
    db.delete(meeting)
    db.commit()
    assert scan(chat, "o_zhang", "checkin_test_1") == T.CHK_SCENE_UNKNOWN
    assert records(db) == []


def test_inactive_member_is_refused(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    zhang = db.get(type(world["zhang"]), world["zhang"].id)
    assert zhang is not None
    zhang.active = False
    db.commit()
    assert scan(chat, "o_zhang", "checkin_test_1") == T.CHK_INACTIVE
    assert records(db) == []


def test_mobile_member_registered_with_the_branch_may_check_in(chat: Chat, db: Session,
                                                                world: dict[str, Any]) -> None:
    f.mobile_registration(db, world["outsider"].id, world["branch"].id)
    assert scan(chat, "o_zhao", "checkin_test_1") == "签到成功，赵六，2026-12-02 19:28"


def test_group_and_committee_meetings_admit_only_their_people(chat: Chat, db: Session,
                                                              world: dict[str, Any]) -> None:
    g1 = f.group(db, world["branch"].id, name="第一党小组")
    zhang = db.get(type(world["zhang"]), world["zhang"].id)
    assert zhang is not None
    zhang.group_id = g1.id
    db.commit()
    f.meeting(db, world["branch"].id, START, type="group_meeting", group_id=g1.id, checkin_scene="checkin_group")
    f.meeting(db, world["branch"].id, START, type="committee_meeting", checkin_scene="checkin_committee")
    assert scan(chat, "o_wang", "checkin_group") == T.CHK_NOT_GROUP.format(group="第一党小组")
    assert scan(chat, "o_zhang", "checkin_group").startswith("签到成功")
    assert scan(chat, "o_zhang", "checkin_committee") == T.CHK_NOT_COMMITTEE
    assert scan(chat, "o_sec", "checkin_committee").startswith("签到成功")


# -- door 3: 代签 -----------------------------------------------------------------------------------
def test_manual_entry_records_who_entered_it(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    assert chat.say("o_sec", "代签 张三") == "已为张三代签，2026-12-02 19:28"
    assert chat.say("o_sec", "代签 张三") == "张三已于 2026-12-02 19:28 签到，无需重复登记。"
    [att] = records(db)
    assert (att.member_id, att.channel, att.entered_by_id) == (world["zhang"].id, "manual", world["sec"].id)
    assert chat.say("o_sec", "代签 不存在的人") == T.CHK_MANUAL_NOBODY.format(name="不存在的人")
    assert chat.say("o_sec", "代签 赵六") == T.CHK_MANUAL_NOBODY.format(name="赵六")  # other branch


def test_committee_member_may_enter_but_a_member_may_not(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    f.committee_member(db, world["branch"].id, name="组织委员", openid="o_cm")
    assert chat.say("o_cm", "代签 王五") == "已为王五代签，2026-12-02 19:28"
    assert "没有权限" in chat.say("o_zhang", "代签 王五")
    assert len(records(db)) == 1


def test_sign_out(chat: Chat, db: Session, clock: FrozenClock, world: dict[str, Any]) -> None:
    assert chat.say("o_zhang", "签退") == T.CHK_NOT_CHECKED_IN
    scan(chat, "o_zhang", "checkin_test_1")
    clock.set(START + timedelta(minutes=100))
    assert chat.say("o_zhang", "签退") == "签退成功，张三，2026-12-02 21:10"
    [att] = records(db)
    assert att.signed_out_at is not None


# -- door 2: the rotating QR and the H5 page -------------------------------------------------------
def _token(app: Flask, meeting_id: int, at: datetime) -> str:
    return qr.make_token(meeting_id, at, app.config["SECRET_KEY"], app.config["QR_ROTATE_SECONDS"])


def _h5_checkin(client: FlaskClient, fake: FakeWeChat, meeting_id: int, token: str, openid: str,
                code: str) -> Any:
    first = client.get(f"/meetings/{meeting_id}/checkin", query_string={"t": token})
    if first.status_code != 302:
        return first
    target = urlparse(first.headers["Location"])
    assert target.netloc == "open.weixin.qq.com"
    params = parse_qs(target.query)
    assert params["scope"] == ["snsapi_base"]
    back = urlparse(params["redirect_uri"][0])
    fake.oauth_codes[code] = openid  # WeChat identifies the member and redirects back with a code
    return client.get(back.path, query_string={**{k: v[0] for k, v in parse_qs(back.query).items()}, "code": code})


def test_rotating_qr_page_checks_in_through_oauth(app: Flask, client: FlaskClient, fake_wx: FakeWeChat,
                                                  clock: FrozenClock, db: Session, world: dict[str, Any]) -> None:
    mid = world["meeting"].id
    resp = _h5_checkin(client, fake_wx, mid, _token(app, mid, clock()), "o_zhang", "CODE_A")
    assert resp.status_code == 200
    assert "签到成功，张三，2026-12-02 19:28" in resp.get_data(as_text=True)
    resp = _h5_checkin(client, fake_wx, mid, _token(app, mid, clock()), "o_zhang", "CODE_B")
    assert "您已于 2026-12-02 19:28 签到" in resp.get_data(as_text=True)
    [att] = records(db)
    assert att.channel == "rotating"


def test_rotating_bad_tokens(app: Flask, client: FlaskClient, fake_wx: FakeWeChat, clock: FrozenClock,
                             db: Session, world: dict[str, Any]) -> None:
    mid = world["meeting"].id
    other = f.meeting(db, world["branch"].id, START, type="party_lecture")
    good = _token(app, mid, clock())
    mid_s, window, sig = good.split(".")
    tampered = [f"{mid_s}.{int(window) + 1}.{sig}", f"{mid_s}.{window}.{'A' * 22}", "garbage", "",
                f"{other.id}.{window}.{sig}"]
    for token in tampered:
        resp = _h5_checkin(client, fake_wx, mid, token, "o_zhang", "CODE_T")
        assert resp.status_code == 400 and T.QR_BAD in resp.get_data(as_text=True), token
    resp = _h5_checkin(client, fake_wx, mid, _token(app, other.id, clock()), "o_zhang", "CODE_O")
    assert resp.status_code == 400 and T.QR_OTHER_MEETING in resp.get_data(as_text=True)
    old = _token(app, mid, clock() - timedelta(seconds=31))
    resp = _h5_checkin(client, fake_wx, mid, old, "o_zhang", "CODE_E")
    assert resp.status_code == 400 and "已过期" in resp.get_data(as_text=True)
    resp = _h5_checkin(client, fake_wx, mid, _token(app, mid, clock()), "o_zhao", "CODE_X")
    assert resp.status_code == 403 and "不是阳光社工服务中心党支部的党员" in resp.get_data(as_text=True)
    resp = _h5_checkin(client, fake_wx, mid, _token(app, mid, clock()), "o_unknown", "CODE_U")
    assert resp.status_code == 403 and T.CHK_UNBOUND in resp.get_data(as_text=True)
    # a code WeChat never issued
    resp = client.get(f"/meetings/{mid}/checkin", query_string={"t": _token(app, mid, clock()), "code": "FORGED"})
    assert resp.status_code == 400 and T.OAUTH_FAILED in resp.get_data(as_text=True)
    assert records(db) == []


def test_forwarded_screenshot_stops_working(app: Flask, client: FlaskClient, fake_wx: FakeWeChat,
                                            clock: FrozenClock, db: Session, world: dict[str, Any]) -> None:
    mid = world["meeting"].id
    shot = _token(app, mid, clock())
    clock.advance(seconds=14)
    assert _h5_checkin(client, fake_wx, mid, shot, "o_zhang", "C1").status_code == 200  # still fresh
    clock.advance(seconds=17)
    resp = _h5_checkin(client, fake_wx, mid, shot, "o_wang", "C2")
    assert resp.status_code == 400 and "已过期" in resp.get_data(as_text=True)
    assert len(records(db)) == 1


# -- one service behind every door ------------------------------------------------------------------
def test_all_three_doors_call_the_one_service(app: Flask, chat: Chat, client: FlaskClient, fake_wx: FakeWeChat,
                                              clock: FrozenClock, db: Session, world: dict[str, Any],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = checkin.check_in

    def spy(*args: Any, **kwargs: Any) -> checkin.CheckinResult:
        calls.append(kwargs["channel"])
        return real(*args, **kwargs)

    monkeypatch.setattr(checkin, "check_in", spy)
    scan(chat, "o_zhang", "checkin_test_1")
    mid = world["meeting"].id
    _h5_checkin(client, fake_wx, mid, _token(app, mid, clock()), "o_wang", "CODE_S")
    chat.say("o_sec", "代签 李书记")
    assert calls == ["scan", "rotating", "manual"]
    assert {a.channel for a in records(db)} == {"scan", "rotating", "manual"}


def test_fifty_members_scanning_three_times_each_make_fifty_records(chat: Chat, db: Session,
                                                                      world: dict[str, Any]) -> None:
    people = [f.member(db, world["branch"].id, name=f"队员{i}", openid=f"o_burst_{i}") for i in range(50)]
    for person in people:
        xml = wxxml.scan(person.openid or "", "checkin_test_1", create_time=next(_times))
        replies = {chat.post(xml).get_data(as_text=True) for _ in range(3)}
        assert len(replies) == 1 and f"签到成功，{person.name}" in replies.pop()
    assert len(records(db, world["meeting"].id)) == 50


def test_concurrent_scans_of_one_member_make_one_record(app: Flask, world: dict[str, Any], db: Session) -> None:
    database = app.extensions["db"]
    results: list[Any] = []
    barrier = threading.Barrier(4)

    def go(i: int) -> None:
        barrier.wait()
        try:
            with database.transaction() as session:
                meeting = session.get(Meeting, world["meeting"].id)
                member = session.get(type(world["zhang"]), world["zhang"].id)
                assert meeting is not None and member is not None
                results.append(checkin.check_in(Unit.joining(session), meeting=checkin.MeetingRef.of(meeting),
                                                member=Sender.of(member), now=START,
                                                channel="scan", settings=settings_of(app.config), source_key=f"k{i}"))
        except ServiceError as exc:  # pragma: no cover - would be a bug
            results.append(exc)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 4 and all(isinstance(r, checkin.CheckinResult) for r in results)
    assert sum(1 for r in results if r.created) == 1
    assert len(records(db)) == 1


def test_concurrent_scans_through_the_webhooks_unit_make_one_record(app: Flask, world: dict[str, Any],
                                                                     db: Session) -> None:
    """The webhook's path: each scan's record is one statement committed on its own (Unit.write), racing
    the others; the unique constraint lets one in, the rest read it and answer as a repeat. Copies of the
    same WeChat message (same source key) all get the success reply."""
    database = app.extensions["db"]
    results: dict[int, Any] = {}
    barrier = threading.Barrier(6)

    def go(i: int) -> None:
        barrier.wait()
        try:
            with app.app_context(), database.action() as unit:
                scan = checkin.scan_lookup(unit, "checkin_test_1", "o_zhang")
                results[i] = checkin.check_in(unit, meeting=scan.meeting, member=scan.member, now=START,
                                              channel="scan", settings=settings_of(app.config),
                                              source_key="same" if i % 2 else f"k{i}")
                assert unit.sealed  # the write, or the attempt that found the record, ended the action's writing
        except ServiceError as exc:  # pragma: no cover - would be a bug
            results[i] = exc

    threads = [threading.Thread(target=go, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 6 and all(isinstance(r, checkin.CheckinResult) for r in results.values())
    assert sum(1 for r in results.values() if r.created) == 1
    assert len({r.attendance_id for r in results.values()}) == 1
    [att] = records(db)
    copies = [T.checkin_reply(results[i], settings_of(app.config)) for i in range(1, 6, 2)]
    if att.source_key == "same":  # a copy of the repeated message won: all its copies read success
        assert all(m == "签到成功，张三，2026-12-02 19:30" for m in copies)
    else:
        assert all(m.endswith("无需重复扫码。") for m in copies)


def test_a_scan_that_lost_the_race_reads_the_first_record(app: Flask, db: Session, world: dict[str, Any]) -> None:
    """Another scan of the same member committed first: the unique constraint makes ours insert nothing,
    the transaction lives on, and the member reads the friendly repeat answer."""
    f.attendance(db, world["meeting"].id, world["zhang"].id, START - timedelta(minutes=5), source_key="first")
    with app.extensions["db"].transaction() as session:
        meeting = session.get(Meeting, world["meeting"].id)
        member = session.get(type(world["zhang"]), world["zhang"].id)
        assert meeting is not None and member is not None
        result = checkin.check_in(Unit.joining(session), meeting=checkin.MeetingRef.of(meeting),
                                  member=Sender.of(member), now=START,
                                  channel="scan", settings=settings_of(app.config), source_key="second")
        assert session.scalar(select(func.count()).select_from(Attendance)) == 1  # the transaction lives on
    assert not result.created and "无需重复扫码" in T.checkin_reply(result, settings_of(app.config))
    assert len(records(db)) == 1
