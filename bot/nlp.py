"""Reading a secretary's plain Chinese: the meeting time, the meeting type, the place and the topic.

Time parsing uses jionlp's TimeParser (a maintained rule set for Chinese time expressions: relative
days, 下周三, 下个月3号, 上午/下午/晚上, Chinese numerals, 19:30 and 19点30分). We cut the time phrase
out of the sentence first (so "三楼" or "二十大" is never read as a time), normalise a few colloquial
forms jionlp reads differently (明早, 明晚), and accept only a point in time precise to the hour or
minute. Before jionlp we fold what it misreads: traditional characters (下週三晚上7點半), 大后天, holiday
names (their next occurrence; the lunar dates and 清明 from the `holidays` package), dotted dates (12.15 19:00)
and a weekday in brackets after a date (12月5日（周五）); and we refuse impossible dates and times with a reason
(明天25点 would otherwise be read as 17:00 today): read_when returns Refused, parse_when None.
jionlp is imported on first use: importing it costs about half a second and most processes
(scheduler, CLI) never parse a sentence. Its parser keeps state while parsing, so calls are serialised.
"""

from __future__ import annotations

import calendar
import contextlib
import functools
import io
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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
    _next_holiday("春节", date(2026, 1, 1))  # imports `holidays` (about 0.1 s) before the first holiday name
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


@dataclass
class Refused:
    """A time phrase that names an impossible date or time: `reason` keys bot/texts/meetings.py REFUSALS."""

    reason: str
    params: dict[str, Any] = field(default_factory=dict)


# Traditional characters a secretary may type (下週三晚上7點半), folded to the simplified ones we read.
_TRADITIONAL = str.maketrans({
    "週": "周", "點": "点", "時": "时", "後": "后", "個": "个", "號": "号", "兩": "两", "鐘": "钟", "禮": "礼",
    "這": "这", "當": "当", "開": "开", "會": "会", "議": "议", "樓": "楼", "題": "题", "內": "内", "黨": "党",
    "員": "员", "組": "组", "課": "课", "經": "经", "層": "层", "廳": "厅", "線": "线", "騰": "腾",
    "訊": "讯", "視": "视", "頻": "频", "釘": "钉", "書": "书", "動": "动", "論": "论", "於": "于", "舉": "举",
    "區": "区", "團": "团", "節": "节", "慶": "庆", "國": "国", "勞": "劳", "陽": "阳", "曆": "历",
    "壇": "坛", "門": "门", "東": "东", "廣": "广", "場": "场", "館": "馆", "聽": "听", "學": "学", "習": "习",
})


def _fold(text: str) -> str:
    """Full-width → half-width (NFKC) and traditional → simplified, so every reader sees one spelling."""
    return unicodedata.normalize("NFKC", text or "").translate(_TRADITIONAL)


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_NUM = r"[0-9]+|[零〇一二两三四五六七八九十]+"


def _number(word: str) -> int | None:
    """12 or 十二 or 二十五 or 九十九 → int; None for what is not a small number."""
    if word.isdigit():
        return int(word)
    if "十" in word:
        tens, _, ones = word.partition("十")
        if len(tens) > 1 or len(ones) > 1 or "十" in ones:
            return None
        t = _CN_DIGITS.get(tens, -1) if tens else 1
        o = _CN_DIGITS.get(ones, -1) if ones else 0
        return t * 10 + o if t >= 0 and o >= 0 else None
    if len(word) == 1:
        return _CN_DIGITS.get(word)
    return None


_HOUR_RE = re.compile(r"(?<![0-9零〇一二两三四五六七八九十第])(" + _NUM + r")\s*[点时]")
_MINUTE_RE = re.compile(r"[点时]\s*(" + _NUM + r")\s*分")
_CLOCK_RE = re.compile(r"(?<![0-9])([0-9]{1,3}):([0-9]{1,3})(?![0-9])")
_DATE_RE = re.compile(r"(?:(?<![0-9])([0-9]{4})\s*年\s*)?(?<![0-9])(" + _NUM + r")\s*月\s*(" + _NUM + r")\s*[日号]")
_DOTTED_RE = re.compile(r"(?<![0-9.])(?:([0-9]{4})\.)?([0-9]{1,2})\.([0-9]{1,2})(?![0-9.])(?=\s*(?:[0-9]|[(\[【]|"
                        r"周|星期|礼拜|早|上午|中午|下午|晚|夜|凌晨|傍晚))")
