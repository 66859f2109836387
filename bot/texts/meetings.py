"""The wording of 三会一课: scheduling, check-in, leave, minutes, attendance, progress; the refusals of the
meetings services (REFUSALS) and the notices they write (NOTICES).

The services return facts (typed results, refusal reasons with params, notice params); this module words
them. The Protocols below name what each piece of wording reads of a result (texts import no service).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.config import Settings
from bot.infra.clock import fmt_stamp, fmt_when, local
from bot.texts.general import NON_TEXT, UNBOUND
from bot.texts.notices import MEETING_TYPE_NAMES, PLACE_TBD, NoticeText, NoticeWording, moment, wx_time
from bot.texts.org import KIND_LABELS

MTG_NOT_FOUND = "没有找到这个会议，它可能已被删除。"
MTG_NO_BRANCH = "没有找到您负责的支部，无法安排会议。"
MTG_PAST = "会议时间 {when} 已经过去，请重新给出时间。"
MTG_TOO_FAR = "会议时间 {when} 距今超过一年，请确认后重新给出时间。"
MTG_TYPE_NO_COMMITTEE = "本支部未设支部委员会，不召开支委会。"
MTG_TYPE_NO_GROUPS = "本支部未设党小组，不召开党小组会。"
MTG_TYPE_NOT_HELD = "{branch}是{kind}党支部，按规定不召开{label}（可安排：{allowed}）。"
MTG_GROUP_AMBIGUOUS = "本支部有多个党小组，请注明是哪个小组：{groups}。"
MTG_DUPLICATE = "{when} 已安排了{label}（编号 {id}），无需重复安排。"
MTG_CANCELLED_ALREADY = "该会议已取消。"
MTG_ENDED = "该会议已结束，不能再改期或取消。"
MTG_CONFIRM_TAKEN = "已收到您的确认，正在处理或已经办好，无需重复发送。"
MTG_CHANGED_MEANWHILE = "该会议刚刚已被改动，请回复“会议”查看最新安排后重新操作。"
MTG_ASK_TIME = "好的，安排{label}。请告诉我会议时间，例如：下周三晚上7点半，或 12月5日 19:30。"
MTG_ASK_TIME_AGAIN = "没有识别出时间，请写明日期和钟点，例如：12月5日 19:30。回复“取消”放弃。"
# An impossible date or time in a scheduling sentence (bot.nlp.read_when's Refused reasons).
WHEN_HOUR_INVALID = "“{hour}点”不是有效的钟点（0—24点），请重新写明时间，例如：12月5日 19:30。"
WHEN_MINUTE_INVALID = "“{minute}分”不是有效的分钟（0—59分），请重新写明时间，例如：12月5日 19:30。"
WHEN_TIME_INVALID = "“{time}”不是有效的时刻，请重新写明时间，例如：12月5日 19:30。"
WHEN_MONTH_INVALID = "没有{month}月，请重新写明日期，例如：12月5日 19:30。"
WHEN_DAY_INVALID = "{month}月没有{day}日，请重新写明日期，例如：12月5日 19:30。"
WHEN_HOLIDAY_UNKNOWN = "暂时查不到“{holiday}”的日期，请直接写日期，例如：12月5日 19:30。"
MTG_ASK_TYPE = ("安排哪一种会议？请回复：支部党员大会、支委会、党小组会、党课、主题党日、组织生活会或民主评议党员。"
                "回复“取消”放弃。")
MTG_ASK_PLACE = "会议地点在哪里？例如：三楼会议室。回复“无”表示暂不填写。"
MTG_READBACK = "将于 {when} 在{place}召开{label}{topic}。回复“确认”发布，回复“取消”放弃。"
MTG_READBACK_NO_PLACE = "将于 {when} 召开{label}{topic}（地点未填写）。回复“确认”发布，回复“取消”放弃。"
MTG_TOPIC = "，主题：{topic}"
MTG_CONFIRM_PROMPT = "请回复“确认”发布，或回复“取消”放弃。"
MTG_CREATED = "已发布：{when} {label}（编号 {id}）。已通知 {n} 名党员。会前可回复“签到码”获取签到二维码。"
MTG_RESCHEDULE_READBACK = "将把{label}（编号 {id}）从 {old} 改到 {new}。回复“确认”改期，回复“取消”放弃。"
MTG_RESCHEDULED = "已改期：{label}（编号 {id}）改到 {when}，已通知 {n} 名党员。"
MTG_CANCEL_READBACK = "将取消 {when} 的{label}（编号 {id}）。回复“确认”取消会议，回复“取消”放弃。"
MTG_CANCEL_DONE = "已取消 {when} 的{label}（编号 {id}），已通知 {n} 名党员。"
MTG_WHICH = "有多个会议，请在命令后加编号，例如“{cmd} {example}”：\n{lines}"
MTG_NONE_UPCOMING = "本支部近期没有安排会议。"
MTG_LIST_HEADER = "{branch}近期会议："
MTG_LIST_LINE = "#{id} {when} {label}{place}"
MTG_RESCHEDULE_USAGE = "请写明新的时间，例如：改期 12月6日 19:30（多个会议时：改期 编号 新时间）。"
NOTICE_PUBLISHED = "【会议通知】{when} 召开{label}{place}{topic}。如不能参加，请回复“请假 事由”。"
NOTICE_CHANGED = "【会议改期】{label}改到 {when}{place}，原定 {old}。如不能参加，请回复“请假 事由”。"
NOTICE_CANCELLED = "【会议取消】原定 {when} 的{label}已取消。"
NOTICE_STATUS_CANCELLED = "已取消"
NOTICE_STATUS_APPROVED = "已同意"
NOTICE_STATUS_REJECTED = "未同意"

CHK_OK = "签到成功，{name}，{at}"
CHK_OK_LATE = "签到成功，{name}，{at}（迟到）"
CHK_MANUAL_OK = "已为{name}代签，{at}"
CHK_ALREADY = "{name}，您已于 {at} 签到，无需重复扫码。"
CHK_ALREADY_OTHER = "{name}已于 {at} 签到，无需重复登记。"
CHK_UNBOUND = UNBOUND  # every capability answers someone not yet bound the same way
CHK_INACTIVE = "您的党员信息已停用，无法签到，请联系支部书记。"
CHK_CANCELLED = "该会议已取消，无需签到。"
CHK_NOT_MEMBER = "您不是{branch}的党员，不能签到该会议。如果您是流动党员，请先请支部书记登记。"
CHK_NOT_GROUP = "这是{group}的小组会，您不在该党小组，不能签到。"
CHK_NOT_COMMITTEE = "这是支委会，只有支部委员签到。"
CHK_TOO_EARLY = "签到尚未开始：会议 {start} 开始，{opens} 起可以签到。"
CHK_CLOSED = "会议已于 {end} 结束，签到已关闭。"
CHK_SCENE_UNKNOWN = "这个签到码无效，或会议已被删除。请扫描书记出示的最新签到码。"
CHK_NO_MEETING_NOW = "现在没有可以签到的会议。"
CHK_SIGNED_OUT = "签退成功，{name}，{at}"
CHK_NOT_CHECKED_IN = "您还没有签到，无法签退。"
CHK_MANUAL_WHO = "请写明代签党员的姓名，例如：代签 张三"
CHK_MANUAL_NOBODY = "本支部没有名为“{name}”的党员。"
CHK_MANUAL_MANY = "本支部有多名党员叫“{name}”，请联系管理员核对名册。"
QR_BAD = "二维码无效，请扫描会场大屏上的二维码。"
QR_EXPIRED = "二维码已过期（每 {ttl} 秒更新），请扫描会场大屏上的最新二维码。"
QR_OTHER_MEETING = "这个二维码不属于该会议，请扫描本次会议的二维码。"
QR_PAGE_LINK = ("{label}（编号 {id}，{when}）的签到二维码：\n{url}\n"
                "在会场用投影打开此链接：页面每 {rotate} 秒更换二维码，截图转发无效。"
                "页面上另有公众号签到码，党员用微信扫码即可签到。不方便扫码的党员可由书记或支委回复“代签 姓名”。")
QR_PAGE_EXPIRED = "签到页面链接已失效，请在公众号回复“签到码”重新获取。"
OAUTH_FAILED = "微信身份确认失败，请重新扫码。"
QR_OFFICIAL_UNAVAILABLE = "公众号二维码暂时无法生成，请使用上方签到码"

LEAVE_NO_MEETING = "近期没有需要请假的会议。"
LEAVE_STARTED = "会议已开始，不能再请假；如有特殊情况请直接联系支部书记。"
LEAVE_NEED_REASON = "请写明请假事由，例如：请假 家中有事"
LEAVE_ASK_REASON = "为 {when} 的{label}请假，事由是什么？请直接回复事由（如家中有事、出差）。回复“取消”放弃。"
LEAVE_ALREADY = "您已就 {when} 的{label}提交过请假（{status}）。"
LEAVE_SUBMITTED = "已提交请假：{when} 的{label}，事由：{reason}。等待书记审批，结果会通知您。"
LEAVE_NOTICE = "【请假申请】{name}申请不参加 {when} 的{label}，事由：{reason}。回复“同意 {id}”或“不同意 {id}”。"
LEAVE_NONE_PENDING = "当前没有待审批的请假申请。"
LEAVE_WHICH = "有多条请假申请待审批，请回复“同意 编号”或“不同意 编号”：\n{lines}"
LEAVE_LINE = "{id}. {name}：{when} {label}，事由：{reason}"
LEAVE_DECIDED_ALREADY = "这条请假申请已处理（{status}）。"
LEAVE_OWN = "不能审批自己的请假申请，请由支部书记或其他支委审批。"
LEAVE_MEETING_CANCELLED = "这条请假申请对应的会议已取消，无需审批。"
LEAVE_APPROVED = "已同意{name}的请假（{when} {label}）。"
LEAVE_REJECTED = "已不同意{name}的请假（{when} {label}），已通知本人。"
LEAVE_NOTICE_APPROVED = "您的请假已获同意：{when} 的{label}。"
LEAVE_NOTICE_REJECTED = "您的请假未获同意：{when} 的{label}，请按时参加；如有困难请联系支部书记。"
LEAVE_STATUS = {"pending": "待审批", "approved": "已同意", "rejected": "未同意"}

ATT_SUMMARY = ("{label}（编号 {id}，{when}）签到情况：\n应到 {expected} 人，实到 {present} 人，请假 {leave} 人，"
               "{absent_word} {absent} 人，迟到 {late} 人。")
ATT_EXTRA = "另有列席（流动党员等）{n} 人。"
ATT_QUORUM_OK = "到会 {present}/{base} 人，已过半数，符合{rule}。"
ATT_QUORUM_FAIL = "到会 {present}/{base} 人，未过半数，不符合{rule}，本次会议不计入完成次数。"
ATT_QUORUM_RULES = {"general_meeting": "党员大会须半数以上正式党员到会的规定",
                    "committee_meeting": "支委会须半数以上支部委员到会的规定"}
ATT_NAMES = "{title}：{names}"

MIN_NO_MEETING = "没有可以记录的会议（会议开始后才能记录）。"
MIN_START = ("开始记录{label}（编号 {id}，{when}）的会议记录。请直接发送文字和照片，"
             "每条都会保存；发完后回复“完成”。")
MIN_TEXT_SAVED = "已记下第 {n} 段文字。继续发送，或回复“完成”。"
MIN_IMAGE_SAVED = "已收到第 {n} 张照片，正在后台从微信下载保存，无需等待。继续发送，或回复“完成”。"
MIN_DONE = "会议记录已保存：文字 {texts} 段，照片 {images} 张。该会议已标记为“已记录”。"
MIN_TOO_LONG = "会议记录已超过 5 万字，请精简后再发送。"
MIN_EMPTY_DONE = "本次没有收到内容，会议记录未变。"
MIN_MEETING_CANCELLED = "该会议已取消，不能再添加会议记录。回复“取消”结束记录。"

CMP_HEADER = "{branch} {label}进度（截至 {date}）："
CMP_LINE_OK = "✓ {type}（{period}，应 {required} 次）：已完成 {held} 次"
CMP_LINE_MISSING = "✗ {type}（{period}，应 {required} 次）：还差 {missing} 次"
CMP_UNQUORATE = "  · {when} 的{type}到会 {present}/{base} 人，未过半数，不计入"
CMP_ALL_DONE = "本期规定的会议都已完成。"
CMP_TODO = "还差：{items}。回复安排会议即可，例如：下周三晚上7点半开支委会，地点三楼会议室"
PERIOD_WORDS = {"month": "本月", "quarter": "本季度", "year": "本年度"}
CMP_SCHEDULED = "  · 已安排：{items}"
CMP_SCHEDULED_ITEM = "#{id} {when}"
OVR_HEADER = "{scope}三会一课进度（截至 {date}，共 {n} 个支部）："
OVR_SCOPE_ADMIN = "所辖"
OVR_BEHIND = "{i}. {branch}（#{id}）：还差 {items}{scheduled}"
OVR_BEHIND_SCHEDULED = "；已安排 {n} 次"
OVR_REST_DONE = "其余 {n} 个支部本期规定的会议都已完成。"
OVR_ALL_DONE = "各支部本期规定的会议都已完成。"
OVR_FOOTER = "回复“进度 #支部编号”查看某个支部的详情。"
CMP_TODO_OVERSEER = "还差：{items}。"
OVR_NONE = "您负责的党委或指导的社会组织下还没有党支部。"
OVR_LIST_HEADER = "所辖支部近期会议（{n} 个）："
OVR_LIST_LINE = "#{id} {when} {branch} {label}{place}"
OVR_LIST_NONE = "所辖支部近期没有安排会议。"
ATT_NOT_STARTED = ("{label}（编号 {id}，{when}）尚未开始，开始后可查看签到情况。"
                   "应到 {expected} 人，已请假 {leave} 人，已提前签到 {present} 人。")
ATT_QUORUM_PENDING = "目前到会 {present}/{base} 人，会议进行中，须半数以上到会。"
LEAVE_ASK_WHICH = "近期有多个会议，请回复序号选择要请假的会议（回复“取消”放弃）：\n{lines}"
LEAVE_CHOICE_LINE = "{n}. #{id} {when} {label}"
LEAVE_CHOICE_AGAIN = "请回复列表中的序号，例如 1；回复“取消”放弃。"
LEAVE_NOT_NAMED = "没有找到您要请假的会议，请回复“会议”查看编号后发送“请假 #编号 事由”。"
LEAVE_CHECKED_IN = "您已签到 {when} 的{label}，不能再为它请假。"
MIN_VIEW = ("{label}（编号 {id}，{when}，{branch}）会议记录：\n{text}\n"
            "照片 {images} 张。完整记录和照片：\n{url}\n（链接 {days} 天内有效）")
MIN_VIEW_EMPTY_TEXT = "（没有文字记录）"
MIN_VIEW_MAX_CHARS = 600
MIN_NONE_RECORDED = "还没有已记录的会议。回复“查看记录 #编号”查看某次会议。"
MIN_LINK_EXPIRED = "会议记录链接已失效，请在公众号回复“查看记录”重新获取。"
MIN_PHOTO_MISSING = "这张照片还没有保存好，请稍后再看。"
MIN_PAGE_TITLE = "会议记录"
MIN_PAGE_PHOTOS = "照片（{n} 张）"
MIN_PAGE_PHOTO_PENDING = "照片正在从微信下载，请稍后刷新。"


def type_label(meeting_type: str) -> str:
    """支部党员大会 for general_meeting: how a meeting type is named to people."""
    return MEETING_TYPE_NAMES.get(meeting_type, meeting_type)


# -- what the wording reads of the services' results ----------------------------------------------
class MeetingFacts(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def place(self) -> str: ...


class CheckinFacts(Protocol):
    @property
    def member_name(self) -> str: ...
    @property
    def checked_in_at(self) -> datetime: ...
    @property
    def late(self) -> bool: ...
    @property
    def created(self) -> bool: ...
    @property
    def manual(self) -> bool: ...
    @property
    def same_message(self) -> bool: ...


class SignOutFacts(Protocol):
    @property
    def member_name(self) -> str: ...
    @property
    def signed_out_at(self) -> datetime: ...


class LeaveFacts(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def member_name(self) -> str: ...
    @property
    def meeting_type(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def reason(self) -> str: ...


class AttendanceFacts(Protocol):
    @property
    def meeting_id(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ended(self) -> bool: ...
    @property
    def expected(self) -> int: ...
    @property
    def present(self) -> int: ...
    @property
    def leave(self) -> int: ...
    @property
    def absent(self) -> int: ...
    @property
    def late(self) -> int: ...
    @property
    def extra(self) -> int: ...
    @property
    def quorum_rule(self) -> str | None: ...
    @property
    def quorum_base(self) -> int: ...
    @property
    def quorum_present(self) -> int: ...
    @property
    def quorum_met(self) -> bool | None: ...
    @property
    def late_names(self) -> Sequence[str]: ...
    @property
    def leave_names(self) -> Sequence[str]: ...
    @property
    def absent_names(self) -> Sequence[str]: ...
    @property
    def started(self) -> bool: ...


class UnquorateFacts(Protocol):
    @property
    def starts_at(self) -> datetime: ...
    @property
    def present(self) -> int: ...
    @property
    def base(self) -> int: ...


class ScheduledFacts(Protocol):
    @property
    def meeting_id(self) -> int: ...
    @property
    def starts_at(self) -> datetime: ...


class PeriodFacts(Protocol):
    @property
    def meeting_type(self) -> str: ...
    @property
    def period(self) -> str: ...
    @property
    def period_label(self) -> str: ...
    @property
    def required(self) -> int: ...
    @property
    def held_with_quorum(self) -> int: ...
    @property
    def missing(self) -> int: ...
    @property
    def unquorate(self) -> Sequence[UnquorateFacts]: ...
    @property
    def scheduled(self) -> Sequence[ScheduledFacts]: ...


class ComplianceFacts(Protocol):
    @property
    def branch_id(self) -> int: ...
    @property
    def branch_name(self) -> str: ...
    @property
    def items(self) -> Sequence[PeriodFacts]: ...
    @property
    def missing_types(self) -> list[str]: ...


class BranchMeetingFacts(MeetingFacts, Protocol):
    @property
    def branch_name(self) -> str: ...


class PhotoFacts(Protocol):
    @property
    def kept(self) -> bool: ...


class MinutesFacts(Protocol):
    @property
    def meeting_id(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def branch_name(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def photos(self) -> Sequence[PhotoFacts]: ...
    @property
    def expires(self) -> datetime: ...


# -- replies -------------------------------------------------------------------------------------
def meeting_line(meeting: MeetingFacts, settings: Settings) -> str:
    """#12 12月5日（周六）19:30 支部党员大会 三楼: a meeting in a list."""
    place = f" {meeting.place}" if meeting.place else ""
    return MTG_LIST_LINE.format(id=meeting.id, when=fmt_when(meeting.starts_at, settings, year=False),
                                label=type_label(meeting.type), place=place)


