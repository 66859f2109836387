"""Words of 年检: replies, refusals (REFUSALS), notices (NOTICES), the CLI's lines and the drafted party-work
section (党建工作情况), whose sections both the docx (CLI) and 年检材料 (chat) use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from bot.config import Settings
from bot.infra.clock import fmt_day
from bot.infra.text import shorten
from bot.models.inspection import INSPECTION_RESULTS
from bot.texts.notices import MEETING_TYPE_NAMES, NoticeText, day, wx_date
from bot.texts.org import FORMATION_LABELS, KIND_LABELS
from bot.texts.rectification import rate_word, source_word, status_word

STATUS_LABELS = {
    "not_filed": "未提交",
    "supervisor_filed": "已提交主管单位",
    "registrar_filed": "已提交登记机关",
    **INSPECTION_RESULTS,
    "absent": "未参检",
}
WHERE = {"supervisor": "业务主管单位", "registrar": "登记管理机关"}
YES_NO = {True: "已报送", False: "未报送"}
NONE = "—"


def full_day(value: date) -> str:
    """A day with its year (filings straddle two years): 2026年3月31日."""
    return wx_date(value)


def status_word_of(status: str) -> str:
    return STATUS_LABELS.get(status, status)


def result_word(result: str | None) -> str | None:
    return INSPECTION_RESULTS.get(result, result) if result else None


def _known_results(p: Mapping[str, Any], settings: Settings) -> str:
    return "年检结论“{result}”无法识别，只能是：{known}。".format(**p)


def _future(p: Mapping[str, Any], settings: Settings) -> str:
    return "报送{where}的日期 {day} 还没到，不能登记未来的日期。".format(
        where=WHERE.get(p["which"], p["which"]), day=full_day(day(p["day"])))


def _before_season(p: Mapping[str, Any], settings: Settings) -> str:
    return "报送{where}的日期 {day} 早于{year}年度年检的报送期（{season}起），请核对年份和日期。".format(
        where=WHERE.get(p["which"], p["which"]), day=full_day(day(p["day"])), year=p["year"],
        season=full_day(day(p["season"])))


def _order(p: Mapping[str, Any], settings: Settings) -> str:
    return "报送登记管理机关的日期（{registrar}）早于报送业务主管单位的日期（{supervisor}），请核对。".format(
        registrar=full_day(day(p["registrar"])), supervisor=full_day(day(p["supervisor"])))


REFUSALS: dict[str, Any] = {
    "inspection_bad_year": "{year}年度的年检尚未开始或年份有误：年度报告在次年报送，目前最近的是{latest}年度。",
    "inspection_bad_result": _known_results,
    "inspection_date_future": _future,
    "inspection_date_before_season": _before_season,
    "inspection_registrar_before_supervisor": _order,
    "inspection_result_unfiled": "{year}年度年检报告尚未登记报送登记管理机关，不能登记年检结论。",
    "inspection_no_organization": "没有找到您负责的社会组织。年检由社会组织所在支部的书记或联络员查看。",
    "inspection_which_org": "您负责多个社会组织，请在命令后加编号，例如“年检材料 {example}”：{orgs}",
    "inspection_material_usage": ("请这样查看：“年检材料 社会组织编号”，可再加年度，例如“年检材料 12 2025年度”；"
                                  "编号可回复“年检”查看。"),
}

# -- chat: 年检 -------------------------------------------------------------------------------------
MINE_HEADER = "{year}年度年检（报告于{filed_in}年报送）："
MINE_ORG = "【{org}】编号 {id}：{status}"
MINE_STEP_FILED = "· 报送{where}：已于{day}报送（截止{deadline}）"
MINE_STEP_LEFT = "· 报送{where}：截止{deadline}，还有{days}天"
MINE_STEP_TODAY = "· 报送{where}：今天截止（{deadline}）"
MINE_STEP_LATE = "· 报送{where}：截止{deadline}，已逾期{days}天"
MINE_STEP_SKIPPED = "· 报送{where}：未登记（截止{deadline}），已报送登记管理机关"
MINE_PARTY = "· 党建工作情况（双提交）：{state}"
MINE_RESULT = "· 年检结论：{result}（{day}）"
MINE_TERM_ENDS = "· 换届：理事会任期{when}届满，请及时换届"
MINE_TERM_ENDED = "· 换届：理事会任期已于{when}届满，请尽快换届"
MINE_FOOTER = "回复“年检材料”查看党建工作情况草稿。"
MINE_FOOTER_MANY = "回复“年检材料 编号”查看党建工作情况草稿。"
PARTY_FILED = "已报送"
PARTY_NOT_FILED = "未报送"


def _step(which: str, deadline: date, filed_on: date | None, days: int, skipped: bool) -> str:
    where, deadline_s = WHERE[which], full_day(deadline)
    if filed_on is not None:
        return MINE_STEP_FILED.format(where=where, day=full_day(filed_on), deadline=deadline_s)
    if skipped:
        return MINE_STEP_SKIPPED.format(where=where, deadline=deadline_s)
    if days > 0:
        return MINE_STEP_LEFT.format(where=where, deadline=deadline_s, days=days)
    if days == 0:
        return MINE_STEP_TODAY.format(where=where, deadline=deadline_s)
    return MINE_STEP_LATE.format(where=where, deadline=deadline_s, days=-days)


MINE_SHORT = "【{org}】编号 {id}：{status}｜主管单位{sup}｜登记机关{reg}｜双提交{party}{term}"
SHORT_FILED = "已报送"
SHORT_SKIPPED = "—"
SHORT_LEFT = "还有{days}天"
SHORT_TODAY = "今天截止"
SHORT_LATE = "逾期{days}天"
SHORT_TERM = "｜须换届"
MINE_MORE = "……另有{n}家未列出，请回复“年检材料 编号”逐个查看。"
REPLY_MAX_BYTES = 2000  # one WeChat text reply is at most 2048 bytes (UTF-8)


def _short_step(filed_on: date | None, days: int, skipped: bool) -> str:
    if filed_on is not None:
        return SHORT_FILED
    if skipped:
        return SHORT_SKIPPED
    if days > 0:
        return SHORT_LEFT.format(days=days)
    return SHORT_TODAY if days == 0 else SHORT_LATE.format(days=-days)


def _org_block(s: Any, today_: date) -> list[str]:
    lines = [MINE_ORG.format(org=s.name, id=s.organization_id, status=status_word_of(s.status)),
             _step("supervisor", s.supervisor_deadline, s.supervisor_filed_on, s.days_to_supervisor, skipped=s.filed),
             _step("registrar", s.registrar_deadline, s.registrar_filed_on, s.days_to_registrar, skipped=False),
             MINE_PARTY.format(state=PARTY_FILED if s.party_section_filed else PARTY_NOT_FILED)]
    if s.result:
        lines.append(MINE_RESULT.format(result=result_word(s.result), day=full_day(s.result_on)
                                        if s.result_on else NONE))
    if s.board_term_due and s.term_ends is not None:
        template = MINE_TERM_ENDED if s.term_ends < today_ else MINE_TERM_ENDS
        lines.append(template.format(when=full_day(s.term_ends)))
    return lines


def _org_short(s: Any) -> str:
    return MINE_SHORT.format(org=s.name, id=s.organization_id, status=status_word_of(s.status),
                             sup=_short_step(s.supervisor_filed_on, s.days_to_supervisor, s.filed),
                             reg=_short_step(s.registrar_filed_on, s.days_to_registrar, False),
                             party=PARTY_FILED if s.party_section_filed else PARTY_NOT_FILED,
                             term=SHORT_TERM if s.board_term_due else "")


def _fits(lines: list[str]) -> bool:
    return len("\n".join(lines).encode()) <= REPLY_MAX_BYTES


def mine_reply(found: list[Any], year: int, today_: date) -> str:
    """年检: each organization's status and the days to each deadline (found: InspectionState items), in one
    reply: each organization in full if all fit, else one line each (those that do not fit are counted)."""
    head = [MINE_HEADER.format(year=year, filed_in=year + 1)]
    foot = [MINE_FOOTER if len(found) == 1 else MINE_FOOTER_MANY]
    full = head + [line for s in found for line in _org_block(s, today_)] + foot
    if _fits(full):
        return "\n".join(full)
    body: list[str] = []
    for n, s in enumerate(found):
        left = len(found) - n - 1
        tail = [MINE_MORE.format(n=left)] if left else []
        if not _fits(head + body + [_org_short(s)] + tail + foot):
            body.append(MINE_MORE.format(n=len(found) - n))
            break
        body.append(_org_short(s))
    return "\n".join(head + body + foot)


COMMITTEE_HEADER = ("{committee}{year}年度年检：应参检{required}家，已参检{filed}家（参检率{participation}），"
                    "合格{passed}家（合格率{pass_rate}），逾期{overdue}家。")
COMMITTEE_LINE = "#{id} {name}：{status}{overdue}{term}"
COMMITTEE_OVERDUE = "（逾期）"
COMMITTEE_TERM = "（须换届）"
COMMITTEE_MORE = "……另有{n}家，完整名单请由管理员导出（inspection status）。"
COMMITTEE_FOOTER = "回复“年检材料 编号”查看某个社会组织的党建工作情况草稿。"
COMMITTEE_SHOWN = 30


def committee_reply(found: Any) -> str:
    """年检 for committee staff: the figures (a CommitteeStatus) and each organization's status."""
    lines = [COMMITTEE_HEADER.format(
        committee=found.committee_name, year=found.year, required=found.required, filed=found.filed,
        participation=rate_word(found.participation_rate), passed=found.passed, pass_rate=rate_word(found.pass_rate),
        overdue=found.overdue)]
    foot = [COMMITTEE_FOOTER] if found.organizations else []
    orgs = found.organizations
    for n, s in enumerate(orgs):
        line = COMMITTEE_LINE.format(id=s.organization_id, name=s.name, status=status_word_of(s.status),
                                     overdue=COMMITTEE_OVERDUE if s.overdue else "",
                                     term=COMMITTEE_TERM if s.board_term_due else "")
        left = len(orgs) - n - 1
        tail = [COMMITTEE_MORE.format(n=left)] if left else []
        if n >= COMMITTEE_SHOWN or not _fits([*lines, line, *tail, *foot]):
            lines.append(COMMITTEE_MORE.format(n=len(orgs) - n))
            break
        lines.append(line)
    return "\n".join(lines + foot)