_WEEKDAY_NOTE = re.compile(r"(?<=[日号])\s*[(\[【]\s*(?:周|星期|礼拜)[一二三四五六日天1-7]\s*[)\]】]")
# Holidays: fixed ones by month/day; the lunar ones and 清明 from the `holidays` package (its English names).
_FIXED_HOLIDAYS = {"元旦": (1, 1), "劳动节": (5, 1), "五一": (5, 1), "国庆": (10, 1)}
_LUNAR_HOLIDAYS = {"春节": "Chinese New Year (Spring Festival)", "清明": "Tomb-Sweeping Day",
                   "端午": "Dragon Boat Festival", "中秋": "Mid-Autumn Festival"}
_HOLIDAY_RE = re.compile(r"(元旦|劳动节|五一|国庆|春节|清明|端午|中秋)节?")


@functools.lru_cache(maxsize=32)
def _holiday_in(name: str, year: int) -> date | None:
    if name in _FIXED_HOLIDAYS:
        month, day = _FIXED_HOLIDAYS[name]
        return date(year, month, day)
    import holidays  # small; imported on first holiday name only

    english = _LUNAR_HOLIDAYS[name]
    found = sorted(d for d, n in holidays.country_holidays("CN", years=year).items()
                   if english in str(n).split("; "))
    return found[0] if found else None


def _next_holiday(name: str, today: date) -> date | None:
    """The holiday's next occurrence on or after today."""
    for year in (today.year, today.year + 1):
        day = _holiday_in(name, year)
        if day is not None and day >= today:
            return day
    return None


