"""What notices say (reminders, digests, event notices): the outbox's wording, rendered when sent.

A service or a sweep writes a notice as its kind and JSON-safe facts (`params`: ids, names, counts, and
moments as ISO strings); bot.texts.render(kind, params, settings) words it when the dispatcher sends it. Each
capability's texts module may add kinds in its own `NOTICES` table (kind -> function of (params, settings)
returning NoticeText); this module holds the reminders', the digest's and the fallback's. bot.texts.render
words any kind.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.config import Settings
from bot.infra.clock import fmt_day, fmt_short, local
from bot.infra.text import shorten


@dataclass(frozen=True)
class NoticeText:
    """A notice in words: the full text (customer-service message, the notice page, the record), and the
    template message's fields by role ("title", "time", "place", …; the kind's template in
    settings["NOTICE_TEMPLATES"] names the keyword each role fills; empty: derived from the text). Times
    are in WeChat's format (wx_time, wx_date); the sender cuts each value to its keyword's limit."""

    text: str
    fields: dict[str, str] = field(default_factory=dict)


NoticeWording = Callable[[Mapping[str, Any], Settings], NoticeText]


def moment(value: Any) -> datetime:
    """A moment written into params as an ISO string (outbox payloads are JSON)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def wx_time(value: datetime, settings: Settings) -> str:
    """A moment as a template `time` keyword wants it: 2026年12月4日 20:00 (local time)."""
    t = local(value, settings)
    return f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}"


def wx_date(value: date) -> str:
    """A day as a template `date` keyword wants it: 2026年12月4日."""
    return f"{value.year}年{value.month}月{value.day}日"


MEETING_TYPE_NAMES = {
    "general_meeting": "支部党员大会",
    "committee_meeting": "支委会",
    "group_meeting": "党小组会",
    "party_lecture": "党课",
    "theme_day": "主题党日",
    "life_meeting": "组织生活会",
    "member_appraisal": "民主评议党员",
}
REMIND_MEETING = "会议提醒：{label}将于{when}在{place}召开{topic}，请准时参加。不能参加请回复“请假”。"
REMIND_MEETING_TITLE = "{label}提醒"
REMIND_MINUTES = "{branch}：{when}的{label}还没有录入会议记录，请回复“记录”补录（会议记录、参会情况、照片）。"
REMIND_MINUTES_TITLE = "请补录会议记录"
REMIND_LEAVE = "{branch}有{count}条请假申请等待审批，请回复“同意”或“不同意”处理。"
REMIND_LEAVE_TITLE = "请假待审批"
REMIND_COMPLIANCE = ("{branch}本{period}尚未开展：{missing}。请在{deadline}前安排，回复安排会议即可发布通知，"
                     "例如：下周三晚上7点半开支委会，地点三楼会议室。")
REMIND_COMPLIANCE_TITLE = "组织生活待开展"
FLAG_INACTIVE = "{branch}已有{days}天没有开展组织生活（最近一次：{last}），请关注。"
FLAG_INACTIVE_NEVER = "{branch}还没有任何组织生活记录，请关注。"
FLAG_INACTIVE_TITLE = "支部长期未开展活动"
REMIND_REVIEW = ("{title}将于{deadline}截止（还有{days}天），{branch}尚未提交述职报告。"
                 "回复“述职”撰写，写完后回复“提交”。")
REMIND_REVIEW_TITLE = "述职报告待提交"
REMIND_RECTIFICATION = ("整改事项“{problem}”（#{id}）将于{deadline}到期（还有{days}天），请抓紧整改；"
                        "完成后回复“整改 {id} 已完成 说明”并发送佐证照片，再回复“提交”送验收。")
REMIND_RECTIFICATION_TITLE = "整改即将到期"
FLAG_RECTIFICATION_OVERDUE = "整改事项“{problem}”（{who}）已于{deadline}逾期未销号，请督促整改。"
FLAG_RECTIFICATION_OVERDUE_OWNER = ("您负责的整改事项“{problem}”（#{id}）已于{deadline}到期，尚未销号，已列为逾期。"
                                    "请尽快整改，完成后回复“整改 {id} 已完成”提交验收。")
FLAG_RECTIFICATION_OVERDUE_SUBMITTED = ("您负责的整改事项“{problem}”（#{id}）已于{deadline}到期，尚未销号，已列为逾期；"
                                        "佐证材料已提交，正等待党委验收。")
