"""Words of 述职评议: replies, refusals (REFUSALS), notices (NOTICES) and the CLI's lines and export headers.

The services return facts (bot.services.review: ReportView, Graded, RoundResults); this module words them.
The Protocols below name what each piece of wording reads of a result (texts import no service)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from bot.config import Settings
from bot.infra.clock import fmt_day, fmt_when
from bot.infra.text import shorten
from bot.texts.notices import NoticeText, NoticeWording, moment, wx_time

STATUS_WORDS = {"not_submitted": "未提交", "submitted": "已提交", "returned": "已退回", "reviewed": "已评议"}
MODE_WORDS = {"onsite": "现场述职", "written": "书面述职"}
ROUND_STATUS_WORDS = {"open": "进行中", "closed": "已结束"}
ROUND_TITLE = "{year}年度党支部书记抓基层党建工作述职评议"


def status_word(status: str) -> str:
    return STATUS_WORDS.get(status, status)


# -- chat: the secretary ---------------------------------------------------------------------------------
DRAFT_START = ("开始撰写{title}（{branch}，{mode}），{deadline}前提交。\n"
               "请直接发送述职内容（文字可分多条发送）和照片，写完后回复“提交”；回复“查看述职”可随时查看已写内容。\n"
               "撰写期间发来的文字都记入报告；要办其他事，先回复“取消”（已写内容会保存）。")
DRAFT_RESUME = "继续撰写{title}（{branch}），已写{chars}字、照片{photos}张，{deadline}前提交。写完后回复“提交”。"
DRAFT_RETURNED = "您的述职报告已被退回，理由：{reason}。请修改补充后再回复“提交”。"
DRAFT_ITEMS = ("上年度以下整改事项尚未销号，报告须逐项说明整改情况，并注明编号（如“#{example}”或“第{example}项”）：\n"
               "{lines}")
DRAFT_ITEM_LINE = "#{id} {problem}（整改时限{deadline}）"
DRAFT_TEXT_SAVED = "已记下（共{chars}字）。继续发送文字或照片，写完后回复“提交”。"
DRAFT_TEXT_SAVED_ITEMS = "已记下（共{chars}字）。报告尚未说明的整改事项：{ids}。写完后回复“提交”。"
DRAFT_IMAGE_SAVED = "已保存照片（共{n}张）。写完后回复“提交”。"
SUBMITTED = "述职报告已提交（{branch}，{chars}字、照片{photos}张）。截止前如需修改，可回复“撤回述职”。"
ALREADY_SUBMITTED = "{branch}的述职报告已提交，无需重复提交。如需修改，请在截止前回复“撤回述职”。"
WITHDRAWN = "已撤回{branch}的述职报告，可继续修改，{deadline}前请重新回复“提交”。"
READ_HEAD = "{title}｜{branch}（{mode}）\n状态：{status}{extra}\n截止：{deadline}｜照片{photos}张"
READ_RETURNED = "（退回理由：{reason}）"
READ_SUBMITTED_AT = "（提交于{when}）"
READ_EMPTY = "（尚未撰写内容，回复“述职”开始）"
READ_MAX_BYTES = 2000  # a chat reply is cut by the channel at 2048 bytes (UTF-8): the whole reading fits
READ_CUT = "…（共{chars}字，仅显示前{shown}字）"
READ_UNANSWERED = "尚未说明的整改事项：{ids}"

# -- chat: admins and reviewers --------------------------------------------------------------------------
RETURNED = "已退回{branch}的述职报告，理由：{reason}。已通知支部书记修改后重新提交。"
RETURN_USAGE = "请写明支部和退回理由，例如：退回述职 阳光党支部 未说明上年度整改情况"
GRADE_USAGE = "请写明支部和评议等次，例如：评议 阳光党支部 好 工作扎实 问题：台账不全；记录缺失"
GRADED = "已评议{branch}：{grade}。"
GRADED_REPLACED = "已将您对{branch}的评议由“{previous}”改为“{grade}”（每位评议人对每份报告只保留一次评议）。"
GRADED_SAME = "您对{branch}的评议仍为“{grade}”，已替换上次的评议（每位评议人对每份报告只保留一次评议）。"
GRADED_ITEMS = "已列入整改台账{n}项：{ids}。"
GRADED_ITEMS_KNOWN = "所列问题已在整改台账中，没有重复列入。"
PROBLEMS_ONLY = "已将{branch}的{n}个问题列入整改台账：{ids}。"
PROBLEMS_NONE_NEW = "这些问题已在{branch}的整改台账中，没有重复列入。"

OVERVIEW_HEAD = "{title}（{deadline}截止）：已提交{submitted}份，共{total}份"
OVERVIEW_LINE = "#{branch_id} {branch}｜{mode}｜{status}｜已评议{graded}人{mine}"
OVERVIEW_MINE = "，我的评议：{grade}"
OVERVIEW_FOOT = "回复“查看述职 支部”阅读报告，回复“评议 支部 等次 意见”进行评议。"

# -- CLI -------------------------------------------------------------------------------------------------
CLI_OPENED = ("已开启{year}年度述职评议：{branches}个支部述职（现场{onsite}个），评议人{reviewers}人，"
              "等次 {scale}，截止{deadline}。轮次编号 {id}")
CLI_NO_REVIEWERS = "注意：本轮没有指定评议人（--reviewer 手机号），没有人能评议各支部的述职报告。"
CLI_CLOSED = "述职评议 #{id} 已结束：已评议{reviewed}份（现场{onsite}，书面{written}）；{grades}"
CLI_RESULTS_HEAD = "{title}（#{id}，{status}）：已评议{reviewed}份，现场{onsite}，书面{written}；{grades}"
CLI_RESULTS_LINE = "  #{branch_id} {branch}｜{mode}｜{status}｜{grades}｜结果：{final}"
CLI_EXPORTED = "已导出述职评议 #{id}：{n}份报告，写入 {path}"
GRADE_COUNT = "{grade}{n}"
NO_FINAL = "—"

# -- the xlsx export ----------------------------------------------------------------------------------------
SHEET_SUMMARY = "评议汇总"
SHEET_REPORTS = "各支部评议情况"
SUMMARY_HEADERS = ("轮次", "年度", "状态", "已评议", "现场述职", "书面述职")
REPORT_HEADERS = ("支部编号", "支部", "述职方式", "状态")
REPORT_FINAL = "评议结果"
REPORT_REVIEWERS = "评议人意见"
REVIEWER_CELL = "{name}：{grade}{comment}"


# -- what wording reads of results (texts import no service) ---------------------------------------------
class OpenItemLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def problem(self) -> str: ...
    @property
    def deadline(self) -> date: ...


class ReportLike(Protocol):
    @property
    def round_title(self) -> str: ...
    @property
    def branch(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def photos(self) -> int: ...
    @property
    def deadline(self) -> datetime: ...
    @property
    def submitted_at(self) -> datetime | None: ...
    @property
    def return_reason(self) -> str | None: ...
    @property
    def open_items(self) -> Sequence[OpenItemLike]: ...
    @property
    def unanswered(self) -> Sequence[int]: ...


def due_day(deadline: datetime, settings: Settings) -> str:
    """A round's deadline as people were told it: the last day (a deadline at midnight ends the day before)."""
    from datetime import timedelta

    from bot.infra.clock import local

    t = local(deadline, settings)
    if (t.hour, t.minute, t.second) == (0, 0, 0):
        return fmt_day((t - timedelta(minutes=1)).date())
    return fmt_when(deadline, settings)


