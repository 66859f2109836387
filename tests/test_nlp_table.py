"""bot.nlp against a table of the ways secretaries write a meeting time (issue 12, section 5).

`now` is fixed at Monday 2026-11-23 09:00 in Shanghai; each phrasing names the minute it means, or is refused
with the reason the meeting handler shows, or names no time at all.
"""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.nlp import (
    ALIAS_PATTERN,
    Refused,
    extract_place,
    extract_topic,
    meeting_type,
    names_untyped_meeting,
    parse_when,
    read_meeting_request,
    read_when,
)
from bot.texts import refusal

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SH)  # a Monday

Day = tuple[int, int, int]

# Date forms and the day each means.
DATES: list[tuple[str, Day]] = [
    ("明天", (2026, 11, 24)),
    ("后天", (2026, 11, 25)),
    ("大后天", (2026, 11, 26)),
    ("本周五", (2026, 11, 27)),
    ("下周三", (2026, 12, 2)),
    ("下週三", (2026, 12, 2)),
    ("12月5日", (2026, 12, 5)),
    ("12月5号", (2026, 12, 5)),
    ("12月5日（周五）", (2026, 12, 5)),
    ("12月5日(星期五) ", (2026, 12, 5)),
    ("12月5日【周五】", (2026, 12, 5)),
    ("12.15 ", (2026, 12, 15)),
    ("2026.12.15 ", (2026, 12, 15)),
    ("2026年12月2日", (2026, 12, 2)),
    ("元旦", (2027, 1, 1)),
    ("春节", (2027, 2, 6)),
    ("清明节", (2027, 4, 5)),
    ("劳动节", (2027, 5, 1)),
    ("端午节", (2027, 6, 9)),
    ("中秋", (2027, 9, 15)),
    ("国庆节", (2027, 10, 1)),
]
# Time-of-day forms and the (hour, minute) each means.
TIMES: list[tuple[str, tuple[int, int]]] = [
    ("19:30", (19, 30)),
    ("晚上7点半", (19, 30)),
    ("晚上7點半", (19, 30)),
    ("下午3点", (15, 0)),
    ("上午9点", (9, 0)),
    ("19点30分", (19, 30)),
    ("晚上七点", (19, 0)),
    ("下午两点半", (14, 30)),
    ("上午10:00", (10, 0)),
    ("１９：３０", (19, 30)),
]

COMBINED: list[tuple[str, datetime]] = [
    (d + t, datetime(*day, *hm, tzinfo=SH)) for (d, day), (t, hm) in itertools.product(DATES, TIMES)
]

# Whole sentences and other single phrasings.
SENTENCES: list[tuple[str, datetime]] = [
    ("下周三晚上7点半", datetime(2026, 12, 2, 19, 30, tzinfo=SH)),
    ("下週三晚上7點半", datetime(2026, 12, 2, 19, 30, tzinfo=SH)),
    ("下禮拜三晚上7點半", datetime(2026, 12, 2, 19, 30, tzinfo=SH)),
    ("下周三晚上19時30分", datetime(2026, 12, 2, 19, 30, tzinfo=SH)),
    ("明天下午三点", datetime(2026, 11, 24, 15, 0, tzinfo=SH)),
    ("明早9点", datetime(2026, 11, 24, 9, 0, tzinfo=SH)),
    ("明晚8点", datetime(2026, 11, 24, 20, 0, tzinfo=SH)),
    ("今晚7点半", datetime(2026, 11, 23, 19, 30, tzinfo=SH)),
    ("3点开会", datetime(2026, 11, 23, 15, 0, tzinfo=SH)),
    ("十九点", datetime(2026, 11, 23, 19, 0, tzinfo=SH)),
    ("大后天上午十点", datetime(2026, 11, 26, 10, 0, tzinfo=SH)),
    ("大后天晚上8点开支委会", datetime(2026, 11, 26, 20, 0, tzinfo=SH)),
    ("12月5日（周五）19:30党员大会", datetime(2026, 12, 5, 19, 30, tzinfo=SH)),
    ("12月5日（星期五）晚上7点半开支委会，在三楼", datetime(2026, 12, 5, 19, 30, tzinfo=SH)),
    ("12.15 19:00 支委会", datetime(2026, 12, 15, 19, 0, tzinfo=SH)),
    ("12.1 19:00 党课", datetime(2026, 12, 1, 19, 0, tzinfo=SH)),
    ("元旦节上午10点", datetime(2027, 1, 1, 10, 0, tzinfo=SH)),
    ("五一上午9点", datetime(2027, 5, 1, 9, 0, tzinfo=SH)),
    ("國慶節上午9點", datetime(2027, 10, 1, 9, 0, tzinfo=SH)),
    ("端午下午3点", datetime(2027, 6, 9, 15, 0, tzinfo=SH)),
    ("清明上午9点", datetime(2027, 4, 5, 9, 0, tzinfo=SH)),
    ("下周三晚上7点半开支委会，地点三楼会议室，主题学习贯彻二十大精神", datetime(2026, 12, 2, 19, 30, tzinfo=SH)),
    ("下週三晚上7點半開支委會，在三樓會議室", datetime(2026, 12, 2, 19, 30, tzinfo=SH)),
    ("主题党日 下周五下午3点 在三楼", datetime(2026, 12, 4, 15, 0, tzinfo=SH)),
    ("明天下午3点开支委会 @三楼会议室", datetime(2026, 11, 24, 15, 0, tzinfo=SH)),
    ("明天下午3点开支委会线上腾讯会议", datetime(2026, 11, 24, 15, 0, tzinfo=SH)),
    ("下午3点三楼会议室开支委会", datetime(2026, 11, 23, 15, 0, tzinfo=SH)),
    ("明天24点", datetime(2026, 11, 25, 0, 0, tzinfo=SH)),
]