def _ymd(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _rewrite(text: str, base: datetime) -> str | Refused:
    """Fold the everyday forms jionlp does not read (大后天, holidays, 12.15, 12月5日（周五）) into ones it does."""
    folded = _fold(text)
    for old, new in _REWRITES:
        folded = folded.replace(old, new)
    folded = folded.replace("大后天", _ymd(base.date() + timedelta(days=3)))
    refused: list[Refused] = []

    def holiday(m: re.Match[str]) -> str:
        name = m.group(1)
        day = _next_holiday(name, base.date())
        if day is None:
            refused.append(Refused("when_holiday_unknown", {"holiday": m.group(0)}))
            return m.group(0)
        return _ymd(day)

    folded = _HOLIDAY_RE.sub(holiday, folded)
    if refused:
        return refused[0]

    def dotted(m: re.Match[str]) -> str:
        year = f"{m.group(1)}年" if m.group(1) else ""
        return f"{year}{int(m.group(2))}月{int(m.group(3))}日"

    folded = _DOTTED_RE.sub(dotted, folded)
    return _WEEKDAY_NOTE.sub(" ", folded)


def _impossible(folded: str, base: datetime) -> Refused | None:
    """An hour past 24, a minute past 59, a month past 12 or a day the month does not have."""
    for m in _CLOCK_RE.finditer(folded):
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 24 or minute > 59 or (hour == 24 and minute):
            return Refused("when_time_invalid", {"time": m.group(0)})
    for m in _HOUR_RE.finditer(folded):
        hour_n = _number(m.group(1))
        if hour_n is not None and hour_n > 24:
            return Refused("when_hour_invalid", {"hour": hour_n})
    for m in _MINUTE_RE.finditer(folded):
        minute_n = _number(m.group(1))
        if minute_n is not None and minute_n > 59:
            return Refused("when_minute_invalid", {"minute": minute_n})
    for m in _DATE_RE.finditer(folded):
        month, day = _number(m.group(2)), _number(m.group(3))
        if month is None or day is None:
            continue
        if not 1 <= month <= 12:
            return Refused("when_month_invalid", {"month": month})
        year = int(m.group(1)) if m.group(1) else base.year  # a date without a year is read in this year
        if not 1 <= day <= calendar.monthrange(year, month)[1]:
            return Refused("when_day_invalid", {"month": month, "day": day})
    return None


def read_when(text: str, now: datetime, *, tz: str = DEFAULT_TZ) -> datetime | Refused | None:
    """The meeting time a sentence names, aware in `tz`; Refused(reason) when it names an impossible one
    (明天25点, 99点99分, 2月30日); None when it names none.

    `now` anchors relative words (明天, 下周三); a naive `now` is taken as local time in `tz`.
    """
    local_zone = zone(tz)
    local_now = now.astimezone(local_zone) if now.tzinfo else now.replace(tzinfo=local_zone)
    base = local_now.replace(tzinfo=None, microsecond=0)
    if len(text or "") > 400:
        return None
    folded = _rewrite(text, base)
    if isinstance(folded, Refused):
        return folded
    if len(folded) > 200:
        return None
    impossible = _impossible(folded, base)
    if impossible is not None:
        return impossible
    for phrase in _candidates(folded):
        found = _parse_one(phrase, base)
        if found is not None:
            return found.replace(tzinfo=local_zone)
    return None


def parse_when(text: str, now: datetime, *, tz: str = DEFAULT_TZ) -> datetime | None:
    """The meeting time a sentence names, aware in `tz` (Asia/Shanghai), or None if it names none or an
    impossible one (read_when says why).

    `now` anchors relative words (明天, 下周三); a naive `now` is taken as local time in `tz`.
    """
    found = read_when(text, now, tz=tz)
    return found if isinstance(found, datetime) else None


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
_SIMPLIFIED_TO_TRADITIONAL: dict[str, str] = {}
for _trad, _simp in _TRADITIONAL.items():
    _SIMPLIFIED_TO_TRADITIONAL[str(_simp)] = _SIMPLIFIED_TO_TRADITIONAL.get(str(_simp), "") + chr(_trad)


def _either_script(alias: str) -> str:
    return "".join(f"[{c}{_SIMPLIFIED_TO_TRADITIONAL[c]}]" if c in _SIMPLIFIED_TO_TRADITIONAL else re.escape(c)
                   for c in alias)


# For routing on the raw text: matches an alias in simplified or traditional characters (支委會 too).
ALIAS_PATTERN = "|".join(_either_script(a) for a in sorted(TYPE_ALIASES, key=len, reverse=True))


def meeting_type(text: str) -> str | None:
    """The meeting type a sentence names (支委会 → committee_meeting), or None."""
    found = _ALIAS_RE.search(_fold(text))
    return TYPE_ALIASES[found.group(0)] if found else None


# -- place and topic -----------------------------------------------------------------------------
# 主题党日 is a meeting type, not "主题：党日": 主题 starts a topic only when 党日 does not follow it.
_TOPIC_WORD = r"(?:主题(?!党日)|议题|内容)"
_STOP = r"(?=[，,。；;！!\n]|" + _TOPIC_WORD + r"|地点|会议地点|时间|$)"
_PLACE_RE = re.compile(r"(?:会议地点|地点|地址|会场)\s*(?:[:：]|为|是|在)?\s*(?P<v>.+?)" + _STOP)
_PLACE_MARK_RE = re.compile(r"[@＠]\s*(?P<v>[^，,。；;！!\s@]{1,30}?)" + r"(?=[，,。；;！!\s@]|" + _TOPIC_WORD
                            + r"|地点|时间|召开|开|举行|$)")
_PLACE_AT_RE = re.compile(r"(?<![现正存实所好])在(?!线)(?P<v>[^，,。；;\s]{2,30}?)(?:召开|开|举行|进行|组织|上)")
_PLACE_IN_RE = re.compile(r"(?<![现正存实所好])在(?!线)\s*(?P<v>[^，,。；;！!\s]{2,30}?)" + _STOP)
_ONLINE_RE = re.compile(r"(?:线上|网上|在线|网络)?\s*(?:腾讯会议|视频会议|钉钉会议|飞书会议|钉钉|飞书|zoom|Zoom|ZOOM)"
                        r"(?:\s*(?:会议)?号?\s*[:：]?\s*[0-9][0-9 -]{5,15}[0-9])?|线上会议|线上|网上|在线")
_ROOM_RE = re.compile(r"(?P<v>[^，,。；;！!\s@]{0,16}?(?:会议室|活动室|报告厅|多功能厅|礼堂|党员之家|党群服务中心|"
                      r"阅览室|教室|办公室|会议厅|大厅)[A-Za-z0-9]{0,4}(?:[0-9一二三四五六七八九十]+号?)?)")
_NOT_PLACE_RE = re.compile(r"召开|举行|进行|组织|开(?!发区)")
_TYPE_REQUEST_RE = re.compile(r"开会|开个会|开一[个次]会|安排(?:一[个次]|个)?会议?|召开会议|组织会议|约(?:个|一下)?会")
UNTYPED_PATTERN = _TYPE_REQUEST_RE.pattern


@dataclass(frozen=True)
class MeetingRequest:
    """What one scheduling sentence says; None where it says nothing. `when_refused` says why an impossible
    time (明天25点) was not read; `untyped` is a request to meet (开会, 安排会议) that names no type."""

    type: str | None
    starts_at: datetime | None
    place: str | None
    topic: str | None
    when_refused: Refused | None = None
    untyped: bool = False


def _strip_times_and_types(folded: str) -> str:
    """The sentence with its time phrases, meeting-type words and verbs replaced by a comma, so a trailing place
    (下午3点三楼会议室, 开支委会会议室A) stands alone."""
    cut = _ALIAS_RE.sub("，", folded)
    for run in _candidates(cut):
        keep = re.search(r"[0-9零〇一二两三四五六七八九十]+$", run)
        start = cut.find(run)
        if keep and cut[start + len(run):start + len(run) + 1] in ("楼", "层", "栋", "号", "座", "室"):
            run = run[:keep.start()]  # 下午3点三楼: 三 belongs to the floor
        if run:
            cut = cut.replace(run, "，", 1)
    return _NOT_PLACE_RE.sub("，", cut)


def _not_a_time(value: str | None) -> str | None:
    if value is None or _candidates(value) or _ALIAS_RE.search(value):
        return None
    return value


def extract_place(text: str) -> str | None:
    """The place a sentence names: after 地点/会场, after @, after 在, an online room (线上腾讯会议), or a trailing
    room phrase (三楼会议室, 会议室A); None if it names none."""
    folded = _fold(text)
    for pattern in (_PLACE_RE, _PLACE_MARK_RE):
        found = pattern.search(folded)
        if found:
            return _clean(found.group("v"))
    for pattern in (_PLACE_AT_RE, _PLACE_IN_RE):
        found = pattern.search(folded)
        if found:
            value = _not_a_time(_clean(found.group("v")))
            if value:
                return value
    online = _ONLINE_RE.search(folded)
    if online:
        return _clean(online.group(0))
    room = _ROOM_RE.search(_strip_times_and_types(folded))
    return _clean(room.group("v")) if room else None


def extract_topic(text: str) -> str | None:
    found = _TOPIC_RE.search(_fold(text))
    return _clean(found.group("v")) if found else None


_TOPIC_RE = re.compile(_TOPIC_WORD + r"\s*(?:[:：]|为|是)?\s*(?P<v>.+?)" + _STOP)


def names_untyped_meeting(text: str) -> bool:
    """开会 / 安排会议 without a meeting type: the handler asks which type."""
    folded = _fold(text)
    return meeting_type(folded) is None and _TYPE_REQUEST_RE.search(folded) is not None


def _clean(value: str) -> str | None:
    value = value.strip(" ：:，,。“”\"'")
    return value[:200] or None


def read_meeting_request(text: str, now: datetime, *, tz: str = DEFAULT_TZ) -> MeetingRequest:
    """Type, time, place and topic from a sentence like 下周三晚上7点半开支委会，地点三楼会议室，主题……"""
    when = read_when(text, now, tz=tz)
    return MeetingRequest(meeting_type(text), when if isinstance(when, datetime) else None, extract_place(text),
                          extract_topic(text), when if isinstance(when, Refused) else None,
                          names_untyped_meeting(text))
