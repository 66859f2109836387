"""A month of branch life driven by a frozen clock, one sweep cycle an hour: every expected notice is
sent once, at the right hour, to the right person, in the right words, and nothing else is sent."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from bot.models import AnnualInspection, LeaveRequest, Meeting, ReviewSubmission, VolunteerRecord
from tests import factories as f
from tests.sched_util import SH, L, Sent, step, stub_compliance

REGISTRAR = "某市民政局"


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"INSPECTION_DEADLINES": {REGISTRAR: {"supervisor": "12-10", "registrar": "12-20"}}}


def _compliance(branch_id: int, committee_id: int) -> Any:
    """The meetings work's contract: November lacks a 支委会; December also this quarter's 党员大会."""
    def subtree(session: Session, committee_id_: int, now: Any, settings: Any) -> list[Any]:
        local = now.astimezone(SH)
        month_start = L(local.year, local.month, 1)
        month_end = L(local.year + local.month // 12, local.month % 12 + 1, 1)
        items = [SimpleNamespace(meeting_type="committee_meeting", period="month", period_label="m",
                                 period_start=month_start, period_end=month_end, required=1,
                                 held_with_quorum=0, held_without_quorum=0, missing=1)]
        if local.month == 12:
            items.append(SimpleNamespace(meeting_type="general_meeting", period="quarter", period_label="q",
                                         period_start=L(2026, 10, 1), period_end=L(2027, 1, 1), required=1,
                                         held_with_quorum=0, held_without_quorum=0, missing=1))
        if committee_id_ != committee_id:
            return []
        return [SimpleNamespace(branch_id=branch_id, branch_name="星光协会党支部", committee_id=committee_id,
                                items=items, last_activity_at=L(2026, 11, 25, 14, 30))]
    return subtree


def test_a_month_of_reminders(app: Flask, db: Session, clock: FrozenClock, fake_wx: FakeWeChat,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    c = f.committee(db, name="某区社会组织综合党委")
    b = f.branch(db, c.id, name="星光协会党支部")
    f.admin(db, c.id, name="管理员甲")
    sec = f.secretary(db, b.id, name="书记乙")
    m1 = f.member(db, b.id, name="党员丙")
    f.member(db, b.id, name="党员丁", openid=None)  # cannot receive anything: goes to the secretary
    org = f.social_org(db, c.id, b.id, name="星光协会", registrar=REGISTRAR)
    f.social_org(db, c.id, None, name="另一协会")  # default deadlines (3月31日/5月31日): already past
    liaison = f.member(db, None, name="联络员戊", roles=(("liaison", "organization", org.id),))
    stub_compliance(monkeypatch, _compliance(b.id, c.id))

    m_theme = f.meeting(db, b.id, L(2026, 11, 25, 14, 30), type="theme_day", topic="学习党的二十届四中全会精神",
                        place="党员活动室")
    m_committee = f.meeting(db, b.id, L(2026, 11, 30, 8, 0), type="committee_meeting", place="会议室")
    f.rectification(db, c.id, sec.id, date(2026, 12, 1), problem="三会一课记录不规范")
    f.rectification(db, c.id, sec.id, date(2026, 11, 28), status="closed")
    f.rectification(db, c.id, m1.id, date(2026, 12, 10), status="awaiting_verification",
                         problem="党费收缴台账缺失")
    vol = f.volunteer_record(db, m1.id, sec.id, date(2026, 11, 21))
    rnd = f.review_round(db, c.id, L(2026, 12, 15, 18, 0))

    def leave_asked() -> None:
        f.leave_request(db, m_theme.id, m1.id, created_at=L(2026, 11, 23, 10, 0))

    def leave_approved() -> None:
        db.execute(update(LeaveRequest).values(status="approved", decided_at=L(2026, 11, 24, 10, 0)))
        db.commit()

    def volunteer_confirmed() -> None:
        db.execute(update(VolunteerRecord).where(VolunteerRecord.id == vol.id)
                   .values(status="confirmed", confirmed_at=L(2026, 11, 25, 10, 0)))
        db.commit()

    def minutes_recorded() -> None:
        db.execute(update(Meeting).where(Meeting.id == m_committee.id).values(recorded_at=L(2026, 11, 30, 10, 0)))
        db.commit()

    def supervisor_filed() -> None:
        db.execute(update(AnnualInspection).where(AnnualInspection.organization_id == org.id)
                   .values(supervisor_filed_on=date(2026, 12, 5)))
        db.commit()

    def review_submitted() -> None:
        db.add(ReviewSubmission(round_id=rnd.id, branch_id=b.id, secretary_id=sec.id, text="述职报告",
                                submitted_at=L(2026, 12, 10, 10, 0)))
        db.commit()

    events = {L(2026, 11, 23, 10): leave_asked, L(2026, 11, 24, 10): leave_approved,
              L(2026, 11, 25, 10): volunteer_confirmed, L(2026, 11, 30, 10): minutes_recorded,
              L(2026, 12, 5, 10): supervisor_filed, L(2026, 12, 10, 10): review_submitted}

    sent: list[Sent] = []
    at, end = L(2026, 11, 23, 9), L(2026, 12, 22, 12)
    while at <= end:
        if at in events:
            events[at]()
        sent += step(app, clock, at)
        at += timedelta(hours=1)

    S, A, M1, L5 = "书记乙", "管理员甲", "党员丙", "联络员戊"
    expected = [
        ("11-23 09:00", A, "digest"),
        ("11-23 09:00", S, "compliance_gap"),
        ("11-23 09:00", S, "inspection_due"), ("11-23 09:00", L5, "inspection_due"),  # 业务主管单位, 17 days
        ("11-23 09:00", S, "inspection_due"), ("11-23 09:00", L5, "inspection_due"),  # 登记管理机关, 27 days
        ("11-23 09:00", S, "volunteer_pending"),
        ("11-23 11:00", S, "leave_pending"),
        ("11-24 09:00", S, "leave_pending"),
        ("11-24 09:00", S, "rectification_due"),
        ("11-24 09:00", S, "volunteer_pending"),
        ("11-24 15:00", S, "meeting_reminder"), ("11-24 15:00", S, "fallback"),  # 党员丁's, via the secretary
        ("11-25 09:00", S, "volunteer_pending"),
        ("11-25 14:00", S, "meeting_reminder"), ("11-25 14:00", S, "fallback"),
        ("11-26 09:00", S, "minutes_reminder"),
        ("11-29 08:00", S, "meeting_reminder"),  # 支委会: committee members only
        ("11-30 07:00", S, "meeting_reminder"),  # 1 hour before: urgent, quiet hours or not
        ("11-30 09:00", A, "digest"),
        ("11-30 09:00", S, "rectification_due"),
        ("12-02 09:00", S, "rectification_overdue"), ("12-02 09:00", A, "rectification_overdue"),
        ("12-03 09:00", S, "inspection_due"), ("12-03 09:00", L5, "inspection_due"),
        ("12-07 09:00", A, "digest"),
        ("12-08 09:00", S, "review_due"),
        ("12-11 09:00", M1, "rectification_overdue"), ("12-11 09:00", A, "rectification_overdue"),
        ("12-13 09:00", S, "inspection_due"), ("12-13 09:00", L5, "inspection_due"),
        ("12-14 09:00", A, "digest"),
        ("12-19 09:00", S, "inspection_due"), ("12-19 09:00", L5, "inspection_due"),
        ("12-20 09:00", S, "compliance_gap"),
        ("12-21 09:00", A, "digest"),
    ]
    assert Counter((s.at, s.to, s.kind) for s in sent) == Counter(expected)

    def text(at: str, to: str, kind: str) -> list[str]:
        return [s.text for s in sent if (s.at, s.to, s.kind) == (at, to, kind)]

    assert text("11-24 15:00", S, "meeting_reminder") == [
        "会议提醒：主题党日将于11月25日14:30在党员活动室召开，主题：学习党的二十届四中全会精神，请准时参加。"
        "不能参加请回复“请假”。"]
    assert "党员丁同志暂时无法接收微信通知" in text("11-24 15:00", S, "fallback")[0]
    assert "支委会将于11月30日08:00在会议室召开" in text("11-29 08:00", S, "meeting_reminder")[0]
    assert text("11-23 11:00", S, "leave_pending") == [
        "星光协会党支部有1条请假申请等待审批，请回复“同意”或“不同意”处理。"]
    assert "11月25日14:30的主题党日还没有录入会议记录" in text("11-26 09:00", S, "minutes_reminder")[0]
    assert text("11-24 09:00", S, "rectification_due") == [
        "整改事项“三会一课记录不规范”（#1）将于12月1日到期（还有7天），请抓紧整改；"
        "完成后回复“整改 1 已完成 说明”并发送佐证照片，再回复“提交”送验收。"]
    assert "还有1天" in text("11-30 09:00", S, "rectification_due")[0]
    assert text("12-11 09:00", A, "rectification_overdue") == [
        "整改事项“党费收缴台账缺失”（党员丙负责）已于12月10日逾期未销号，请督促整改。"]
    inspections = sorted(text("11-23 09:00", L5, "inspection_due"))
    assert inspections == sorted([
        "星光协会2025年度年检报告须在12月10日前报送业务主管单位（还有17天），请及时报送并填写党建工作情况。",
        "星光协会2025年度年检报告须在12月20日前报送登记管理机关（还有27天），请及时报送并填写党建工作情况。"])
    assert "12月20日前报送登记管理机关（还有1天）" in text("12-19 09:00", S, "inspection_due")[0]
    assert "还有7天" in text("12-08 09:00", S, "review_due")[0] and "星光协会党支部尚未提交" in text(
        "12-08 09:00", S, "review_due")[0]
    assert text("11-23 09:00", S, "compliance_gap") == [
        "星光协会党支部本月尚未开展：支委会。请在11月30日前安排，回复安排会议即可发布通知，"
        "例如：下周三晚上7点半开支委会，地点三楼会议室。"]
    assert text("12-20 09:00", S, "compliance_gap") == [
        "星光协会党支部本季度尚未开展：支委会、支部党员大会。请在12月31日前安排，回复安排会议即可发布通知，"
        "例如：下周三晚上7点半开支委会，地点三楼会议室。"]
    digest = text("11-30 09:00", A, "digest")[0]
    # labelled with the calendar week it counts (issue 12): 11-30's 08:00 支委会 belongs to the next one
    assert "（11月23日—11月29日）" in digest and "召开会议1次，涉及1个支部" in digest
    assert "本周未能送达的通知2条" in digest
    assert "整改事项未销号2项，其中逾期0项" in digest
    assert "（11月30日—12月6日）" in text("12-07 09:00", A, "digest")[0]
    assert "召开会议1次" in text("12-07 09:00", A, "digest")[0]  # 11-30's 支委会, in the week it was held

    # What the fake WeChat received matches the outbox, message for message: template messages with
    # one-line fields of at most 20 characters.
    received = [item for box in fake_wx.inbox.values() for item in box]
    assert len(received) == len(sent)
    assert {item["channel"] for item in received} == {"template"}
    for item in received:
        for value in item["data"].values():
            assert len(value["value"]) <= 20 and "\n" not in value["value"]
    assert liaison.openid in fake_wx.inbox
    # issue 12: every template message links to its notice page; the digest's keywords carry its figures
    assert all("/n/" in str(item["url"]) and "?k=" in str(item["url"]) for item in received)
    digests = [item["data"] for item in received if item["data"].get("thing2", {}).get("value") == "11月23日—11月29日"]
    assert digests == [{"thing1": {"value": "某区社会组织综合党委"}, "thing2": {"value": "11月23日—11月29日"},
                        "thing3": {"value": "开会1次，1个支部未达标"}, "number4": {"value": "0"},
                        "number5": {"value": "2"}}]