def checkin_reply(result: CheckinFacts, settings: Settings) -> str:
    """What the member (or the secretary, for 代签) reads after a check-in; a retry of the message that made
    the record reads the same success again."""
    at = fmt_stamp(result.checked_in_at, settings)
    if result.created or result.same_message:
        if result.manual:
            return CHK_MANUAL_OK.format(name=result.member_name, at=at)
        return (CHK_OK_LATE if result.late else CHK_OK).format(name=result.member_name, at=at)
    return (CHK_ALREADY_OTHER if result.manual else CHK_ALREADY).format(name=result.member_name, at=at)


def signed_out(result: SignOutFacts, settings: Settings) -> str:
    return CHK_SIGNED_OUT.format(name=result.member_name, at=fmt_stamp(result.signed_out_at, settings))


def leave_fields(info: LeaveFacts, settings: Settings) -> dict[str, str]:
    """The fields of the leave sentences (LEAVE_SUBMITTED, LEAVE_LINE, LEAVE_APPROVED, …)."""
    return {"name": info.member_name, "when": fmt_when(info.starts_at, settings, year=False),
            "label": type_label(info.meeting_type), "reason": info.reason, "id": str(info.id)}


def attendance_summary(summary: AttendanceFacts, settings: Settings, *, names: bool = True) -> str:
    """The secretary's 签到情况 message (and the CLI's `attendance ID`); before the meeting starts, that it
    has not started (no quorum is judged yet)."""
    if not summary.started:
        return ATT_NOT_STARTED.format(label=type_label(summary.type), id=summary.meeting_id,
                                      when=fmt_when(summary.starts_at, settings), expected=summary.expected,
                                      leave=summary.leave, present=summary.present)
    lines = [ATT_SUMMARY.format(
        label=type_label(summary.type), id=summary.meeting_id, when=fmt_when(summary.starts_at, settings),
        expected=summary.expected, present=summary.present, leave=summary.leave,
        absent_word="缺席" if summary.ended else "未签到", absent=summary.absent, late=summary.late)]
    if summary.extra:
        lines.append(ATT_EXTRA.format(n=summary.extra))
    if summary.quorum_rule:
        rule = ATT_QUORUM_RULES[summary.quorum_rule]
        template = ATT_QUORUM_OK if summary.quorum_met else ATT_QUORUM_FAIL if summary.ended \
            else ATT_QUORUM_PENDING
        lines.append(template.format(present=summary.quorum_present, base=summary.quorum_base, rule=rule))
    if names:
        for title, items in (("迟到", summary.late_names), ("请假", summary.leave_names),
                             ("缺席" if summary.ended else "未签到", summary.absent_names)):
            if items:
                shown = "、".join(items[:30]) + ("等" if len(items) > 30 else "")
                lines.append(ATT_NAMES.format(title=title, names=shown))
    return "\n".join(lines)


