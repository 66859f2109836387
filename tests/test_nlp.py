"""parse_when and the scheduling sentence reader: a table of the phrasings secretaries write."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.nlp import extract_place, extract_topic, meeting_type, parse_when, read_meeting_request

SH = ZoneInfo("Asia/Shanghai")
# Monday 2026-11-23 09:00 in Shanghai.
NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def at(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


@pytest.mark.parametrize(("text", "expected"), [
    ("下周三晚上7点半", at(2026, 12, 2, 19, 30)),
    ("12月5日 19:30", at(2026, 12, 5, 19, 30)),
    ("明天下午三点", at(2026, 11, 24, 15)),
    ("本周五上午9点", at(2026, 11, 27, 9)),
    ("下个月3号晚上8点", at(2026, 12, 3, 20)),
    ("后天19点30分", at(2026, 11, 25, 19, 30)),
    ("今天晚上七点半", at(2026, 11, 23, 19, 30)),
    ("十九点", at(2026, 11, 23, 19)),
    ("12月5日19时30分", at(2026, 12, 5, 19, 30)),
    ("2026年12月2日19:30", at(2026, 12, 2, 19, 30)),
    ("星期三晚上7点半", at(2026, 11, 25, 19, 30)),
    ("明早9点", at(2026, 11, 24, 9)),
    ("今晚7点半", at(2026, 11, 23, 19, 30)),
    ("3点开会", at(2026, 11, 23, 15)),  # an hour 1-6 without 上午/凌晨 is afternoon
    ("１２月５日　１９：３０", at(2026, 12, 5, 19, 30)),  # full-width, as phones type it
    ("下周三晚上7点半开支委会，地点三楼会议室，主题学习贯彻二十大精神", at(2026, 12, 2, 19, 30)),
    ("12月5日 19:30 党员大会", at(2026, 12, 5, 19, 30)),
])
def test_parse_when_reads_the_phrasings(text: str, expected: datetime) -> None:
    found = parse_when(text, NOW)
    assert found == expected
    assert found is not None and found.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", [
    "", "你好", "今天天气怎么样", "支委会", "地点三楼会议室", "学习贯彻二十大精神",
    "12月5号",  # a day without a time of day is not a meeting time
    "下周三", "asdf;lkj 19.30!!", "第一党小组", "3号楼", "今天" * 200,
])
def test_parse_when_returns_none_for_garbage_and_dates_without_time(text: str) -> None:
    assert parse_when(text, NOW) is None


def test_naive_now_is_taken_as_shanghai_time() -> None:
    assert parse_when("明天下午三点", datetime(2026, 11, 23, 9, 0)) == at(2026, 11, 24, 15)


def test_relative_days_follow_now_across_a_month_and_year_end() -> None:
    new_year_eve = datetime(2026, 12, 31, 20, 0, tzinfo=SH)
    assert parse_when("明天上午10点", new_year_eve) == at(2027, 1, 1, 10)
    assert parse_when("下个月3号晚上8点", new_year_eve) == at(2027, 1, 3, 20)


@pytest.mark.parametrize(("text", "mtype"), [
    ("下周三开支委会", "committee_meeting"),
    ("支部委员会会议", "committee_meeting"),
    ("12月5日 19:30 党员大会", "general_meeting"),
    ("召开支部党员大会", "general_meeting"),
    ("第一党小组小组会", "group_meeting"),
    ("上党课", "party_lecture"),
    ("主题党日活动", "theme_day"),
    ("组织生活会", "life_meeting"),
    ("民主评议党员", "member_appraisal"),
    ("你好", None),
])
def test_meeting_type_aliases(text: str, mtype: str | None) -> None:
    assert meeting_type(text) == mtype


def test_place_and_topic() -> None:
    text = "下周三晚上7点半开支委会，地点三楼会议室，主题学习贯彻二十大精神"
    assert extract_place(text) == "三楼会议室"
    assert extract_topic(text) == "学习贯彻二十大精神"
    assert extract_place("明天下午3点在社区党群服务中心召开党员大会") == "社区党群服务中心"
    assert extract_place("地点：二楼活动室。主题：党章学习") == "二楼活动室"
    assert extract_topic("地点：二楼活动室。主题：党章学习") == "党章学习"
    assert extract_place("12月5日 19:30 党员大会") is None


def test_read_meeting_request_puts_it_together() -> None:
    req = read_meeting_request("下周三晚上7点半开支委会，地点三楼会议室，主题学习贯彻二十大精神", NOW)
    assert (req.type, req.starts_at, req.place, req.topic) == (
        "committee_meeting", at(2026, 12, 2, 19, 30), "三楼会议室", "学习贯彻二十大精神")