OVERDUE_OWNER = "{owner}负责"
OVERDUE_SECRETARY = "由支部书记负责"
OVERDUE_NOBODY = "未指定责任人"
FLAG_RECTIFICATION_OVERDUE_TITLE = "整改逾期"
DIGEST = (
    "{committee}党建周报（{week}）：\n"
    "· 召开会议{meetings}次，涉及{branches_met}个支部；\n"
    "· 本月组织生活未达标支部{gaps}个，30天无活动支部{inactive}个；\n"
    "· 整改事项未销号{open_items}项，其中逾期{overdue}项；\n"
    "· 本周未能送达的通知{undeliverable}条（已转支部书记或放弃）。"
)
DIGEST_TITLE = "党建周报"
DIGEST_WEEK = "{first}—{last}"
DIGEST_MEETINGS = "开会{meetings}次，{gaps}个支部未达标"
DETAIL_LEAVE = "{count}条待审批"
DETAIL_COMPLIANCE = "{deadline}前：{missing}"
DETAIL_INACTIVE = "{days}天未开展组织生活"
DETAIL_INACTIVE_NEVER = "尚无组织生活记录"
FALLBACK = "{name}同志暂时无法接收微信通知，以下内容请代为转告：{text}"
FALLBACK_TITLE = "请代为转告"
PERIOD_NAMES = {"month": "月", "quarter": "季度"}
UNASSIGNED = "未指定"
PLACE_TBD = "待定"


# -- the reminders', the digest's and the fallback's wording: kind -> function(params, settings) ------
_Params = Mapping[str, Any]
_Settings = Settings


def _label(meeting_type: str) -> str:
    return MEETING_TYPE_NAMES.get(meeting_type, meeting_type)


def _meeting_reminder(p: _Params, settings: _Settings) -> NoticeText:
    """params: meeting_id, hours, type, topic, place, starts_at."""
    label, when, place, topic = _label(p["type"]), fmt_short(moment(p["starts_at"]), settings), p["place"], p["topic"]
    text = REMIND_MEETING.format(label=label, when=when, place=place or PLACE_TBD,
                                 topic=f"，主题：{topic}" if topic else "")
    return NoticeText(text, {"title": REMIND_MEETING_TITLE.format(label=label),
                             "time": wx_time(moment(p["starts_at"]), settings), "place": place or PLACE_TBD,
                             "topic": topic or label})


def _minutes_reminder(p: _Params, settings: _Settings) -> NoticeText:
    """params: meeting_id, type, starts_at, branch."""
    label, when = _label(p["type"]), fmt_short(moment(p["starts_at"]), settings)
    return NoticeText(REMIND_MINUTES.format(branch=p["branch"], when=when, label=label),
                      {"title": REMIND_MINUTES_TITLE, "subject": f"{p['branch']}{label}",
                       "detail": wx_time(moment(p["starts_at"]), settings)})


def _leave_pending(p: _Params, settings: _Settings) -> NoticeText:
    """params: branch_id, branch, count."""
    return NoticeText(REMIND_LEAVE.format(branch=p["branch"], count=p["count"]),
                      {"title": REMIND_LEAVE_TITLE, "subject": p["branch"],
                       "detail": DETAIL_LEAVE.format(count=p["count"])})


def _compliance_gap(p: _Params, settings: _Settings) -> NoticeText:
    """params: branch_id, branch, period (month|quarter), missing (meeting types), deadline (a day)."""
    names = "、".join(_label(t) for t in p["missing"])
    return NoticeText(REMIND_COMPLIANCE.format(branch=p["branch"], period=PERIOD_NAMES[p["period"]], missing=names,
                                               deadline=fmt_day(day(p["deadline"]))),
                      {"title": REMIND_COMPLIANCE_TITLE, "subject": p["branch"],
                       "detail": DETAIL_COMPLIANCE.format(deadline=fmt_day(day(p["deadline"])), missing=names)})


def _branch_inactive(p: _Params, settings: _Settings) -> NoticeText:
    """params: branch_id, branch, days, last_activity_at (None: never)."""
    last = p.get("last_activity_at")
    text = (FLAG_INACTIVE.format(branch=p["branch"], days=p["days"], last=fmt_day(local(moment(last), settings).date()))
            if last else FLAG_INACTIVE_NEVER.format(branch=p["branch"]))
    detail = DETAIL_INACTIVE.format(days=p["days"]) if last else DETAIL_INACTIVE_NEVER
    return NoticeText(text, {"title": FLAG_INACTIVE_TITLE, "subject": p["branch"], "detail": detail})