def progress_report(bc: ComplianceFacts, now: datetime, settings: Settings, *, overseer: bool = False) -> str:
    """The secretary's 进度 / 本月还差什么 answer, with why a meeting without quorum did not count (an
    overseer's `进度 #branch` reads the same without the suggestion to schedule)."""
    today = local(now, settings)
    lines = [CMP_HEADER.format(branch=bc.branch_name, label="三会一课", date=f"{today.month}月{today.day}日")]
    order = {"month": 0, "quarter": 1, "year": 2}
    for item in sorted(bc.items, key=lambda i: order.get(i.period, 3)):
        period = f"{PERIOD_WORDS.get(item.period, '')} {item.period_label}"
        if item.missing:
            lines.append(CMP_LINE_MISSING.format(type=type_label(item.meeting_type), period=period,
                                                 required=item.required, missing=item.missing))
        else:
            lines.append(CMP_LINE_OK.format(type=type_label(item.meeting_type), period=period,
                                            required=item.required, held=item.held_with_quorum))
        for u in item.unquorate:
            lines.append(CMP_UNQUORATE.format(when=fmt_when(u.starts_at, settings, year=False),
                                              type=type_label(item.meeting_type), present=u.present, base=u.base))
        if item.scheduled:
            lines.append(CMP_SCHEDULED.format(items="、".join(
                CMP_SCHEDULED_ITEM.format(id=m.meeting_id, when=fmt_when(m.starts_at, settings, year=False))
                for m in item.scheduled)))
    missing = [type_label(t) for t in bc.missing_types]
    todo = CMP_TODO_OVERSEER if overseer else CMP_TODO
    lines.append(todo.format(items="、".join(missing)) if missing else CMP_ALL_DONE)
    return "\n".join(lines)