def which_org(orgs: list[Any]) -> dict[str, Any]:
    """The params of inspection_which_org: the sender's organizations (id and name)."""
    return {"example": orgs[0].id, "orgs": "；".join(f"{o.id} {o.name}" for o in orgs)}


# -- the drafted party-work section (党建工作情况) ---------------------------------------------------------
DRAFT_TITLE = "{org}{year}年度党建工作情况"
DRAFT_SOURCE = "（根据支部通{year}年度记录自动生成，数据均取自系统记录）"
SEC_BRANCH = "一、党组织建设情况"
BRANCH_LINE = "党组织：{branch}（{formation}，{kind}党支部）。"
BRANCH_NONE = "尚未建立党组织（由联络员或党建指导员联系）。"
MEMBERS_LINE = "党员{total}名，其中正式党员{full}名、预备党员{probationary}名。"
JOINT_LINE = ("本单位与{partners}联合组建党支部；本材料中的党员、组织生活和志愿服务数据为联合党支部的合计数，"
              "各单位材料相同，汇总时不重复计算。")
OWN_MEMBERS_LINE = "其中在本单位工作的党员{own}名。"
SEC_MEETINGS = "二、组织生活开展情况"
MEETING_LINE = "{label}：应开{required}次，实开{held}次"
MEETING_UNQUORATE = "（另有{n}次未达到规定人数，不计入）"
MEETINGS_TOTAL = "合计：应开{required}次，实开{held}次。"
MEETINGS_NONE = "无党组织，未开展组织生活。"
ATTENDANCE_LINE = "党员参会率：{rate}（应到{expected}人次，实到{present}人次）。"
ATTENDANCE_NONE = "党员参会率：本年度无已召开的会议。"
SEC_VOLUNTEER = "三、志愿服务情况"
VOLUNTEER_LINE = "党员志愿服务时长{hours}小时（已公示确认的记录）。"
SEC_REVIEW = "四、书记抓党建述职评议情况"
REVIEW_LINE = "{year}年度述职评议结果：{grade}。"
REVIEW_NONE = "{year}年度述职评议：暂无评议结果。"
SEC_ITEMS = "五、问题整改情况"
ITEMS_SUMMARY = "整改问题{total}项，已销号{closed}项，整改率{rate}。"
ITEMS_NONE = "本年度无整改问题。"
ITEM_LINE = "#{id}【{source}】{problem}｜时限{deadline}｜{status}"
SEC_DOUBLE = "六、双提交情况"
DOUBLE_LINE = "党建工作情况随年度报告报送：{state}。"
CHAT_FOOTER = "完整文档请由党委管理员导出（inspection draft）。"