# Impossible dates and times: refused with the reason, never read as some other minute.
REFUSED: list[tuple[str, str]] = [
    ("明天25点", "when_hour_invalid"),
    ("99点99分", "when_hour_invalid"),
    ("明天二十五点", "when_hour_invalid"),
    ("晚上30点开会", "when_hour_invalid"),
    ("下午3点70分", "when_minute_invalid"),
    ("明天下午三点六十分", "when_minute_invalid"),
    ("25:00", "when_time_invalid"),
    ("明天 24:30", "when_time_invalid"),
    ("明天19:60", "when_time_invalid"),
    ("12月5日 19:75", "when_time_invalid"),
    ("13月5日 19:00", "when_month_invalid"),
    ("2月30日下午3点", "when_day_invalid"),
    ("11月31日 19:30", "when_day_invalid"),
    ("2027年2月29日 19:00", "when_day_invalid"),
    ("2月29日 19:00", "when_day_invalid"),  # 2026 is not a leap year
    ("12.32 19:00", "when_day_invalid"),
    ("13.5 19:00", "when_month_invalid"),
    ("12月0日 19:00", "when_day_invalid"),
    ("十三月一日晚上7点", "when_month_invalid"),
    ("下週三晚上25點", "when_hour_invalid"),
    ("12月5日（周五）26:00", "when_time_invalid"),
]

# No time of day: None (the handler asks for the time).
NO_TIME: list[str] = [
    "", "你好", "支委会", "12月5号", "下周三", "大后天", "元旦", "春节", "12.15", "12月5日（周五）",
    "asdf;lkj 19.30!!", "3号楼", "第一党小组", "地点三楼会议室",
]


def test_the_table_is_large_enough() -> None:
    assert len(COMBINED) + len(SENTENCES) + len(REFUSED) + len(NO_TIME) >= 200


@pytest.mark.parametrize(("text", "expected"), COMBINED + SENTENCES)
def test_reads_the_minute(text: str, expected: datetime) -> None:
    assert read_when(text, NOW) == expected
    found = parse_when(text, NOW)
    assert found == expected and found is not None and found.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refuses_impossible_dates_and_times_with_the_reason(text: str, reason: str) -> None:
    found = read_when(text, NOW)
    assert isinstance(found, Refused) and found.reason == reason
    assert parse_when(text, NOW) is None  # the contract: not understood
    assert read_meeting_request(text + "开支委会", NOW).when_refused == found
    assert read_meeting_request(text + "开支委会", NOW).starts_at is None


def test_refusal_params_name_what_is_wrong() -> None:
    assert read_when("明天25点", NOW) == Refused("when_hour_invalid", {"hour": 25})
    assert read_when("99点99分", NOW) == Refused("when_hour_invalid", {"hour": 99})
    assert read_when("2月30日下午3点", NOW) == Refused("when_day_invalid", {"month": 2, "day": 30})
    assert read_when("19:60", NOW) == Refused("when_time_invalid", {"time": "19:60"})


@pytest.mark.parametrize("text", NO_TIME)
def test_names_no_time(text: str) -> None:
    assert read_when(text, NOW) is None
    assert parse_when(text, NOW) is None