def _review_due(p: _Params, settings: _Settings) -> NoticeText:
    """params: round_id, title, deadline (a moment), days, branch_id, branch."""
    deadline = fmt_short(moment(p["deadline"]), settings)
    return NoticeText(REMIND_REVIEW.format(title=p["title"], deadline=deadline, days=p["days"], branch=p["branch"]),
                      {"title": REMIND_REVIEW_TITLE, "topic": p["title"],
                       "deadline": wx_time(moment(p["deadline"]), settings)})


def _rectification_due(p: _Params, settings: _Settings) -> NoticeText:
    """params: item_id, problem, deadline (a day), days."""
    deadline = fmt_day(day(p["deadline"]))
    return NoticeText(REMIND_RECTIFICATION.format(problem=shorten(p["problem"], 80), deadline=deadline,
                                                  days=p["days"], id=p["item_id"]),
                      {"title": REMIND_RECTIFICATION_TITLE, "topic": p["problem"],
                       "deadline": wx_date(day(p["deadline"]))})


def _rectification_overdue(p: _Params, settings: _Settings) -> NoticeText:
    """params: item_id, problem, owner (a name; None: nobody), deadline (a day); to_owner (the one who answers
    for it is told to act, the admins to urge), with_branch (an item without an owner: its branch's secretary),
    submitted (awaiting verification: the owner has nothing left to do)."""
    deadline = fmt_day(day(p["deadline"]))
    problem = shorten(p["problem"], 80)
    if p.get("to_owner"):
        owner_text = FLAG_RECTIFICATION_OVERDUE_SUBMITTED if p.get("submitted") else FLAG_RECTIFICATION_OVERDUE_OWNER
        text = owner_text.format(problem=problem, id=p["item_id"], deadline=deadline)
    else:
        who = OVERDUE_OWNER.format(owner=p["owner"]) if p.get("owner") else \
            OVERDUE_SECRETARY if p.get("with_branch") else OVERDUE_NOBODY
        text = FLAG_RECTIFICATION_OVERDUE.format(problem=problem, who=who, deadline=deadline)
    return NoticeText(text,
                      {"title": FLAG_RECTIFICATION_OVERDUE_TITLE, "topic": p["problem"],
                       "deadline": wx_date(day(p["deadline"]))})


def digest_week(p: _Params) -> str:
    """The week a digest counts, as people read it: 11月23日—11月29日 (params first/last, ISO days; a row
    written before they were recorded: its slot, e.g. 2026-W49)."""
    if p.get("first") and p.get("last"):
        return DIGEST_WEEK.format(first=fmt_day(day(p["first"])), last=fmt_day(day(p["last"])))
    return str(p["week"])


def _digest(p: _Params, settings: _Settings) -> NoticeText:
    """params: committee_id, committee, week (its slot), first and last (the days counted), figures
    (meetings, branches_met, gaps, inactive, open_items, overdue, undeliverable)."""
    f, week = p["figures"], digest_week(p)
    return NoticeText(DIGEST.format(committee=p["committee"], week=week, **f),
                      {"title": DIGEST_TITLE, "committee": p["committee"], "week": week,
                       "meetings": DIGEST_MEETINGS.format(meetings=f["meetings"], gaps=f["gaps"]),
                       "overdue": str(f["overdue"]), "undeliverable": str(f["undeliverable"])})


def _fallback(p: _Params, settings: _Settings) -> NoticeText:
    """params: name (who could not be reached), text (what they were sent), original_id."""
    return NoticeText(FALLBACK.format(name=p["name"], text=p["text"]),
                      {"title": FALLBACK_TITLE, "subject": p["name"], "detail": p["text"]})


NOTICES: dict[str, NoticeWording] = {
    "meeting_reminder": _meeting_reminder,
    "minutes_reminder": _minutes_reminder,
    "leave_pending": _leave_pending,
    "compliance_gap": _compliance_gap,
    "branch_inactive": _branch_inactive,
    "review_due": _review_due,
    "rectification_due": _rectification_due,
    "rectification_overdue": _rectification_overdue,
    "digest": _digest,
    "fallback": _fallback,
}

# -- the notice page (the link of a template message) ---------------------------------------------
PAGE_TITLE = "通知"
PAGE_LINK_BAD = "链接无效：链接不完整或已被改动，请从微信消息中重新打开。"
PAGE_LINK_EXPIRED = "链接已过期：通知链接的有效期为{days}天，请在公众号回复“会议”等查看最新安排。"
PAGE_NOT_FOUND = "没有找到这条通知。"
PAGE_SENT_AT = "发送时间：{when}"