def hours_word(hours: Decimal) -> str:
    return f"{hours.normalize():f}" if hours == hours.to_integral() else f"{hours:f}".rstrip("0")


def draft_sections(d: Any) -> tuple[str, list[tuple[str, list[str]]]]:
    """The draft (a PartyWorkDraft) as its title and (heading, paragraphs) sections."""
    title = DRAFT_TITLE.format(org=d.organization_name, year=d.year)
    sections: list[tuple[str, list[str]]] = []
    if d.branch_id is None:
        sections.append((SEC_BRANCH, [BRANCH_NONE]))
        sections.append((SEC_MEETINGS, [MEETINGS_NONE]))
    else:
        branch_lines = [
            BRANCH_LINE.format(branch=d.branch_name, formation=FORMATION_LABELS.get(d.formation, d.formation),
                               kind=KIND_LABELS.get(d.kind, d.kind)),
            MEMBERS_LINE.format(total=d.full_members + d.probationary_members, full=d.full_members,
                                probationary=d.probationary_members)]
        if d.partners:  # 联合组建: the branch's figures, the same in each partner's draft
            branch_lines.insert(1, JOINT_LINE.format(partners="、".join(d.partners)))
            branch_lines.append(OWN_MEMBERS_LINE.format(own=d.own_members))
        sections.append((SEC_BRANCH, branch_lines))
        lines = []
        for m in d.meetings:
            line = MEETING_LINE.format(label=MEETING_TYPE_NAMES.get(m.meeting_type, m.meeting_type),
                                       required=m.required, held=m.held)
            if m.held_without_quorum:
                line += MEETING_UNQUORATE.format(n=m.held_without_quorum)
            lines.append(line + "；")
        lines.append(MEETINGS_TOTAL.format(required=d.meetings_required, held=d.meetings_held))
        lines.append(ATTENDANCE_LINE.format(rate=rate_word(d.attendance_rate), expected=d.attendance_expected,
                                            present=d.attendance_present)
                     if d.attendance_expected else ATTENDANCE_NONE)
        sections.append((SEC_MEETINGS, lines))
    sections.append((SEC_VOLUNTEER, [VOLUNTEER_LINE.format(hours=hours_word(d.volunteer_hours))]))
    sections.append((SEC_REVIEW, [REVIEW_LINE.format(year=d.year, grade=d.review_grade) if d.review_grade
                                  else REVIEW_NONE.format(year=d.year)]))
    if d.items:
        rate = d.items_closed / len(d.items)
        item_lines = [ITEMS_SUMMARY.format(total=len(d.items), closed=d.items_closed, rate=rate_word(rate))]
        item_lines += [ITEM_LINE.format(id=i.id, source=source_word(i.source), problem=i.problem,
                                        deadline=full_day(i.deadline),
                                        status=status_word(i.status) + ("（逾期）" if i.overdue else ""))
                       for i in d.items]
    else:
        item_lines = [ITEMS_NONE]
    sections.append((SEC_ITEMS, item_lines))
    sections.append((SEC_DOUBLE, [DOUBLE_LINE.format(state=YES_NO[bool(d.party_section_filed)])]))
    return title, sections