def overview_report(branches: Sequence[ComplianceFacts], now: datetime, settings: Settings, *,
                    limit: int = 15) -> str:
    """An admin's or instructor's 进度: the branches behind this period, most behind first."""
    today = local(now, settings)
    lines = [OVR_HEADER.format(scope=OVR_SCOPE_ADMIN, date=f"{today.month}月{today.day}日", n=len(branches))]
    behind = [bc for bc in branches if bc.missing_types]
    for i, bc in enumerate(behind[:limit], 1):
        items = "、".join(f"{type_label(it.meeting_type)}{it.missing}次" for it in bc.items if it.missing)
        planned = sum(len(it.scheduled) for it in bc.items if it.missing)
        lines.append(OVR_BEHIND.format(i=i, branch=bc.branch_name, id=bc.branch_id, items=items,
                                       scheduled=OVR_BEHIND_SCHEDULED.format(n=planned) if planned else ""))
    if len(behind) > limit:
        lines.append(f"……另有 {len(behind) - limit} 个支部未完成。")
    done = len(branches) - len(behind)
    lines.append((OVR_REST_DONE.format(n=done) if done else "") if behind else OVR_ALL_DONE)
    if behind:
        lines.append(OVR_FOOTER)
    return "\n".join(line for line in lines if line)


