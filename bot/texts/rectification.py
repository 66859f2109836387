"""Words of 整改台账: replies, refusals (REFUSALS) and notices (NOTICES)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.config import Settings
from bot.infra.clock import fmt_day, local
from bot.infra.text import shorten
from bot.models.rectification import RECTIFICATION_SOURCES, RECTIFICATION_STATUSES
from bot.texts.notices import NoticeText, day, wx_date

OVERDUE = "逾期"
NO_RATE = "—"
NO_BRANCH = "未归属支部的社会组织"


def status_word(status: str) -> str:
    return RECTIFICATION_STATUSES.get(status, status)


def source_word(source: str) -> str:
    return RECTIFICATION_SOURCES.get(source, source)


def rate_word(rate: float | None) -> str:
    """整改率 as people read it: 75% (one decimal when needed); no items: —."""
    if rate is None:
        return NO_RATE
    pct = round(rate * 100, 1)
    return f"{pct:g}%"


def _not_awaiting(p: Mapping[str, Any], settings: Settings) -> str:
    return f"整改事项 #{p['id']} 当前状态为“{status_word(str(p['status']))}”，只有待验收的事项可以退回整改。"


REFUSALS: dict[str, Any] = {
    "ledger_bad_source": "问题来源“{source}”不在台账的来源里，请写：{known}。",
    "ledger_empty_problem": "请写明问题内容。",
    "ledger_problem_too_long": "问题描述太长了，请控制在 {limit} 字以内。",
    "ledger_measures_too_long": "整改措施太长了，请控制在 {limit} 字以内。",
    "ledger_category_too_long": "问题类别太长了，请控制在 {limit} 字以内。",
    "ledger_deadline_past": "整改时限 {deadline} 已经过去，请给一个今天或以后的日期。",
    "ledger_no_unit": "请指明问题所在的单位（支部或社会组织）。",
    "ledger_item_not_found": "没有找到编号为 {id} 的整改事项。回复“整改”查看您负责的事项。",
    "ledger_not_owner": "整改事项 #{id} 不由您负责，只有责任人（未指定时为支部书记）可以答复和提交佐证材料。",
    "ledger_closed": "整改事项 #{id} 已销号，无需再答复。",
    "ledger_awaiting_verification": "整改事项 #{id} 已提交验收，正等待党委验收；如被退回会通知您。",
    "ledger_text_too_long": "内容太长了，请控制在 {limit} 字以内，可以分几条发送。",
    "ledger_empty_answer": "请写明整改措施或进展，例如：整改 1 已制定学习计划，每月组织一次。",
    "ledger_submitted_already": "整改事项 #{id} 已经提交验收，不用重复提交。",
    "ledger_no_evidence": "整改事项 #{id} 还没有佐证材料：请先说明完成情况或发送照片，再回复“提交”。",
    "ledger_close_not_submitted": "整改事项 #{id} 还没有提交验收（责任人完成后回复“提交”），暂不能销号。",
    "ledger_closed_already": "整改事项 #{id} 已经销号了。",
    "ledger_close_no_evidence": "整改事项 #{id} 还没有任何佐证材料（文字或照片），不能销号。",
    "ledger_close_usage": "请写明要销号的事项编号，例如：销号 1。",
    "ledger_return_needs_reason": "请写明退回原因，例如：退回整改 1 照片不清晰，请补充会议记录。",
    "ledger_not_awaiting": _not_awaiting,
    "ledger_owner_unknown": "没有找到手机号为 {phone} 的党员，无法指定为责任人。",
    "ledger_scope_needed": "请指定一个党委或一个支部（只能选一个）。",
    "ledger_no_scope": "您没有可查看的整改台账：台账由党委管理员和支部书记查看。",
    "ledger_unbound": "您还没有绑定党员身份，无法查看或答复整改事项。请向支部书记索取绑定码，回复“绑定 六位数字”。",
    "ledger_unit_mismatch": "社会组织“{organization}”不归“{branch}”管理，请核对单位。",
    "ledger_link_expired": "佐证材料链接已失效，请在公众号回复“待验收”重新获取。",
    "ledger_photo_missing": "这张照片不存在或还在从微信下载，请稍后刷新。",
}

# -- chat replies ---------------------------------------------------------------------------------
LIST_HEADER = "您负责的整改事项（{n}项）："
LIST_LINE = "#{id} {problem}｜时限{deadline}｜{status}{overdue}"
LIST_OVERDUE = "【逾期】"
LIST_RETURNED = "  退回原因：{reason}"
LIST_FOOTER = ("答复进展：整改 编号 措施或进展；完成后：整改 编号 已完成 完成情况，再发照片，最后回复“提交”。"
               "整改前的照片：整改 编号 整改前。")
LIST_EMPTY = "您目前没有待整改的事项。"
ANSWERED = "已记录整改事项 #{id} 的{what}，状态：整改中。完成后请回复：整改 {id} 已完成 完成情况。"
WHAT_MEASURES = "整改措施"
WHAT_PROGRESS = "整改进展"
EVIDENCE_START = ("已记录整改事项 #{id} 的完成情况。请发送佐证照片（可多张），也可以继续补充文字；"
                  "全部发完后回复“提交”送党委验收。回复“取消”可先退出，已发送的材料会保留。")
EVIDENCE_TEXT = "已补充文字说明（整改事项 #{id}）。继续发送照片，或回复“提交”。"
EVIDENCE_PHOTO = "已收到第{n}张佐证照片（整改事项 #{id}）。继续发送，或回复“提交”。"
EVIDENCE_PHOTO_AGAIN = "这张照片已经收到过了（整改事项 #{id}，共{n}张）。"
BEFORE_START = "请发送整改事项 #{id} 整改前的照片（可多张），发完回复“取消”结束。"
BEFORE_PHOTO = "已收到第{n}张整改前照片（整改事项 #{id}）。继续发送，或回复“取消”结束。"
BEFORE_PHOTO_AGAIN = "这张照片已经收到过了（整改事项 #{id}，整改前照片共{n}张）。"
BEFORE_DONE = "已结束整改前照片录入（整改事项 #{id}，共{n}张）。答复进展请回复：整改 {id} 措施或进展。"
EVIDENCE_BEFORE = "整改前照片{n}张"
SUBMITTED = "整改事项 #{id} 已提交验收（佐证材料：{evidence}），状态：待验收。党委验收后会销号。"
NOTHING_TO_SUBMIT = "您目前没有待提交的整改佐证材料。完成整改后请先回复：整改 编号 已完成 完成情况。"
WHICH_TO_SUBMIT = "您有{n}项整改事项带有佐证材料，请先回复“整改 编号 已完成”选定要提交的一项：\n{lines}"
EVIDENCE_WORDS = "文字说明"
EVIDENCE_PHOTOS = "照片{n}张"
EVIDENCE_JOIN = "、"
AWAITING_HEADER = "待验收的整改事项（{n}项）："
AWAITING_LINE = "#{id} {unit}：{problem}｜佐证：{evidence}"
AWAITING_FOOTER = "回复“整改 编号”查看详情，核查后回复“销号 编号”，或“退回整改 编号 原因”。"
AWAITING_EMPTY = "目前没有待验收的整改事项。"
DETAIL = ("整改事项 #{id}（{unit}，{source}）\n问题：{problem}\n整改时限：{deadline}，状态：{status}{overdue}\n"
          "责任人：{owner}\n整改措施：{measures}\n完成情况：{progress}\n佐证材料：{evidence}")
DETAIL_NONE = "暂无"
EVIDENCE_LINK = "佐证材料：{url}"  # a line under 待验收 / 整改 <id> for whoever may verify the item
DETAIL_EVIDENCE_CHARS = 300  # the verifier reads the evidence here before 销号
DETAIL_SECRETARY = "支部书记"
CLOSED = "整改事项 #{id}（{unit}）已销号，验收人：{verifier}。"
RETURNED = "整改事项 #{id}（{unit}）已退回整改，已通知责任人。退回原因：{reason}"
FIGURES_HEADER = "{name}整改台账："
FIGURES_LINE = "问题{total}项，已销号{closed}项，未销号{open}项（逾期{overdue}项），整改率{rate}"
FIGURES_SOURCES = "按问题来源："
FIGURES_BRANCHES = "按单位："
FIGURES_ROW = "· {name}：{total}项，销号{closed}，逾期{overdue}，整改率{rate}"
FIGURES_EMPTY = "{name}的整改台账中还没有问题。"

# -- the evidence page (pages.rectification, the link of EVIDENCE_LINK) ------------------------------------
PAGE_TITLE = "整改佐证材料"
PAGE_META = "{unit} · {source} · 整改时限{deadline} · {status} · 编号 {id}"
PAGE_PROBLEM = "问题"
PAGE_MEASURES = "整改措施"
PAGE_PROGRESS = "完成情况"
PAGE_EVIDENCE = "佐证说明"
PAGE_BEFORE = "整改前照片（{n} 张）"
PAGE_AFTER = "整改后照片（{n} 张）"
PAGE_PHOTO_ALT = "照片 {n}"
PAGE_PHOTO_PENDING = "部分照片还在从微信下载，请稍后刷新。"
PAGE_EXPIRES = "链接有效至 {when}"

# -- CLI ------------------------------------------------------------------------------------------
CLI_ADDED = "已加入整改台账：{unit} {source}“{problem}”，整改时限{deadline}。编号 {id}"
CLI_EXPORTED = "已导出整改台账 {n} 项到 {path}（整改率 {rate}）"
CLI_UNIT_NEEDED = "请用 --branch 指定支部，或用 --organization 指定社会组织。"


def evidence_word(evidence: str, photos: int) -> str:
    parts = ([EVIDENCE_WORDS] if evidence.strip() else []) + ([EVIDENCE_PHOTOS.format(n=photos)] if photos else [])
    return EVIDENCE_JOIN.join(parts)


def item_line(view: Any, settings: Settings) -> str:
    """#5 问题…｜时限12月31日｜整改中【逾期】 (a view of services.rectification.ledger.ItemView)."""
    line = LIST_LINE.format(id=view.id, problem=shorten(view.problem, 30), deadline=fmt_day(view.deadline),
                            status=status_word(view.status), overdue=LIST_OVERDUE if view.overdue else "")
    if view.return_reason and view.status == "in_progress":
        line += "\n" + LIST_RETURNED.format(reason=shorten(view.return_reason, 40))
    return line


