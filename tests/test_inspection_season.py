"""A whole 年检 season (27 February to 2 June 2026) driven by a frozen clock through the real scheduler and
dispatcher against the fake WeChat: 30, 7 and 1 days before each deadline the secretary of the branch (an
organization without a branch: its liaison) of each organization not yet filed is reminded, once per step
however often the sweep runs, never in quiet hours, held over a public holiday, and no longer once the
step is filed (a reminder already waiting in the outbox included); 换届 reminded once per term end."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from bot.models import Notification
from bot.services.authz import Operator
from bot.services.inspection import filing
from tests import factories as f
from tests.sched_util import L, Sent, step

KINDS = ("inspection_due", "board_term_due")


def _file(app: Flask, org_id: int, at: datetime, **filed: date) -> Callable[[], None]:
    def go() -> None:
        with app.app_context(), app.extensions["db"].transaction() as session:
            filing.record(session, actor=Operator(who="test"), organization_id=org_id, year=2025,
                          filed_supervisor=filed.get("supervisor"), filed_registrar=filed.get("registrar"),
                          party_section_filed=True, result=None, now=at, settings=app.config)  # type: ignore[arg-type]
    return go


@pytest.mark.slow
def test_a_season_of_inspection_reminders(app: Flask, db: Any, clock: FrozenClock, fake_wx: FakeWeChat) -> None:
    c = f.committee(db, name="某区社会组织综合党委")
    br_a = f.branch(db, c.id, name="甲协会党支部")
    br_j = f.branch(db, c.id, name="丙丁联合党支部", formation="joint")
    f.secretary(db, br_a.id, name="书记甲")
    f.secretary(db, br_j.id, name="书记丙")
    a = f.social_org(db, c.id, br_a.id, name="甲协会", board_term_ends=date(2025, 12, 1))  # ended
    long_name = "某区星光社会工作服务中心（民办非企业单位）暨社区志愿者联合会"
    b = f.social_org(db, c.id, None, name=long_name, board_term_ends=date(2026, 8, 20))  # due from 5月22日
    cc = f.social_org(db, c.id, br_j.id, name="丙协会")
    f.social_org(db, c.id, br_j.id, name="丁协会", board_term_ends=date(2026, 6, 30))  # due from 4月1日
    liaison = f.member(db, None, name="联络员乙", roles=(("liaison", "organization", b.id),))
    f.member(db, br_a.id, name="党员戊")  # a plain member: never reminded

    events = {
        L(2026, 2, 28, 10): _file(app, cc.id, L(2026, 2, 28, 10), registrar=date(2026, 2, 28)),  # straight away
        L(2026, 3, 20, 10): _file(app, a.id, L(2026, 3, 20, 10), supervisor=date(2026, 3, 20)),
        # 5月1日's 30-day reminder waits for the end of the Labour Day break (5月6日 09:00); 甲 files on 5月3日
        L(2026, 5, 3, 10): _file(app, a.id, L(2026, 5, 3, 10), registrar=date(2026, 5, 3)),
    }
    extra_days = {date(2026, 3, 1), date(2026, 3, 24), date(2026, 3, 30), date(2026, 5, 1), date(2026, 5, 24),
                  date(2026, 5, 30)}
    sent: list[Sent] = []
    day = date(2026, 2, 27)
    while day <= date(2026, 6, 2):
        hours = (6, 9, 10, 15, 23) if day in extra_days else (9, 10)
        for hour in hours:
            at = L(day.year, day.month, day.day, hour)
            if at in events:
                events[at]()
            sent += [s for s in step(app, clock, at) if s.kind in KINDS]
        day += timedelta(days=1)

    A, C, LB = "书记甲", "书记丙", "联络员乙"
    expected = [
        ("02-27 09:00", A, "board_term_due"),  # 甲's term ended in 2025
        # 业务主管单位 3月31日: 甲 (until it filed on 3月20日), 乙 (its liaison), 丁 (丙 filed with the registrar)
        ("03-01 09:00", A, "inspection_due"), ("03-01 09:00", LB, "inspection_due"),
        ("03-01 09:00", C, "inspection_due"),
        ("03-24 09:00", LB, "inspection_due"), ("03-24 09:00", C, "inspection_due"),
        ("03-30 09:00", LB, "inspection_due"), ("03-30 09:00", C, "inspection_due"),
        ("04-01 09:00", C, "board_term_due"),  # 丁's term ends 6月30日: 90 days
        # 登记管理机关 5月31日: due on 5月1日, a holiday: sent on 5月6日, no longer to 甲 (filed 5月3日)
        ("05-06 09:00", LB, "inspection_due"), ("05-06 09:00", C, "inspection_due"),
        ("05-22 09:00", LB, "board_term_due"),  # 乙 has no branch: its liaison
        ("05-24 09:00", LB, "inspection_due"), ("05-24 09:00", C, "inspection_due"),
        ("05-30 09:00", LB, "inspection_due"), ("05-30 09:00", C, "inspection_due"),
    ]
    assert Counter((s.at, s.to, s.kind) for s in sent) == Counter(expected)

    def text(at: str, to: str) -> list[str]:
        return [s.text for s in sent if (s.at, s.to) == (at, to)]

    assert text("03-24 09:00", C) == [
        "丁协会2025年度年检报告须在3月31日前报送业务主管单位（还有7天），请及时报送并填写党建工作情况。"]
    assert text("05-06 09:00", LB) == [
        f"{long_name}2025年度年检报告须在5月31日前报送登记管理机关（还有25天），请及时报送并填写党建工作情况。"]
    assert text("05-30 09:00", C) == [
        "丁协会2025年度年检报告须在5月31日前报送登记管理机关（还有1天），请及时报送并填写党建工作情况。"]
    assert text("02-27 09:00", A) == ["甲协会理事会任期已于2025年12月1日届满，尚未换届，请尽快组织换届。"]
    assert text("05-22 09:00", LB) == [
        f"{long_name}理事会任期将于2026年8月20日届满（还有90天），请提前做好换届准备并按期换届。"]
    # 甲's 30-day reminder written on 5月1日 never went out: it is not in the outbox any more.
    rows = list(db.scalars(select(Notification).where(Notification.kind == "inspection_due",
                                                      Notification.slot == "registrar:d30")))
    db.commit()
    assert len(rows) == 2 and all(r.status == "sent" for r in rows)
    # Every template message passed the fake WeChat's field rules with the long name, and links its page.
    received = [item for box in fake_wx.inbox.values() for item in box
                if item["data"].get("thing1", {}).get("value") in ("年检报告待报送", "社会组织换届提醒")]
    assert len(received) == len(sent)
    for item in received:
        assert all(len(v["value"]) <= 20 and "\n" not in v["value"] for v in item["data"].values())
        assert "/n/" in str(item["url"])
    assert liaison.openid in fake_wx.inbox


def test_a_reminder_going_out_on_the_deadline_says_today(app: Flask) -> None:
    from bot.texts import render

    params = {"organization_id": 1, "org": "星光协会", "year": 2025, "which": "supervisor",
              "deadline": "2026-03-31", "days": 0}
    said = render("inspection_due", params, app.config)  # type: ignore[arg-type]
    assert said.text == "星光协会2025年度年检报告今天（3月31日）须报送业务主管单位，请及时报送并填写党建工作情况。"
    assert said.fields == {"title": "年检报告待报送", "topic": "星光协会", "deadline": "2026年3月31日"}