def overseen_meetings(found: Sequence[BranchMeetingFacts], settings: Settings) -> str:
    """An admin's or instructor's 会议: the coming meetings of the branches they oversee."""
    if not found:
        return OVR_LIST_NONE
    lines = [OVR_LIST_HEADER.format(n=len({m.branch_name for m in found}))]
    lines += [OVR_LIST_LINE.format(id=m.id, when=fmt_when(m.starts_at, settings, year=False), branch=m.branch_name,
                                   label=type_label(m.type), place=f" {m.place}" if m.place else "")
              for m in found]
    return "\n".join(lines)


def minutes_view(view: MinutesFacts, url: str, now: datetime, settings: Settings) -> str:
    """查看记录: the text (cut if long), the number of photos, the link to the page with the photos."""
    text = view.text.strip() or MIN_VIEW_EMPTY_TEXT
    if len(text) > MIN_VIEW_MAX_CHARS:
        text = text[:MIN_VIEW_MAX_CHARS] + "……"
    days = max(1, round((view.expires - now).total_seconds() / 86400))
    return MIN_VIEW.format(label=type_label(view.type), id=view.meeting_id, when=fmt_when(view.starts_at, settings),
                           branch=view.branch_name, text=text, images=len(view.photos), url=url, days=days)


# -- refusals: the meetings services' reasons, worded ------------------------------------------------
_Params = Mapping[str, Any]
_Settings = Settings