CHAT_MAX_BYTES = 2000  # one WeChat text reply is at most 2048 bytes (UTF-8)
CHAT_ITEMS_MORE = "……另有{n}项未列出，完整清单见导出的文档。"
CHAT_ITEM_PROBLEM = 30  # characters of a problem shown by chat


def draft_text(d: Any) -> str:
    """年检材料 by chat: the draft as a text summary that fits one reply: the ledger items' problems are cut
    short and, when they would not fit, the last ones are counted instead of listed (every section stays)."""
    title, sections = draft_sections(d)
    lines = [title]
    items_at = -1
    for heading, paragraphs in sections:
        lines.append(heading)
        if heading == SEC_ITEMS and d.items:
            lines.append(paragraphs[0])
            items_at = len(lines)
            continue
        lines += paragraphs
    lines.append(CHAT_FOOTER)
    if items_at < 0:
        return "\n".join(lines)
    budget = CHAT_MAX_BYTES - len("\n".join(lines).encode())
    shown: list[str] = []
    for n, i in enumerate(d.items):
        line = ITEM_LINE.format(id=i.id, source=source_word(i.source), problem=shorten(i.problem, CHAT_ITEM_PROBLEM),
                                deadline=full_day(i.deadline),
                                status=status_word(i.status) + ("（逾期）" if i.overdue else ""))
        left = len(d.items) - n - 1
        more = CHAT_ITEMS_MORE.format(n=left) if left else ""
        cost = len(("\n" + line).encode()) + (len(("\n" + more).encode()) if more else 0)
        if cost > budget:
            shown.append(CHAT_ITEMS_MORE.format(n=len(d.items) - n))
            break
        shown.append(line)
        budget -= len(("\n" + line).encode())
    return "\n".join(lines[:items_at] + shown + lines[items_at:])