def _ids(ids: Sequence[int]) -> str:
    return "、".join(f"#{i}" for i in ids)


def draft_prompt(view: ReportLike, settings: Settings, resumed: bool) -> str:
    deadline = due_day(view.deadline, settings)
    if resumed:
        head = DRAFT_RESUME.format(title=view.round_title, branch=view.branch, chars=len(view.text),
                                   photos=view.photos, deadline=deadline)
    else:
        head = DRAFT_START.format(title=view.round_title, branch=view.branch, mode=MODE_WORDS.get(view.mode, view.mode),
                                  deadline=deadline)
    parts = [head]
    if view.status == "returned" and view.return_reason:
        parts.append(DRAFT_RETURNED.format(reason=view.return_reason))
    if view.open_items:
        lines = "\n".join(DRAFT_ITEM_LINE.format(id=i.id, problem=shorten(i.problem, 40), deadline=fmt_day(i.deadline))
                          for i in view.open_items)
        parts.append(DRAFT_ITEMS.format(example=view.open_items[0].id, lines=lines))
    return "\n".join(parts)


def text_saved(view: ReportLike) -> str:
    if view.unanswered:
        return DRAFT_TEXT_SAVED_ITEMS.format(chars=len(view.text), ids=_ids(view.unanswered))
    return DRAFT_TEXT_SAVED.format(chars=len(view.text))