def _clock_face(moment_: datetime, settings: _Settings, pattern: str) -> str:
    return local(moment_, settings).strftime(pattern)


def _not_held(p: _Params, s: _Settings) -> str:
    allowed: Sequence[str] = p["allowed"]
    return MTG_TYPE_NOT_HELD.format(branch=p["branch"], kind=KIND_LABELS.get(p["kind"], p["kind"]),
                                    label=type_label(p["type"]),
                                    allowed="、".join(type_label(t) for t in allowed) or "无")


REFUSALS: dict[str, str | Callable[[_Params, _Settings], str]] = {
    "meeting_not_found": MTG_NOT_FOUND,
    "no_managed_branch": MTG_NO_BRANCH,
    "meeting_past": MTG_PAST,
    "meeting_too_far": MTG_TOO_FAR,
    "when_hour_invalid": WHEN_HOUR_INVALID,
    "when_minute_invalid": WHEN_MINUTE_INVALID,
    "when_time_invalid": WHEN_TIME_INVALID,
    "when_month_invalid": WHEN_MONTH_INVALID,
    "when_day_invalid": WHEN_DAY_INVALID,
    "when_holiday_unknown": WHEN_HOLIDAY_UNKNOWN,
    "meeting_type_no_committee": MTG_TYPE_NO_COMMITTEE,
    "meeting_type_no_groups": MTG_TYPE_NO_GROUPS,
    "meeting_type_not_held": _not_held,
    "meeting_group_ambiguous": lambda p, s: MTG_GROUP_AMBIGUOUS.format(groups="、".join(p["groups"])),
    "meeting_duplicate": lambda p, s: MTG_DUPLICATE.format(when=fmt_when(p["when"], s), label=type_label(p["type"]),
                                                           id=p["id"]),
    "meeting_cancelled": MTG_CANCELLED_ALREADY,
    "meeting_ended": MTG_ENDED,
    "meeting_changed": MTG_CHANGED_MEANWHILE,
    "checkin_inactive": CHK_INACTIVE,
    "checkin_scene_unknown": CHK_SCENE_UNKNOWN,
    "checkin_scene_expired": "这个公众号签到码已过期（每分钟更换，{minutes} 分钟后失效），请扫描大屏上的最新签到码。",
    "checkin_cancelled": CHK_CANCELLED,
    "checkin_not_member": lambda p, s: CHK_NOT_MEMBER.format(branch=p.get("branch") or "本支部"),
    "checkin_not_group": lambda p, s: CHK_NOT_GROUP.format(group=p.get("group") or "该党小组"),
    "checkin_not_committee": CHK_NOT_COMMITTEE,
    "checkin_too_early": lambda p, s: CHK_TOO_EARLY.format(start=_clock_face(p["starts_at"], s, "%m月%d日 %H:%M"),
                                                           opens=_clock_face(p["opens"], s, "%H:%M")),
    "checkin_closed": lambda p, s: CHK_CLOSED.format(end=_clock_face(p["closes"], s, "%m月%d日 %H:%M")),
    "checkin_no_meeting_now": CHK_NO_MEETING_NOW,
    "checkin_not_checked_in": CHK_NOT_CHECKED_IN,
    "checkin_nobody": CHK_MANUAL_NOBODY,
    "checkin_name_ambiguous": CHK_MANUAL_MANY,
    "qr_bad": QR_BAD,
    "qr_expired": QR_EXPIRED,
    "qr_other_meeting": QR_OTHER_MEETING,
    "qr_page_expired": QR_PAGE_EXPIRED,
    "leave_no_meeting": LEAVE_NO_MEETING,
    "leave_started": LEAVE_STARTED,
    "leave_need_reason": LEAVE_NEED_REASON,
    "leave_already": lambda p, s: LEAVE_ALREADY.format(when=fmt_when(p["when"], s, year=False),
                                                       label=type_label(p["type"]), status=LEAVE_STATUS[p["status"]]),
    "leave_none_pending": LEAVE_NONE_PENDING,
    "leave_decided_already": lambda p, s: LEAVE_DECIDED_ALREADY.format(status=LEAVE_STATUS[p["status"]]),
    "leave_own": LEAVE_OWN,
    "leave_meeting_cancelled": LEAVE_MEETING_CANCELLED,
    "minutes_no_meeting": MIN_NO_MEETING,
    "minutes_too_long": MIN_TOO_LONG,
    "minutes_no_media": NON_TEXT,
    "minutes_meeting_cancelled": MIN_MEETING_CANCELLED,
    "minutes_none_recorded": MIN_NONE_RECORDED,
    "minutes_link_expired": MIN_LINK_EXPIRED,
    "minutes_photo_missing": MIN_PHOTO_MISSING,
    "no_overseen_branch": OVR_NONE,
    "leave_checked_in": lambda p, s: LEAVE_CHECKED_IN.format(when=fmt_when(p["when"], s, year=False),
                                                             label=type_label(p["type"])),
}