# -- CLI ------------------------------------------------------------------------------------------
CLI_RECORDED = ("{org}（编号 {org_id}）{year}年度年检：{status}；业务主管单位 {sup}，登记管理机关 {reg}，"
                "党建工作情况{party}。年检记录编号 {id}")
CLI_OPENED = "已开启{org}{year}年度年检记录（截止：业务主管单位 {sup}，登记管理机关 {reg}）。"
CLI_LEDGER_ADDED = "年检结论{result}，已列入整改台账：编号 {item}，整改时限 {deadline}。"
CLI_LEDGER_KEPT = "整改台账中已有该年检的整改事项（编号 {item}），未重复列入。"
CLI_NOT_FILED_ON = "未报送（截止{deadline}）"
CLI_FILED_ON = "{day}已报送"
CLI_STATUS_HEADER = COMMITTEE_HEADER
CLI_STATUS_LINE = "#{id} {name}｜{status}｜党建工作情况{party}｜换届：{term}"
CLI_TERM_NONE = "未登记任期"
CLI_TERM_DUE = "{when}届满（须换届）"
CLI_TERM_OK = "{when}届满"
CLI_DRAFT_WRITTEN = "已生成{org}{year}年度党建工作情况：{path}"
CLI_NOT_DOCX = "输出文件须为 .docx（Word 文档）。"


def filed_word(filed_on: date | None, deadline: date) -> str:
    return CLI_FILED_ON.format(day=full_day(filed_on)) if filed_on else CLI_NOT_FILED_ON.format(
        deadline=full_day(deadline))


def term_word(term_ends: date | None, due: bool) -> str:
    if term_ends is None:
        return CLI_TERM_NONE
    return (CLI_TERM_DUE if due else CLI_TERM_OK).format(when=full_day(term_ends))


# -- notices ---------------------------------------------------------------------------------------
BOARD_TERM_DUE = "{org}理事会任期将于{when}届满（还有{days}天），请提前做好换届准备并按期换届。"
BOARD_TERM_ENDED = "{org}理事会任期已于{when}届满，尚未换届，请尽快组织换届。"
BOARD_TERM_TITLE = "社会组织换届提醒"


def _board_term_due(p: Mapping[str, Any], settings: Settings) -> NoticeText:
    """params: organization_id, org, term_ends (a day), days (negative: ended)."""
    ends = day(p["term_ends"])
    days = int(p["days"])
    text = (BOARD_TERM_DUE.format(org=p["org"], when=full_day(ends), days=days) if days >= 0
            else BOARD_TERM_ENDED.format(org=p["org"], when=full_day(ends)))
    return NoticeText(text, {"title": BOARD_TERM_TITLE, "topic": p["org"], "deadline": wx_date(ends)})


REMIND_INSPECTION = "{org}{year}年度年检报告须在{deadline}前报送{where}（还有{days}天），请及时报送并填写党建工作情况。"
REMIND_INSPECTION_TODAY = "{org}{year}年度年检报告今天（{deadline}）须报送{where}，请及时报送并填写党建工作情况。"
REMIND_INSPECTION_TITLE = "年检报告待报送"


def _inspection_due(p: Mapping[str, Any], settings: Settings) -> NoticeText:
    """params: organization_id, org, year, which (supervisor|registrar), deadline (a day), days (from the day
    it goes out: 0 when a reminder held over a holiday goes out on the deadline itself)."""
    deadline = day(p["deadline"])
    days = int(p["days"])
    words = dict(org=p["org"], year=p["year"], deadline=fmt_day(deadline), where=WHERE[p["which"]], days=days)
    text = REMIND_INSPECTION.format(**words) if days > 0 else REMIND_INSPECTION_TODAY.format(**words)
    return NoticeText(text, {"title": REMIND_INSPECTION_TITLE, "topic": p["org"], "deadline": wx_date(deadline)})


NOTICES: dict[str, Any] = {"board_term_due": _board_term_due, "inspection_due": _inspection_due}