def item_detail(view: Any, settings: Settings) -> str:
    """整改 <id>: one item, its evidence summed up."""
    evidence = evidence_word(view.evidence, view.photos)
    if view.photos_before:
        evidence = EVIDENCE_JOIN.join(p for p in (EVIDENCE_BEFORE.format(n=view.photos_before), evidence) if p)
    evidence = evidence or DETAIL_NONE
    if view.evidence.strip():
        evidence = f"{shorten(view.evidence, DETAIL_EVIDENCE_CHARS)}（{evidence}）"
    text = DETAIL.format(id=view.id, unit=view.unit, source=source_word(view.source), problem=view.problem,
                         deadline=fmt_day(view.deadline), status=status_word(view.status),
                         overdue=LIST_OVERDUE if view.overdue else "", owner=view.owner_name or DETAIL_SECRETARY,
                         measures=view.measures or DETAIL_NONE, progress=view.progress or DETAIL_NONE,
                         evidence=evidence)
    if view.return_reason and view.status == "in_progress":
        text += "\n" + LIST_RETURNED.strip().format(reason=view.return_reason)
    return text


def awaiting_line(view: Any) -> str:
    return AWAITING_LINE.format(id=view.id, unit=view.unit, problem=shorten(view.problem, 24),
                                evidence=evidence_word(view.evidence, view.photos) or DETAIL_NONE)