# -- notices the meetings services write (kind -> wording of its params) -----------------------------
def _place(p: _Params) -> str:
    return f"，地点：{p['place']}" if p.get("place") else ""


def _meeting_name(p: _Params) -> str:
    return f"{type_label(p['type'])}：{p['topic']}" if p.get("topic") else type_label(p["type"])


def _published(p: _Params, s: _Settings) -> NoticeText:
    topic = MTG_TOPIC.format(topic=p["topic"]) if p.get("topic") else ""
    return NoticeText(NOTICE_PUBLISHED.format(when=fmt_when(moment(p["starts_at"]), s, year=False),
                                              label=type_label(p["type"]), place=_place(p), topic=topic),
                      {"meeting": _meeting_name(p), "time": wx_time(moment(p["starts_at"]), s),
                       "place": p.get("place") or PLACE_TBD})


def _changed(p: _Params, s: _Settings) -> NoticeText:
    old = moment(p.get("old_starts_at") or p["starts_at"])
    return NoticeText(NOTICE_CHANGED.format(label=type_label(p["type"]),
                                            when=fmt_when(moment(p["starts_at"]), s, year=False), place=_place(p),
                                            old=fmt_when(old, s, year=False)),
                      {"meeting": _meeting_name(p), "time": wx_time(moment(p["starts_at"]), s),
                       "old_time": wx_time(old, s), "place": p.get("place") or PLACE_TBD})


