"""Reading a secretary's plain Chinese: the meeting time, the meeting type, the place and the topic.

Time parsing uses jionlp's TimeParser (a maintained rule set for Chinese time expressions: relative
days, 下周三, 下个月3号, 上午/下午/晚上, Chinese numerals, 19:30 and 19点30分). We cut the time phrase
out of the sentence first (so "三楼" or "二十大" is never read as a time), normalise a few colloquial
forms jionlp reads differently (明早, 明晚), and accept only a point in time precise to the hour or
minute. jionlp is imported on first use: importing it costs about half a second and most processes
(scheduler, CLI) never parse a sentence. Its parser keeps state while parsing, so calls are serialised.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.infra.clock import DEFAULT_TZ, zone
from bot.texts import notices as N

_parser: Any = None
_lock = threading.Lock()

# Characters a time phrase is made of; a run of them around an anchor is a candidate phrase.
_TIME_RUN = re.compile(r"[0-9零〇一二两三四五六七八九十年月日号點点分半刻钟时:：/\-"
                       r"今明后前昨天本下上这周星期礼拜末个早中午晚傍夜凌晨整 ]+")
_ANCHOR = re.compile(r"点|點|:|：|时|号|日|天|周|星期|礼拜|午|晚|早|夜|凌晨")
_DAY_PART = re.compile(r"凌晨|早|上午|中午|午|下午|晚|夜|傍晚")
# Colloquial forms jionlp does not read as meant.
_REWRITES = (
    ("明早", "明天早上"),
    ("明晚", "明天晚上"),
    ("今早", "今天早上"),
    ("今晚", "今天晚上"),
    ("后晚", "后天晚上"),
    ("礼拜", "星期"),
    ("點", "点"),
    ("：", ":"),
)


def _time_parser() -> Any:
    global _parser
    if _parser is None:
        with contextlib.redirect_stdout(io.StringIO()):  # jionlp prints a banner on import
            from jionlp.gadget.time_parser import TimeParser
        _parser = TimeParser()
    return _parser


_warm = False


def warm_up() -> None:
    """Import jionlp and run one parse now (its first parse builds tables): create_app calls it in every
    web worker, so no member's first scheduling message pays for it against WeChat's 5-second deadline."""
    global _warm
    parse_when("明天下午三点", datetime(2026, 1, 1, tzinfo=zone(DEFAULT_TZ)))
    _warm = True


def is_warm() -> bool:
    """Whether warm_up() ran in this process."""
    return _warm


def _candidates(text: str) -> list[str]:
    runs = [m.group(0).strip(" -/") for m in _TIME_RUN.finditer(text)]
    runs = [r for r in runs if r and _ANCHOR.search(r) and re.search(r"[0-9零〇一二两三四五六七八九十]|今|明|后天", r)]
    return sorted(runs, key=len, reverse=True)


def _parse_one(phrase: str, base: datetime) -> datetime | None:
    """One phrase: a naive local datetime precise to the hour or minute, or None."""
    parser = _time_parser()
    try:
        with _lock:
            result = parser(phrase, time_base=base)
    except Exception:  # jionlp raises ValueError and assorted internal errors on text it cannot read
        return None
    if not isinstance(result, dict) or result.get("type") != "time_point":
        return None
    span = result.get("time")
    if not isinstance(span, list | tuple) or len(span) != 2:
        return None
    try:
        start = datetime.strptime(str(span[0]), "%Y-%m-%d %H:%M:%S")
        end = datetime.strptime(str(span[1]), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    if end - start >= timedelta(hours=1):  # a whole day, week or month: no time of day was given
        return None
    if 1 <= start.hour <= 6 and not _DAY_PART.search(phrase) and not re.search(r"\d{1,2}:\d{2}", phrase):
        start += timedelta(hours=12)  # "3点开会" means 15:00; nobody schedules a meeting at 3 a.m.
    return start


def parse_when(text: str, now: datetime, *, tz: str = DEFAULT_TZ) -> datetime | None:
    """The meeting time a sentence names, aware in `tz` (Asia/Shanghai), or None if it names none.

    `now` anchors relative words (明天, 下周三); a naive `now` is taken as local time in `tz`.
    """
    local_zone = zone(tz)
    local_now = now.astimezone(local_zone) if now.tzinfo else now.replace(tzinfo=local_zone)
    base = local_now.replace(tzinfo=None, microsecond=0)
    folded = unicodedata.normalize("NFKC", text or "")
    for old, new in _REWRITES:
        folded = folded.replace(old, new)
    if len(folded) > 200:
        return None
    for phrase in _candidates(folded):
        found = _parse_one(phrase, base)
        if found is not None:
            return found.replace(tzinfo=local_zone)
    return None


# -- meeting types -------------------------------------------------------------------------------
TYPE_LABELS: dict[str, str] = N.MEETING_TYPE_NAMES  # the wording lives in messages.py
# Everyday names → type; the longest alias that appears wins.
TYPE_ALIASES: dict[str, str] = {
    "支部党员大会": "general_meeting",
    "党员大会": "general_meeting",
    "支部大会": "general_meeting",
    "全体党员会": "general_meeting",
    "全体党员大会": "general_meeting",
    "支部委员会会议": "committee_meeting",
    "支部委员会": "committee_meeting",
    "支委会议": "committee_meeting",
    "支委会": "committee_meeting",
    "党小组会议": "group_meeting",
    "党小组会": "group_meeting",
    "小组会": "group_meeting",
    "党课": "party_lecture",
    "主题党日": "theme_day",
    "党日活动": "theme_day",
    "组织生活会": "life_meeting",
    "民主评议党员": "member_appraisal",
    "民主评议": "member_appraisal",
}
_ALIAS_RE = re.compile("|".join(sorted(map(re.escape, TYPE_ALIASES), key=len, reverse=True)))
ALIAS_PATTERN = _ALIAS_RE.pattern


def meeting_type(text: str) -> str | None:
    """The meeting type a sentence names (支委会 → committee_meeting), or None."""
    found = _ALIAS_RE.search(unicodedata.normalize("NFKC", text or ""))
    return TYPE_ALIASES[found.group(0)] if found else None


# -- place and topic -----------------------------------------------------------------------------
_STOP = r"(?=[，,。；;！!\n]|主题|议题|内容|地点|会议地点|时间|$)"
_PLACE_RE = re.compile(r"(?:会议地点|地点|地址|会场)\s*(?:[:：]|为|是|在)?\s*(?P<v>.+?)" + _STOP)
_PLACE_AT_RE = re.compile(r"在(?P<v>[^，,。；;\s]{2,30}?)(?:召开|开|举行|进行|组织|上)")
_TOPIC_RE = re.compile(r"(?:主题|议题|内容)\s*(?:[:：]|为|是)?\s*(?P<v>.+?)" + _STOP)


@dataclass(frozen=True)
class MeetingRequest:
    """What one scheduling sentence says; None where it says nothing."""

    type: str | None
    starts_at: datetime | None
    place: str | None
    topic: str | None


def extract_place(text: str) -> str | None:
    folded = unicodedata.normalize("NFKC", text or "")
    found = _PLACE_RE.search(folded) or _PLACE_AT_RE.search(folded)
    return _clean(found.group("v")) if found else None


def extract_topic(text: str) -> str | None:
    found = _TOPIC_RE.search(unicodedata.normalize("NFKC", text or ""))
    return _clean(found.group("v")) if found else None


def _clean(value: str) -> str | None:
    value = value.strip(" ：:，,。“”\"'")
    return value[:200] or None


def read_meeting_request(text: str, now: datetime, *, tz: str = DEFAULT_TZ) -> MeetingRequest:
    """Type, time, place and topic from a sentence like 下周三晚上7点半开支委会，地点三楼会议室，主题……"""
    return MeetingRequest(meeting_type(text), parse_when(text, now, tz=tz), extract_place(text),
                          extract_topic(text))