def test_holidays_mean_their_next_occurrence() -> None:
    new_year_day = datetime(2027, 1, 1, 8, 0, tzinfo=SH)
    assert parse_when("元旦上午10点", new_year_day) == datetime(2027, 1, 1, 10, 0, tzinfo=SH)  # today
    assert parse_when("国庆上午9点", datetime(2027, 10, 2, 9, 0, tzinfo=SH)) == datetime(2028, 10, 1, 9, 0, tzinfo=SH)
    assert parse_when("春节晚上8点", datetime(2027, 3, 1, 9, 0, tzinfo=SH)) == datetime(2028, 1, 26, 20, 0, tzinfo=SH)
    assert parse_when("中秋晚上7点", datetime(2026, 1, 5, 9, 0, tzinfo=SH)) == datetime(2026, 9, 25, 19, 0, tzinfo=SH)


# -- type, place, topic ---------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "topic"), [
    ("下周三开主题党日活动，主题是学习党章", "学习党章"),
    ("12月5日 19:30 主题党日，内容：重温入党誓词", "重温入党誓词"),
    ("主题党日，主题：参观红色教育基地", "参观红色教育基地"),
    ("12月5日 19:30 主题党日", None),
    ("下周五下午3点主题党日活动", None),
    ("主題黨日，議題：黨章學習", "党章学习"),
])
def test_theme_day_keeps_its_real_topic(text: str, topic: str | None) -> None:
    assert meeting_type(text) == "theme_day"
    assert extract_topic(text) == topic


@pytest.mark.parametrize(("text", "place"), [
    ("下周三晚上7点半开支委会，地点三楼会议室，主题学习贯彻二十大精神", "三楼会议室"),
    ("明天下午3点在社区党群服务中心召开党员大会", "社区党群服务中心"),
    ("明天下午3点开支委会，在三楼", "三楼"),
    ("主题党日 下周五下午3点 在三楼", "三楼"),
    ("明天下午3点开支委会 @三楼会议室", "三楼会议室"),
    ("明天下午3点开支委会@302", "302"),
    ("明天下午3点开支委会，会议室A", "会议室A"),
    ("明天下午3点支委会 会议室A", "会议室A"),
    ("下午3点三楼会议室开支委会", "三楼会议室"),
    ("12月5日 19:30 党员大会 二楼活动室", "二楼活动室"),
    ("明天下午3点开支委会线上腾讯会议", "线上腾讯会议"),
    ("下周三晚上7点半党课 腾讯会议", "腾讯会议"),
    ("明天下午3点支委会 视频会议", "视频会议"),
    ("明天下午3点支委会 线上", "线上"),
    ("下週三晚上7點半開支委會，在三樓會議室", "三楼会议室"),
    ("12月5日 19:30 党员大会", None),
    ("现在开支委会", None),
    ("明天下午3点在线开支委会", "在线"),
])
def test_place_without_the_word_place(text: str, place: str | None) -> None:
    assert extract_place(text) == place


@pytest.mark.parametrize(("text", "untyped"), [
    ("明天下午3点开会", True),
    ("安排会议", True),
    ("安排一个会议，下周三晚上7点", True),
    ("下周三开个会", True),
    ("下周三开支委会", False),
    ("明天开会学习党章，主题党日", False),
    ("你好", False),
])
def test_a_meeting_without_a_type_is_reported(text: str, untyped: bool) -> None:
    assert names_untyped_meeting(text) is untyped
    assert read_meeting_request(text, NOW).untyped is untyped


@pytest.mark.parametrize(("text", "shown"), [
    ("明天25点", "“25点”不是有效的钟点"),
    ("99点99分", "“99点”不是有效的钟点"),
    ("下午3点70分", "“70分”不是有效的分钟"),
    ("明天19:60", "“19:60”不是有效的时刻"),
    ("13月5日 19:00", "没有13月"),
    ("2月30日下午3点", "2月没有30日"),
])
def test_every_refusal_is_worded_for_the_handler(text: str, shown: str) -> None:
    found = read_when(text, NOW)
    assert isinstance(found, Refused)
    assert refusal(found, Settings()).startswith(shown)


@pytest.mark.parametrize("text", ["下週三晚上7點半開支委會", "主題黨日", "黨小組會", "支委会", "支部党员大会",
                                  "上黨課"])
def test_the_route_pattern_matches_types_in_either_script(text: str) -> None:
    assert re.search(ALIAS_PATTERN, text)
    assert meeting_type(text) is not None