def _cancelled(p: _Params, s: _Settings) -> NoticeText:
    return NoticeText(NOTICE_CANCELLED.format(when=fmt_when(moment(p["starts_at"]), s, year=False),
                                              label=type_label(p["type"])),
                      {"meeting": _meeting_name(p), "time": wx_time(moment(p["starts_at"]), s),
                       "status": NOTICE_STATUS_CANCELLED})


def _leave_requested(p: _Params, s: _Settings) -> NoticeText:
    return NoticeText(LEAVE_NOTICE.format(name=p["name"], when=fmt_when(moment(p["starts_at"]), s, year=False),
                                          label=type_label(p["type"]), reason=p["reason"],
                                          id=p["leave_request_id"]),
                      {"name": p["name"], "meeting": type_label(p["type"]),
                       "time": wx_time(moment(p["starts_at"]), s), "reason": p["reason"]})


def _leave_decided(p: _Params, s: _Settings) -> NoticeText:
    approved = p["status"] == "approved"
    template = LEAVE_NOTICE_APPROVED if approved else LEAVE_NOTICE_REJECTED
    return NoticeText(template.format(when=fmt_when(moment(p["starts_at"]), s, year=False),
                                      label=type_label(p["type"])),
                      {"meeting": type_label(p["type"]), "time": wx_time(moment(p["starts_at"]), s),
                       "status": NOTICE_STATUS_APPROVED if approved else NOTICE_STATUS_REJECTED})


NOTICES: dict[str, NoticeWording] = {
    "meeting_published": _published,
    "meeting_changed": _changed,
    "meeting_cancelled": _cancelled,
    "leave_requested": _leave_requested,
    "leave_decided": _leave_decided,
}