def report_view(view: ReportLike, settings: Settings) -> str:
    extra = ""
    if view.status == "returned" and view.return_reason:
        extra = READ_RETURNED.format(reason=view.return_reason)
    elif view.submitted_at is not None and view.status in ("submitted", "reviewed"):
        extra = READ_SUBMITTED_AT.format(when=fmt_when(view.submitted_at, settings, year=False))
    head = READ_HEAD.format(title=view.round_title, branch=view.branch, mode=MODE_WORDS.get(view.mode, view.mode),
                            status=status_word(view.status), extra=extra, deadline=due_day(view.deadline, settings),
                            photos=view.photos)
    body = view.text.strip()
    tail = READ_UNANSWERED.format(ids=_ids(view.unanswered)) \
        if view.unanswered and view.status in ("not_submitted", "returned") else ""
    body = _fit(body, READ_MAX_BYTES - _bytes(head) - _bytes(tail) - 2) if body else READ_EMPTY
    return "\n".join(p for p in (head, body, tail) if p)


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _fit(body: str, limit: int) -> str:
    """The body whole if it fits `limit` UTF-8 bytes, else its beginning and how much is shown of how much."""
    if _bytes(body) <= limit:
        return body
    note = READ_CUT.format(chars=len(body), shown=len(body))
    room = max(limit - _bytes(note), 0)
    shown = body.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    return shown + READ_CUT.format(chars=len(body), shown=len(shown))


