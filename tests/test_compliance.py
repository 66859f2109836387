"""The compliance engine: required / held with quorum / held without quorum / missing, per branch and period."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.config import ConfigError, Settings, load, settings_of
from bot.infra.clock import FrozenClock
from bot.services.authz import Operator
from bot.services.meetings.compliance import branch_compliance, period_bounds, subtree_compliance
from tests import factories as f
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
OPERATOR = Operator(who="test")


def at(mo: int, d: int, h: int = 19) -> datetime:
    return datetime(2026, mo, d, h, 30, tzinfo=SH)



def _full_branch(db: Session, committee_id: int | None = None, name: str | None = None) -> dict[str, Any]:
    kw = {"name": name} if name else {}
    branch = f.branch(db, committee_id, **kw)
    f.group(db, branch.id, name="第一党小组")
    sec = f.secretary(db, branch.id, name="李书记", openid=f"o_sec_{branch.id}")
    cms = [f.member(db, branch.id, is_committee_member=True) for _ in range(2)]
    plain = [f.member(db, branch.id) for _ in range(3)]
    f.member(db, branch.id, status="probationary")  # 预备党员: not a voter
    return {"branch": branch, "sec": sec, "cms": cms, "plain": plain}


def _meet(db: Session, branch_id: int, mtype: str, when: datetime, attendees: list[Any], **kw: Any) -> Any:
    m = f.meeting(db, branch_id, when, type=mtype, **kw)
    for person in attendees:
        f.attendance(db, m.id, person.id, when)
    return m


def test_periods() -> None:
    settings: Settings = {"TZ": "Asia/Shanghai"}
    assert period_bounds(NOW, "month", settings)[:2] == ("2026-11", datetime(2026, 11, 1, tzinfo=SH))
    label, start, end = period_bounds(datetime(2026, 12, 31, 23, 0, tzinfo=SH), "quarter", settings)
    assert (label, start, end) == ("2026Q4", datetime(2026, 10, 1, tzinfo=SH), datetime(2027, 1, 1, tzinfo=SH))
    assert period_bounds(NOW, "year", settings)[0] == "2026"
    # 2026-11-30 20:00 UTC is already December in Shanghai
    assert period_bounds(datetime(2026, 11, 30, 20, 0, tzinfo=ZoneInfo("UTC")), "month", settings)[0] == "2026-12"


def test_branch_compliance_counts_quorum_from_real_check_ins(app: Flask, db: Session) -> None:
    w = _full_branch(db)
    bid, sec, cms, plain = w["branch"].id, w["sec"], w["cms"], w["plain"]
    _meet(db, bid, "committee_meeting", at(11, 10), [sec, cms[0]])  # 2 of 3 支委: quorum
    _meet(db, bid, "committee_meeting", at(10, 10), [sec, cms[0], cms[1]])  # last month: not this period
    _meet(db, bid, "general_meeting", at(10, 15), [sec, plain[0]])  # 2 of 6 full members: no quorum
    _meet(db, bid, "theme_day", at(11, 5), [])  # no quorum rule
    _meet(db, bid, "party_lecture", at(11, 20), [sec], status="cancelled")  # cancelled: not held
    _meet(db, bid, "group_meeting", at(11, 25), [])  # in the future: not held yet
    bc = branch_compliance(db, actor=OPERATOR, branch=w["branch"], now=NOW, settings=settings_of(app.config))
    items = {i.meeting_type: i for i in bc.items}
    assert set(items) == {"general_meeting", "committee_meeting", "group_meeting", "party_lecture", "theme_day",
                          "life_meeting", "member_appraisal"}
    cm = items["committee_meeting"]
    assert (cm.period_label, cm.required, cm.held_with_quorum, cm.held_without_quorum, cm.missing) == (
        "2026-11", 1, 1, 0, 0)
    gm = items["general_meeting"]
    assert (gm.period_label, gm.held_with_quorum, gm.held_without_quorum, gm.missing) == ("2026Q4", 0, 1, 1)
    assert [(u.present, u.base) for u in gm.unquorate] == [(2, 6)]
    assert items["theme_day"].missing == 0
    assert items["party_lecture"].missing == 1
    assert items["group_meeting"].missing == 1
    assert items["life_meeting"].period_label == "2026"
    assert sorted(bc.missing_types) == ["general_meeting", "group_meeting", "life_meeting", "member_appraisal",
                                        "party_lecture"]
    assert bc.last_activity_at == at(11, 10)


def test_branch_without_committee_or_groups_and_functional_branch(app: Flask, db: Session) -> None:
    plain = f.branch(db, has_committee=False)
    bc = branch_compliance(db, actor=OPERATOR, branch=plain, now=NOW, settings=settings_of(app.config))
    assert {i.meeting_type for i in bc.items} == {"general_meeting", "party_lecture", "theme_day", "life_meeting",
                                                  "member_appraisal"}
    functional = f.branch(db, kind="functional", has_committee=False)
    f.group(db, functional.id)
    bc = branch_compliance(db, actor=OPERATOR, branch=functional, now=NOW, settings=settings_of(app.config))
    assert {i.meeting_type for i in bc.items} == {"party_lecture", "theme_day", "group_meeting"}


def test_subtree_uses_a_fixed_number_of_queries(app: Flask, db: Session) -> None:
    top = f.committee(db, name="区社会组织综合党委")
    sub = f.committee(db, name="行业党委", parent_id=top.id)
    elsewhere = f.committee(db, name="别处党委")
    a = _full_branch(db, top.id, name="甲支部")
    b = _full_branch(db, sub.id, name="乙支部")
    _full_branch(db, elsewhere.id, name="丙支部")
    _meet(db, a["branch"].id, "committee_meeting", at(11, 10), [a["sec"], *a["cms"]])
    db.commit()
    engine = app.extensions["db"].engine
    counted: list[str] = []

    def count(*args: Any, **kw: Any) -> None:
        counted.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        result = subtree_compliance(db, top.id, NOW, settings_of(app.config))
        db.commit()
        small = len(counted)
        for i in range(8):
            _full_branch(db, sub.id, name=f"新支部{i}")
        counted.clear()
        bigger = subtree_compliance(db, top.id, NOW, settings_of(app.config))
        db.commit()
        large = len(counted)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [bc.branch_name for bc in result] == ["甲支部", "乙支部"]
    assert "committee_meeting" not in result[0].missing_types and "committee_meeting" in result[1].missing_types
    assert result[1].committee_id == b["branch"].committee_id
    assert len(bigger) == 10
    assert small == large <= 7


def test_progress_message_tells_the_secretary_why(app: Flask, chat: Chat, db: Session, clock: FrozenClock) -> None:
    app.config["CLOCK"] = clock
    w = _full_branch(db, name="阳光党支部")
    _meet(db, w["branch"].id, "general_meeting", at(10, 15), [w["sec"], w["plain"][0]])
    _meet(db, w["branch"].id, "committee_meeting", at(11, 10), [w["sec"], w["cms"][0]])
    reply = chat.say(f"o_sec_{w['branch'].id}", "本月还差什么")
    assert reply.startswith("阳光党支部 三会一课进度（截至 11月23日）：")
    assert "✓ 支委会（本月 2026-11，应 1 次）：已完成 1 次" in reply
    assert "✗ 支部党员大会（本季度 2026Q4，应 1 次）：还差 1 次" in reply
    assert "10月15日（周四）19:30 的支部党员大会到会 2/6 人，未过半数，不计入" in reply
    assert chat.say(f"o_sec_{w['branch'].id}", "进度") == reply
    member = w["plain"][1]
    assert "没有权限" in chat.say(member.openid, "进度")


def test_meeting_rules_from_json_are_validated() -> None:
    base = {"WECHAT_TOKEN": "abc123", "APP_MODE": "test"}
    cfg = load({**base, "MEETING_RULES_JSON": '{"full": {"theme_day": "month"}, "functional": {}}'})
    assert cfg["MEETING_RULES"] == {"full": {"theme_day": "month"}, "functional": {}}
    assert load(base)["MEETING_RULES"]["full"]["general_meeting"] == "quarter"
    for bad, why in [("{not json", "not valid JSON"), ('{"full": {}}', "functional"),
                     ('{"full": {"tea_party": "month"}, "functional": {}}', "unknown meeting type"),
                     ('{"full": {"theme_day": "weekly"}, "functional": {}}', "period must be one of"),
                     ('["full"]', "must map branch kinds")]:
        with pytest.raises(ConfigError, match=why):
            load({**base, "MEETING_RULES_JSON": bad})
    with pytest.raises(ConfigError, match="QR_TOKEN_TTL"):
        load({**base, "QR_TOKEN_TTL": 5})