def figures_report(found: Any) -> str:
    """台账: the figures of services.rectification.figures.LedgerFigures."""
    o = found.overall
    if not o.total:
        return FIGURES_EMPTY.format(name=found.scope_name)
    lines = [FIGURES_HEADER.format(name=found.scope_name),
             FIGURES_LINE.format(total=o.total, closed=o.closed, open=o.open, overdue=o.overdue,
                                 rate=rate_word(o.rate)), FIGURES_SOURCES]
    lines += [_row(s.label, s.figures) for s in found.by_source if s.figures.total]
    if found.scope == "committee" or len(found.by_branch) > 1:
        lines.append(FIGURES_BRANCHES)
        lines += [_row(b.name or NO_BRANCH, b.figures) for b in found.by_branch]
    return "\n".join(lines)


def _row(name: str, f: Any) -> str:
    return FIGURES_ROW.format(name=name, total=f.total, closed=f.closed, overdue=f.overdue, rate=rate_word(f.rate))


def closed_day(view: Any, settings: Settings) -> date | None:
    return local(view.closed_at, settings).date() if view.closed_at else None


# -- notices --------------------------------------------------------------------------------------
RETURNED_NOTICE = "整改事项“{problem}”（#{id}）被退回整改：{reason}。请补充后回复“整改 {id} 已完成”重新提交。"
RETURNED_TITLE = "整改被退回"
SUBMITTED_NOTICE = ("{unit}的整改事项“{problem}”（#{id}）已提交验收，"
                    "请核查佐证材料后回复“销号 {id}”或“退回整改 {id} 原因”。")
SUBMITTED_TITLE = "整改待验收"


def _returned(p: Mapping[str, Any], settings: Settings) -> NoticeText:
    """params: item_id, problem, reason, deadline (a day)."""
    return NoticeText(RETURNED_NOTICE.format(problem=shorten(p["problem"], 80), id=p["item_id"],
                                             reason=shorten(p["reason"], 200)),
                      {"title": RETURNED_TITLE, "topic": p["problem"], "deadline": wx_date(day(p["deadline"]))})


def _submitted(p: Mapping[str, Any], settings: Settings) -> NoticeText:
    """params: item_id, problem, unit, deadline (a day)."""
    return NoticeText(SUBMITTED_NOTICE.format(unit=p["unit"], problem=shorten(p["problem"], 80), id=p["item_id"]),
                      {"title": SUBMITTED_TITLE, "topic": p["problem"], "deadline": wx_date(day(p["deadline"]))})


NOTICES: dict[str, Any] = {"rectification_returned": _returned, "rectification_submitted": _submitted}
