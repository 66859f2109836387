"""Chat: 志愿服务. A member logs (`志愿 3小时 社区助老 11月20日`, `志愿 3小时 活动#4`; `半天` asks how many hours),
withdraws (`撤销志愿 编号`), reads `我的志愿`; a team leader or the secretary creates activities (`活动 …`),
confirms (`确认志愿 编号`, `确认全部`) or returns (`退回志愿 编号 原因`); anyone of the branch objects during 公示
(`异议 编号 理由`); staff read `志愿统计`.

Handlers read the message (hours with cn2an, the day through bot.nlp's read_when, as meetings do) and call
bot.services.volunteer; the rules live there. People write the parts in any order, with or without spaces
(志愿3小时社区助老11月18日), the part of the day after the date (昨天下午, 11月20日上午9点-12点), a bare weekday
or day of the month for the last one (周六, 20号), and the content as they like, spaces included.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import cn2an

from bot.chat.context import Context
from bot.chat.router import Reply, Routes
from bot.infra import clock
from bot.infra.text import parse_id
from bot.nlp import Refused, read_when
from bot.services.errors import Invalid, NotFound, PermissionDenied, ServiceError
from bot.services.meetings import scheduling
from bot.services.volunteer import records, teams, totals
from bot.texts import refusal
from bot.texts import volunteer as T

routes = Routes()

NUM = r"[0-9]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百点]+"
UNIT = r"(?:小时|小時|钟头|鐘頭|钟|鐘|h|hr|hrs|hour|hours)"
HOURS_BODY = (r"(?P<h>" + NUM + r")?个?(?P<half>半)?个?" + UNIT +
              r"(?:(?P<m>" + NUM + r")分(?:钟|鐘)?)?(?P<half2>半)?")
HOURS_RE = re.compile(r"(?P<sign>[-+]?)" + HOURS_BODY)
MINUTES_BODY = r"(?P<m>" + NUM + r")(?:分钟|分鐘)"
MINUTES_RE = re.compile(r"(?P<sign>[-+]?)" + MINUTES_BODY)
BARE_RE = re.compile(r"(?P<sign>[-+]?)(?P<h>" + NUM + r")")
HOURS_LIKE = re.compile(r".*(?:小时|小時|钟头|鐘頭|分钟|分鐘|[0-9.]h|[0-9.]hr|hours?)$")
# "3 小时", "2.5 h": the number and its unit typed apart
UNIT_GAP = re.compile(r"(?<=[0-9零〇一二两三四五六七八九十半])\s+"
                      r"(?=个?半?(?:小时|小時|钟头|鐘頭|分钟|分鐘|h|hr|hrs|hours?)(?:\s|$))")
ASK_WORDS = ("半天", "半日", "一天", "全天", "一整天", "一上午", "一下午", "一晚上")
CN_DIGIT = "0-9零〇一二两三四五六七八九十"
STRICT_DATE = (  # a day no content word is mistaken for (not 3号, 5.12)
    r"(?:[0-9]{4}\s*年)?[" + CN_DIGIT + r"]{1,3}月[" + CN_DIGIT + r"]{1,3}[日号]?"
    r"|[0-9]{4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}"
    r"|今天|今日|昨天|昨日|前天|大前天|[上本这]?(?:个)?(?:周|星期|礼拜)[一二三四五六日天1-7]|[" + CN_DIGIT + r"]+天前")
DATE_BODY = STRICT_DATE + r"|[0-9]{1,2}[./][0-9]{1,2}|[" + CN_DIGIT + r"]{1,3}[日号]"
TIME_WORD = r"(?:早上|早晨|上午|中午|午后|下午|傍晚|晚上|晚间|夜里|夜间|凌晨)"
CLOCK = r"[0-9一二三四五六七八九十]{1,3}(?:[:：][0-9]{2}|点(?:[0-9]{1,2}分?|半)?)"
TIME_PART = TIME_WORD + r"?(?:" + CLOCK + r"(?:[-—~～到至]" + TIME_WORD + r"?" + CLOCK + r")?)?"
# a day as people write it, with the part of the day or the clock they may add (昨天下午, 11月20日上午9点-12点)
DATE_TOKEN = re.compile(r"(?P<d>" + DATE_BODY + r")" + TIME_PART)
TIME_TOKEN = re.compile(TIME_WORD + r"|" + TIME_PART)  # 上午, 9点-12点 on their own: not the content
BARE_WEEKDAY = re.compile(r"(?:周|星期|礼拜)[一二三四五六日天1-7]")
BARE_MONTHDAY = re.compile(r"[" + CN_DIGIT + r"]{1,3}[日号]")
HAS_YEAR = re.compile(r"[0-9]{4}")
# glued words (志愿3小时社区助老11月18日): an hours or a day at either end of a word
_ANY_HOURS = re.sub(r"\(\?P<\w+>", "(?:", HOURS_BODY + r"|" + MINUTES_BODY)  # unnamed: used twice
GLUED_HOURS = re.compile(r"^(?:" + _ANY_HOURS + r")|(?<![0-9.])(?:" + _ANY_HOURS + r")$")
GLUED_DAY = re.compile(r"^(?:" + STRICT_DATE + r")" + TIME_PART + r"|(?:" + STRICT_DATE + r")" + TIME_PART + r"$")
GLUED_ASK = re.compile(r"^(?:" + "|".join(ASK_WORDS) + r")")
QUOTES = "“”\"'‘’「」『』"
ACTIVITY_RE = re.compile(r"活动\s*[#＃]?\s*(?P<id>[0-9]+)")
PLACE_PREFIX = re.compile(r"^(?:@|＠|地点[:：]?)(?P<v>.+)$")
# Team leaders hold no role: one menu line for every member names the three confirming commands and who
# may use them (as 活动 does); 确认全部 and 退回志愿 are taught by the 确认志愿 listing and the daily reminder.
CONFIRMER_ROLES = ("secretary", "team_leader")  # "team_leader": leads a 服务队 (authz.named_roles)
TEAM_ROLES = ("secretary",)
STAFF_ROLES = ("secretary", "committee_member", "admin")  # instructors may not read volunteer figures (authz)
ASK_STEP = "volunteer.ask_hours"


# -- reading the message ---------------------------------------------------------------------------
def _number(text: str) -> Decimal:
    if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", text):
        return Decimal(text)
    try:
        return Decimal(str(cn2an.cn2an(text, "smart")))
    except Exception:  # cn2an raises ValueError and assorted errors on what it cannot read
        raise Invalid("volunteer_hours_unreadable") from None


def read_hours(token: str, *, bare: bool = False) -> Decimal | None:
    """Hours a person wrote (3小时, 2.5h, 3个钟头, 两个半小时, 半个小时, 90分钟, 1小时30分钟; a bare number when
    `bare`), negative or zero as written (the service refuses them); None if the token is not a duration;
    Invalid(volunteer_hours_unreadable) for a duration whose number cannot be read (abc小时)."""
    t = token.strip().lower()
    if not t:
        return None
    m = HOURS_RE.fullmatch(t)
    if m:
        if m["h"] is None and not m["half"]:
            raise Invalid("volunteer_hours_unreadable")
        value = _number(m["h"]) if m["h"] else Decimal(0)
        if m["half"] or m["half2"]:
            value += Decimal("0.5")
        if m["m"]:
            value += _number(m["m"]) / 60
        return -value if m["sign"] == "-" else value
    m = MINUTES_RE.fullmatch(t)
    if m:
        value = _number(m["m"]) / 60
        return -value if m["sign"] == "-" else value
    if bare:
        m = BARE_RE.fullmatch(t)
        if m:
            value = _number(m["h"])
            return -value if m["sign"] == "-" else value
    if HOURS_LIKE.fullmatch(t):
        raise Invalid("volunteer_hours_unreadable")
    return None


def read_day(ctx: Context, token: str, *, past: bool = False) -> date:
    """The day a token names, through the meetings' parser (bot.nlp.read_when, at noon); the part of the
    day or the clock written after it (昨天下午, 11月20日上午9点) is left aside. A day without a year that lies
    more than 60 days ahead is last year's (12月20日 written in January). With `past` (a service already
    done), a bare weekday or day of the month that is still ahead is the last one (周六 on a Wednesday is
    last Saturday, 20号 on December 2nd is November 20th)."""
    found_token = DATE_TOKEN.fullmatch(token)
    day_text = found_token["d"] if found_token else token
    if re.fullmatch(r".*月[" + CN_DIGIT + r"]{1,3}", day_text):
        day_text += "日"  # 11月20
    found = read_when(f"{day_text} 12点", ctx.now, tz=str(ctx.settings["TZ"]))
    if isinstance(found, Refused):
        raise Invalid(found.reason, **found.params)
    if found is None:
        raise Invalid("volunteer_date_unreadable")
    served = found.date()
    today = clock.today(ctx.now, ctx.settings)
    if past and served > today:
        if BARE_WEEKDAY.fullmatch(day_text):
            served -= timedelta(days=7)
        elif BARE_MONTHDAY.fullmatch(day_text):
            month_back = date(today.year - (today.month == 1), today.month - 1 or 12, 1)
            with contextlib.suppress(ValueError):  # 31号 in a month of 30 days stays as read (refused)
                served = month_back.replace(day=served.day)
    if not HAS_YEAR.search(day_text) and (served - today).days > 60:
        with contextlib.suppress(ValueError):  # 2月29日 stays as read
            served = served.replace(year=served.year - 1)
    return served


def _read_tokens(ctx: Context, data: dict[str, Any], tokens: list[str], *, glued: bool) -> list[str]:
    """Take the hours (or the word to ask about), the day, the place from `tokens` into `data`; return the
    rest (the content). `glued`: look also at either end of each word (社区助老3小时, 3小时社区助老11月18日)."""
    content: list[str] = []
    for i, token in enumerate(tokens):
        word = token
        if glued:
            word = _unglue(ctx, data, word)
            if not word:
                continue
        if data["hours"] is None and not data["said"]:
            if word in ASK_WORDS:
                data["said"] = word
                continue
            try:
                value = read_hours(word, bare=(i == 0 and not glued))
            except Invalid:
                if glued or not GLUED_HOURS.search(word):
                    raise
                value = None  # 社区助老三小时: the glued pass takes the hours off the end
            if value is not None:
                data["hours"] = str(value)
                continue
        place = PLACE_PREFIX.fullmatch(word)
        if place:
            data["place"] = place["v"]
        elif data["served_on"] is None and DATE_TOKEN.fullmatch(word):
            data["served_on"] = read_day(ctx, word, past=True).isoformat()
        elif TIME_TOKEN.fullmatch(word):
            continue  # 上午, 9点-12点: when in the day, not what was done
        else:
            content.append(word)
    return content


def _unglue(ctx: Context, data: dict[str, Any], word: str) -> str:
    """Hours and a day stuck to either end of a word, taken into `data`; what is left of the word."""
    for _ in range(2):
        if data["hours"] is None and not data["said"]:
            ask = GLUED_ASK.match(word)
            if ask and len(word) > len(ask[0]):
                data["said"], word = ask[0], word[len(ask[0]):]
            else:
                found = GLUED_HOURS.search(word)
                if found and found[0] != word:
                    with contextlib.suppress(Invalid):
                        value = read_hours(found[0])
                        if value is not None:
                            data["hours"], word = str(value), (word[:found.start()] + word[found.end():])
        if data["served_on"] is None:
            found = GLUED_DAY.search(word)
            if found and found[0] != word:
                with contextlib.suppress(Invalid):
                    data["served_on"] = read_day(ctx, found[0], past=True).isoformat()
                    word = word[:found.start()] + word[found.end():]
    return word


def _log_request(ctx: Context, rest: str) -> dict[str, Any] | str:
    """The parts of `志愿 …`: hours (or the word to ask about), day, content, place, activity."""
    data: dict[str, Any] = {"hours": None, "said": "", "served_on": None, "content": "", "place": "",
                            "activity_id": None}
    found = ACTIVITY_RE.search(rest)
    if found:
        ident = parse_id(found["id"])
        if ident is None:
            raise NotFound("volunteer_activity_not_found", id=found["id"])
        data["activity_id"] = ident
        rest = rest[:found.start()] + " " + rest[found.end():]
    content = _read_tokens(ctx, data, UNIT_GAP.sub("", rest).split(), glued=False)
    if content and ((data["hours"] is None and not data["said"]) or data["served_on"] is None):
        content = _read_tokens(ctx, data, content, glued=True)
    data["content"] = " ".join(content).strip(QUOTES).strip()
    if data["hours"] is None and not data["said"]:
        if not content and data["activity_id"] is None and data["served_on"] is None:
            return T.USAGE
        raise Invalid("volunteer_hours_missing")
    if not data["content"] and data["activity_id"] is None:
        raise Invalid("volunteer_content_missing")
    return data


def _log(ctx: Context, data: dict[str, Any]) -> str:
    served = date.fromisoformat(data["served_on"]) if data.get("served_on") else None
    info = records.log_record(ctx.session, actor=ctx.member, hours=Decimal(data["hours"]), served_on=served,
                              content=data["content"], place=data.get("place") or "",
                              activity_id=data.get("activity_id"), now=ctx.now, settings=ctx.settings)
    return T.logged(info, info.asked_name)


def _check_before_asking(ctx: Context, data: dict[str, Any]) -> None:
    """Refuse at once what asking the hours would not mend (an unbound sender, a day ahead or too old, an
    activity that is not there)."""
    member = ctx.member
    if member is None:
        raise PermissionDenied("volunteer_unbound")
    if member.branch_id is None:
        raise PermissionDenied("volunteer_no_branch")
    if data.get("served_on"):
        records.check_day(date.fromisoformat(data["served_on"]), ctx.now, ctx.settings)
    if data.get("activity_id") is not None:
        activity = records.activity_for(ctx.session, actor=member, activity_id=int(data["activity_id"]))
        records.check_day(activity.held_on, ctx.now, ctx.settings)


@routes.text(r"志愿(?:服务)?(?P<rest>(?:\s|[0-9零〇一二两三四五六七八九十半]).*)?", priority=60, name="volunteer.log",
             usage="志愿 时长 内容 日期", summary="登记志愿服务时长，例如：志愿 3小时 社区助老 昨天")
def log(ctx: Context) -> Reply:
    assert ctx.match is not None
    parsed = _log_request(ctx, (ctx.match["rest"] or "").strip())
    if isinstance(parsed, str):
        return parsed
    if parsed["hours"] is None:
        _check_before_asking(ctx, parsed)
        ctx.start_conversation(ASK_STEP, **parsed)
        return T.ASK_HOURS.format(said=parsed["said"])
    return _log(ctx, parsed)


@routes.step(ASK_STEP)
def ask_hours(ctx: Context) -> Reply:
    data = dict((ctx.conversation or {}).get("data") or {})
    token = ctx.text.replace(" ", "")
    try:
        value = read_hours(token, bare=True)
    except Invalid:
        value = None
    if value is None:
        return T.ASK_HOURS_AGAIN
    data["hours"] = str(value)
    ctx.end_conversation()
    return _log(ctx, data)


@routes.text(r"撤销志愿\s*(?P<id>\S*)", priority=60, name="volunteer.withdraw", usage="撤销志愿 编号",
             summary="撤销自己待确认的志愿服务记录")
def withdraw(ctx: Context) -> Reply:
    ident = _id(ctx, "撤销志愿")
    info = records.withdraw(ctx.session, actor=ctx.member, record_id=ident, now=ctx.now, settings=ctx.settings)
    return T.withdrawn(info)


def _id(ctx: Context, command: str) -> int:
    assert ctx.match is not None
    given = (ctx.match["id"] or "").strip()
    if not given:
        raise Invalid("volunteer_id_missing", command=command)
    ident = parse_id(given)
    if ident is None:
        raise NotFound("volunteer_not_found", id=given)
    return ident


@routes.text(r"确认志愿\s*(?P<id>\S*)", priority=60, name="volunteer.confirm",
             usage="确认志愿 / 确认全部 / 退回志愿 编号 原因",
             summary="服务队队长或书记：查看、确认或退回待确认的志愿记录", roles=CONFIRMER_ROLES)
def confirm(ctx: Context) -> Reply:
    assert ctx.match is not None
    if not (ctx.match["id"] or "").strip():
        return T.pending(records.pending_for(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings))
    ident = _id(ctx, "确认志愿")
    info = records.confirm(ctx.session, actor=ctx.member, record_id=ident, now=ctx.now, settings=ctx.settings)
    return T.confirmed(info)


@routes.text(r"确认全部", priority=60, name="volunteer.confirm_all")
def confirm_all(ctx: Context) -> Reply:
    if ctx.member is None:
        raise PermissionDenied("volunteer_unbound")
    return T.confirmed_all(records.confirm_all(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings))


@routes.text(r"退回志愿\s*(?P<id>[#＃]?[0-9]*)\s*(?P<reason>.*)", priority=60, name="volunteer.return")
def return_record(ctx: Context) -> Reply:
    assert ctx.match is not None
    ident = _id(ctx, "退回志愿")
    info = records.return_record(ctx.session, actor=ctx.member, record_id=ident, reason=ctx.match["reason"],
                                 now=ctx.now, settings=ctx.settings)
    return T.returned(info)


@routes.text(r"异议\s*(?P<id>[#＃]?[0-9]*)\s*(?P<reason>.*)", priority=60, name="volunteer.object",
             usage="异议 编号 理由", summary="对公示中的志愿服务记录提出异议")
def object_to(ctx: Context) -> Reply:
    assert ctx.match is not None
    record = records.get_record(ctx.session, _id(ctx, "异议"))
    confirmer = record.confirmed_by_id
    info = records.object_to(ctx.session, actor=ctx.member, record_id=record.id, reason=ctx.match["reason"],
                             now=ctx.now, settings=ctx.settings)
    return T.objected(info, info.asked_name if confirmer else "")


@routes.text(r"我的志愿(?:服务)?", priority=60, name="volunteer.mine", usage="我的志愿",
             summary="查看自己的志愿服务时长和记录")
def mine(ctx: Context) -> Reply:
    my = records.my_volunteer(ctx.session, actor=ctx.member, now=ctx.now, settings=ctx.settings)
    assert ctx.member is not None
    return T.mine(ctx.member.name, my)


@routes.text(r"活动(?:\s+(?P<rest>.+))?", priority=60, name="volunteer.activity", usage="活动",
             summary="查看志愿服务活动；队长或书记：活动 日期 内容 服务队")
def activity(ctx: Context) -> Reply:
    assert ctx.match is not None
    rest = (ctx.match["rest"] or "").strip()
    if not rest:
        return T.activities(teams.recent_activities(ctx.session, actor=ctx.member, now=ctx.now,
                                                    settings=ctx.settings))
    member = ctx.member
    if member is None:
        raise PermissionDenied("volunteer_unbound")
    names = sorted(teams.team_names_for(ctx.session, member), key=len, reverse=True)
    team_name = next((n for n in names if n in rest), None)
    if team_name:
        rest = rest.replace(team_name, " ", 1)
    held_on: date | None = None
    place = ""
    title: list[str] = []
    for token in rest.split():
        found = PLACE_PREFIX.fullmatch(token)
        if found:
            place = found["v"]
        elif held_on is None and DATE_TOKEN.fullmatch(token):
            held_on = read_day(ctx, token)
        elif token.endswith("队") and team_name is None:
            team_name = token  # a team that does not exist: the service says so
        else:
            title.append(token)
    if held_on is None or not title:
        return T.ACTIVITY_USAGE
    ctx.require_dedupe()  # no key makes a new activity idempotent: a retry must be recognized
    info = teams.create_activity(ctx.session, actor=member, held_on=held_on, title=" ".join(title),
                                 team_name=team_name, place=place, now=ctx.now, settings=ctx.settings)
    return T.activity_created(info)


@routes.text(r"服务队(?:\s+(?P<name>\S+)(?P<phones>(?:\s+\S+)*))?", priority=60, name="volunteer.team",
             usage="服务队", summary="查看服务队；书记：服务队 名称 队长手机号", roles=TEAM_ROLES)
def team(ctx: Context) -> Reply:
    assert ctx.match is not None
    member = ctx.member
    if member is None:
        raise PermissionDenied("volunteer_unbound")
    if not ctx.match["name"]:
        return T.teams(teams.teams_for(ctx.session, actor=member))
    branch = scheduling.managed_branch(ctx.session, member)
    if branch is None:
        raise PermissionDenied("forbidden")
    info = teams.create_team(ctx.session, actor=member, branch_id=branch.id, name=ctx.match["name"],
                             leader_phones=(ctx.match["phones"] or "").split(), now=ctx.now)
    return T.team_saved(info)


@routes.text(r"志愿统计\s*(?P<year>[0-9]{4})?", priority=60, name="volunteer.totals", usage="志愿统计",
             summary="本支部（党委）志愿服务时长统计", roles=STAFF_ROLES)
def figures(ctx: Context) -> Reply:
    assert ctx.match is not None
    member = ctx.member
    if member is None:
        raise PermissionDenied("volunteer_unbound")
    year = int(ctx.match["year"]) if ctx.match["year"] else clock.today(ctx.now, ctx.settings).year
    # a committee's staff see the committee (even when they are a member of a branch too), else the branch
    committee_id = next((g.scope_id for g in _grants(ctx) if g.scope_type == "committee"), None)
    branch = scheduling.managed_branch(ctx.session, member) if committee_id is None else None
    try:
        if committee_id is not None:
            result = totals.totals(ctx.session, actor=member, year=year, committee_id=committee_id, now=ctx.now,
                                   settings=ctx.settings)
        elif branch is not None:
            result = totals.totals(ctx.session, actor=member, year=year, branch_id=branch.id, now=ctx.now,
                                   settings=ctx.settings)
        else:
            raise PermissionDenied("forbidden")
    except ServiceError as exc:
        return refusal(exc, ctx.settings)
    return T.totals(result)


def _grants(ctx: Context) -> list[Any]:
    from bot.services.authz import grants

    assert ctx.member is not None
    return grants(ctx.session, ctx.member)