class ReportLineLike(Protocol):
    @property
    def round_id(self) -> int: ...
    @property
    def round_title(self) -> str: ...
    @property
    def deadline(self) -> datetime: ...
    @property
    def branch_id(self) -> int: ...
    @property
    def branch(self) -> str: ...
    @property
    def mode(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def graded(self) -> int: ...
    @property
    def my_grade(self) -> str | None: ...


def overview(lines: Sequence[ReportLineLike], settings: Settings) -> str:
    """The reports of each open round the reader reviews or manages."""
    out: list[str] = []
    for round_id in dict.fromkeys(line.round_id for line in lines):
        mine = [line for line in lines if line.round_id == round_id]
        first = mine[0]
        out.append(OVERVIEW_HEAD.format(title=first.round_title, deadline=due_day(first.deadline, settings),
                                        submitted=sum(1 for m in mine if m.status in ("submitted", "reviewed")),
                                        total=len(mine)))
        out += [OVERVIEW_LINE.format(branch_id=m.branch_id, branch=m.branch, mode=MODE_WORDS.get(m.mode, m.mode),
                                     status=status_word(m.status), graded=m.graded,
                                     mine=OVERVIEW_MINE.format(grade=m.my_grade) if m.my_grade else "")
                for m in mine]
    out.append(OVERVIEW_FOOT)
    return "\n".join(out)


def grade_counts(grades: Mapping[str, int]) -> str:
    return "，".join(GRADE_COUNT.format(grade=g, n=n) for g, n in grades.items())


# -- refusals --------------------------------------------------------------------------------------------
_Params = Mapping[str, Any]


def _already(p: _Params, settings: Settings) -> str:
    if p.get("status") == "reviewed":
        return "该述职报告已评议，不能再修改或提交。"
    return "述职报告已提交，无需重复提交。截止前如需修改，请回复“撤回述职”。"


def _not_submitted(p: _Params, settings: Settings) -> str:
    return f"该述职报告当前状态为“{status_word(str(p.get('status', '')))}”，不是已提交的报告，无法办理。"


def _deadline_passed(p: _Params, settings: Settings) -> str:
    return f"述职报告已于{due_day(moment(p['deadline']), settings)}截止，不能再提交或修改。如有特殊情况请联系上级党委。"


def _withdraw_late(p: _Params, settings: Settings) -> str:
    return f"述职报告已于{due_day(moment(p['deadline']), settings)}截止，不能再撤回。"


def _return_late(p: _Params, settings: Settings) -> str:
    return (f"述职报告已于{due_day(moment(p['deadline']), settings)}截止，退回后支部将无法重新提交，因此不能再退回。"
            "报告中的问题可回复“评议 支部 问题：…”列入整改台账。")


REFUSALS: dict[str, str | Callable[[_Params, Settings], str]] = {
    "review_bad_scale": ("评议等次“{scale}”无法识别：请写等次方案名称（{known}），"
                         "或用“/”分隔至少两个不同的等次，如 好/较好/一般/差。"),
    "review_bad_year": "年度 {year} 不正确，请写四位年份，例如 2026。",
    "review_deadline_past": "截止日期 {deadline} 已经过去，请重新给出截止日期。",
    "review_branch_outside": "支部 #{id}（{branch}）不在该党委管辖范围内，不能参加本轮述职。",
    "review_no_branches": "该党委下没有需要述职的党支部。",
    "review_onsite_not_reporting": "现场述职的支部 {ids} 不在本轮述职的支部之中。",
    "review_reviewer_phone": "评议人手机号“{phone}”格式不正确，请写11位手机号。",
    "review_reviewer_unknown": "没有找到手机号为 {phone} 的党员，请先将其录入系统再指定为评议人。",
    "review_round_exists": "该党委{year}年度的述职评议已经开启（编号 {id}），不能重复开启。",
    "review_round_not_found": "没有找到编号为 {id} 的述职评议。",
    "review_round_closed": "本轮述职评议已经结束，不能再提交、修改或评议。",
    "review_not_secretary": "只有党支部书记可以提交述职报告。",
    "review_no_round": "目前没有需要您提交的述职评议。",
    "review_deadline_passed": _deadline_passed,
    "review_already_submitted": _already,
    "review_empty_text": "内容为空，请发送述职报告的文字。",
    "review_report_too_long": "述职报告不能超过{limit}字，请精简后再发送。",
    "review_empty_report": "述职报告还没有内容，请先发送报告文字，再回复“提交”。",
    "review_items_unanswered": ("报告还没有说明上年度整改事项 {ids} 的整改情况。请逐项说明并注明编号"
                                "（如“#12”“第12项”），然后再回复“提交”。"),
    "review_withdraw_too_late": _withdraw_late,
    "review_not_submitted": _not_submitted,
    "review_withdraw_graded": "该述职报告已有评议人评议，不能撤回。如需修改，请联系上级党委退回。",
    "review_report_not_found": "没有找到这份述职报告。",
    "review_not_reviewer": "您不是本轮述职评议指定的评议人，不能评议。",
    "review_no_managed_round": "目前没有您负责的进行中的述职评议。",
    "review_branch_ambiguous": "有多个支部符合，请写完整名称或编号：{names}。",
    "review_branch_not_in_round": "{branch}不在进行中的述职评议之中，请核对支部名称或编号。",
    "review_return_need_reason": "请写明退回理由，例如：退回述职 阳光党支部 未说明上年度整改情况",
    "review_reason_too_long": "退回理由不能超过{limit}字。",
    "review_return_too_late": _return_late,
    "review_own_branch": "不能评议本人所在支部（{branch}）的述职报告。",
    "review_grade_not_on_scale": "“{grade}”不是本轮的评议等次，请从以下等次中选择：{scale}。",
    "review_comment_too_long": "评议意见不能超过{limit}字。",
    "review_too_many_problems": "一次最多列出{limit}个问题。",
    "review_no_problems": "请写明评议等次，或在“问题：”后列出问题（用“；”分隔）。",
}


# -- notices ---------------------------------------------------------------------------------------------
RETURNED_NOTICE = "您提交的{title}（{branch}）已被退回，理由：{reason}。请在{deadline}前修改后回复“提交”。"
RETURNED_TITLE = "述职报告被退回"


def _review_returned(p: _Params, settings: Settings) -> NoticeText:
    """params: round_id, submission_id, title, branch_id, branch, reason, deadline (a moment)."""
    deadline = due_day(moment(p["deadline"]), settings)
    return NoticeText(RETURNED_NOTICE.format(title=p["title"], branch=p["branch"], reason=p["reason"],
                                             deadline=deadline),
                      {"title": RETURNED_TITLE, "subject": p["branch"], "detail": shorten(p["reason"], 20),
                       "time": wx_time(moment(p["deadline"]), settings)})


NOTICES: dict[str, NoticeWording] = {"review_returned": _review_returned}
