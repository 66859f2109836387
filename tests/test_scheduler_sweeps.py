"""Sweeps one by one: quiet hours and holidays move non-urgent notices, a second run writes nothing,
and the compliance sweep reads the meetings work's compliance service."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import ConfigError, Settings, load, settings_of
from bot.models import Notification
from bot.services.notify.timing import is_public_holiday, next_allowed
from bot.texts import render
from scheduler.sweeps import ALL_SWEEPS, sweep_meetings, sweep_rectification
from scheduler.sweeps.digest import sweep_digest
from tests import factories as f
from tests.sched_util import SH, L

CN: Settings = {"TZ": "Asia/Shanghai", "QUIET_HOURS": "22:00-07:30", "HOLIDAY_COUNTRY": "CN"}


def _rows(db: Session, kind: str) -> list[Notification]:
    rows = list(db.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))
    db.commit()
    return rows


@pytest.mark.parametrize(("moment", "allowed"), [
    (L(2026, 11, 23, 10, 0), L(2026, 11, 23, 10, 0)),  # an ordinary Monday morning
    (L(2026, 11, 23, 23, 0), L(2026, 11, 24, 7, 30)),  # quiet hours → their end
    (L(2026, 11, 24, 6, 0), L(2026, 11, 24, 7, 30)),
    (L(2026, 11, 21, 10, 0), L(2026, 11, 21, 10, 0)),  # an ordinary Saturday is not a holiday
    (L(2026, 10, 1, 10, 0), L(2026, 10, 8, 7, 30)),  # 国庆: 10-01…10-07, including Sunday 10-04
    (L(2026, 2, 14, 10, 0), L(2026, 2, 14, 10, 0)),  # Saturday 02-14 is a 调休 working day
    (L(2026, 2, 15, 10, 0), L(2026, 2, 24, 7, 30)),  # 春节: the Sunday before the break belongs to it
    (L(2026, 12, 31, 23, 0), L(2027, 1, 4, 7, 30)),  # 元旦 2027 (01-01…01-03)
])
def test_next_allowed(moment: Any, allowed: Any) -> None:
    assert next_allowed(moment, CN) == allowed


def test_2026_holidays_come_from_the_holidays_package() -> None:
    days = [date(2026, 1, 1), date(2026, 2, 17), date(2026, 4, 5), date(2026, 5, 1), date(2026, 6, 19),
            date(2026, 9, 25), date(2026, 10, 1)]
    assert all(is_public_holiday(d, CN) for d in days)
    assert not is_public_holiday(date(2026, 9, 20), CN)  # Sunday, a 调休 working day before 国庆
    assert not is_public_holiday(date(2026, 11, 22), CN)


@pytest.mark.parametrize(("key", "value"), [
    ("QUIET_HOURS", "22-7"), ("MEETING_REMINDERS", "24,abc"), ("DIGEST_TIME", "someday 08:30"),
    ("SEND_BACKOFF", "0"), ("INSPECTION_DEADLINES", '{"某局": {"supervisor": "13-40"}}'),
    ("TEMPLATE_IDS", "[1, 2]"), ("MAX_SEND_ATTEMPTS", "0"),
])
def test_bad_settings_fail_at_start_with_a_reason(key: str, value: str) -> None:
    with pytest.raises(ConfigError, match=key):
        load({"WECHAT_TOKEN": "abc", "APP_MODE": "test", key: value})


def test_reminder_for_a_late_meeting_waits_for_the_morning(app: Flask, db: Session) -> None:
    b = f.branch(db)
    m = f.member(db, b.id)
    meeting = f.meeting(db, b.id, L(2026, 11, 25, 22, 30), type="theme_day")
    with app.extensions["db"].transaction() as s:
        assert sweep_meetings(s, L(2026, 11, 24, 22, 40), settings_of(app.config)) == 1
    with app.extensions["db"].transaction() as s:  # a second run, or a second scheduler, writes nothing
        assert sweep_meetings(s, L(2026, 11, 24, 22, 50), settings_of(app.config)) == 0
    [row] = _rows(db, "meeting_reminder")
    assert (row.recipient_id, row.subject_id, row.slot) == (m.id, meeting.id, "24h:r1")
    assert row.due_at == L(2026, 11, 25, 7, 30) and not row.urgent


def test_holiday_meeting_reminders_are_not_held_past_the_meeting(app: Flask, db: Session) -> None:
    b = f.branch(db)
    f.member(db, b.id)
    f.meeting(db, b.id, L(2026, 10, 3, 9, 0), type="theme_day")
    with app.extensions["db"].transaction() as s:
        sweep_meetings(s, L(2026, 10, 2, 9, 0), settings_of(app.config))
    [row] = _rows(db, "meeting_reminder")
    assert row.due_at == L(2026, 10, 2, 9, 0) and row.urgent


def test_a_moved_meeting_is_reminded_again(app: Flask, db: Session) -> None:
    b = f.branch(db)
    f.member(db, b.id)
    meeting = f.meeting(db, b.id, L(2026, 11, 25, 10, 0), type="theme_day")
    with app.extensions["db"].transaction() as s:
        sweep_meetings(s, L(2026, 11, 24, 10, 0), settings_of(app.config))
    meeting.starts_at, meeting.revision = L(2026, 11, 25, 15, 0), 2
    db.commit()
    with app.extensions["db"].transaction() as s:
        assert sweep_meetings(s, L(2026, 11, 24, 15, 0), settings_of(app.config)) == 1
    assert [r.slot for r in _rows(db, "meeting_reminder")] == ["24h:r1", "24h:r2"]


def test_overdue_items_are_flagged_once_even_if_the_scheduler_was_down(app: Flask, db: Session) -> None:
    c = f.committee(db)
    owner = f.member(db, f.branch(db, c.id).id)
    admin = f.admin(db, c.id)
    f.rectification(db, c.id, owner.id, date(2026, 11, 20))
    f.rectification(db, c.id, owner.id, date(2026, 11, 1))  # long overdue before this ran: not flooded
    with app.extensions["db"].transaction() as s:
        assert sweep_rectification(s, L(2026, 11, 23, 10, 0), settings_of(app.config)) == 2
        assert sweep_rectification(s, L(2026, 11, 23, 11, 0), settings_of(app.config)) == 0
    assert {r.recipient_id for r in _rows(db, "rectification_overdue")} == {owner.id, admin.id}


def _text(row: Notification, app: Flask) -> str:
    return render(row.kind, row.payload, settings_of(app.config)).text


def test_every_sweep_runs_on_an_empty_database(app: Flask) -> None:
    for name, sweep in ALL_SWEEPS.items():
        with app.extensions["db"].transaction() as s:
            assert sweep(s, L(2026, 11, 23, 9, 0), settings_of(app.config)) == 0, name


def test_compliance_sweep_with_the_compliance_service(app: Flask, db: Session) -> None:
    c = f.committee(db)
    b = f.branch(db, c.id, name="晨曦支部", created_at=L(2026, 1, 1).astimezone(SH))
    sec = f.secretary(db, b.id)
    admin = f.admin(db, c.id)
    with app.extensions["db"].transaction() as s:
        assert ALL_SWEEPS["compliance"](s, L(2026, 11, 19, 10, 0), settings_of(app.config)) >= 1  # inactive: flagged
    assert [r.recipient_id for r in _rows(db, "compliance_gap")] == []
    assert [r.recipient_id for r in _rows(db, "branch_inactive")] == [admin.id]
    assert "晨曦支部还没有任何组织生活记录" in _text(_rows(db, "branch_inactive")[0], app)
    with app.extensions["db"].transaction() as s:
        ALL_SWEEPS["compliance"](s, L(2026, 11, 20, 10, 0), settings_of(app.config))
    [gap] = _rows(db, "compliance_gap")
    assert gap.recipient_id == sec.id and gap.slot == "2026-11"
    gap_text = _text(gap, app)
    assert gap_text.startswith("晨曦支部本月尚未开展：") and "支委会" in gap_text and "主题党日" in gap_text
    assert gap.due_at == L(2026, 11, 20, 10, 0) + timedelta(0)


def test_mobile_members_are_reminded_of_their_host_branch_meetings(app: Flask, db: Session) -> None:
    """A 流动党员 registered with a host branch may check in at its meetings, so is reminded of them;
    not of its 支委会 or 小组会, which are not theirs."""
    home, host = f.branch(db), f.branch(db)
    mobile = f.member(db, home.id, name="流动党员甲")
    f.mobile_registration(db, mobile.id, host.id)
    f.member(db, host.id, name="本支部党员")
    theme_day = f.meeting(db, host.id, L(2026, 11, 25, 14, 0), type="theme_day")
    f.meeting(db, host.id, L(2026, 11, 25, 15, 0), type="committee_meeting")
    home_meeting = f.meeting(db, home.id, L(2026, 11, 25, 16, 0), type="general_meeting")
    with app.extensions["db"].transaction() as s:
        sweep_meetings(s, L(2026, 11, 24, 17, 0), settings_of(app.config))
    with app.extensions["db"].transaction() as s:  # a second run writes nothing
        assert sweep_meetings(s, L(2026, 11, 24, 17, 5), settings_of(app.config)) == 0
    reminded = {(r.subject_id, r.recipient_id) for r in _rows(db, "meeting_reminder")}
    assert {mid for mid, who in reminded if who == mobile.id} == {theme_day.id, home_meeting.id}


def test_the_digest_goes_out_on_monday_at_digest_time_never_on_a_midweek_start(app: Flask, db: Session) -> None:
    """Issue 12: a scheduler started on a Wednesday sends no digest (it waits for Monday's DIGEST_TIME),
    and the digest names the calendar week it counts."""
    c = f.committee(db, name="某区综合党委")
    admin = f.admin(db, c.id)
    cfg = settings_of(app.config)
    assert cfg["DIGEST_TIME"] == "mon 08:30"
    for moment in (L(2026, 12, 2, 10, 0), L(2026, 12, 3, 9, 0), L(2026, 12, 6, 23, 0), L(2026, 12, 7, 8, 29)):
        with app.extensions["db"].transaction() as s:
            assert sweep_digest(s, moment, cfg) == 0, moment  # Wednesday start, Thursday, Sunday, before 08:30
    with app.extensions["db"].transaction() as s:
        assert sweep_digest(s, L(2026, 12, 7, 8, 30), cfg) == 1
        assert sweep_digest(s, L(2026, 12, 7, 9, 0), cfg) == 0  # once a week
    [row] = _rows(db, "digest")
    assert row.recipient_id == admin.id and row.payload["first"] == "2026-11-30" and row.payload["last"] == "2026-12-06"
    said = render(row.kind, row.payload, cfg)
    assert said.text.startswith("某区综合党委党建周报（11月30日—12月6日）")
    assert said.fields["week"] == "11月30日—12月6日" and said.fields["overdue"] == "0"
