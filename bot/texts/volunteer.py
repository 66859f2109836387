"""Words of 志愿服务: chat replies, refusals (REFUSALS), notices (NOTICES), CLI messages and the certificate.

The services return facts (records, totals, certificates); this module words them. Texts import no service:
the results are read by attribute (typed Any here)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from bot.config import Settings
from bot.infra.clock import fmt_day
from bot.infra.text import shorten
from bot.texts.notices import NoticeText, NoticeWording, day, wx_date

# -- chat: logging ---------------------------------------------------------------------------------
USAGE = ("登记志愿服务请这样写：志愿 时长 内容 日期，例如：志愿 3小时 社区助老 11月20日\n"
         "参加服务队活动：志愿 时长 活动#编号（回复“活动”查看可登记的活动）。")
ASK_HOURS = "“{said}”是多少小时？请直接回复小时数，比如 4 或 3.5小时。回复“取消”放弃。"
ASK_HOURS_AGAIN = "没有看懂时长，请回复小时数，比如 4 或 3.5小时。回复“取消”放弃。"
LOGGED = ("已登记志愿服务（编号 {id}）：{day} {content}，{hours}小时{where}。状态：待确认，{confirmer}。\n"
          "如有误，可回复“撤销志愿 {id}”撤销后重新登记。")
LOGGED_CONFIRMER = "将由{name}确认"
LOGGED_NO_CONFIRMER = "本支部暂无其他可确认的人（不能确认本人的记录），请联系上级党委"
LOGGED_WHERE = "，组织单位：{organizer}"
WITHDRAWN = "已撤销志愿服务记录（编号 {id}）：{day} {content}，{hours}小时。"

# -- chat: confirming -------------------------------------------------------------------------------
CONFIRMED = "已确认志愿服务记录（编号 {id}）：{name} {day} {content}，{hours}小时。公示至{until}，期满无异议即生效。"
CONFIRMED_ALL = "已确认{n}条志愿服务记录，公示至{until}：\n{lines}"
CONFIRMED_NONE = "没有等待您确认的志愿服务记录。"
RETURNED = "已退回志愿服务记录（编号 {id}）：{name} {day} {content}。已告知本人，退回原因：{reason}。"
OBJECTED = "已提出异议：志愿服务记录（编号 {id}）{name} {day} {content} 已退回确认人{confirmer}重新核实。"
PENDING_HEADER = ("等待您确认的志愿服务记录（{n}条）：\n{lines}\n"
                  "回复“确认志愿 编号”逐条确认，回复“确认全部”全部确认，回复“退回志愿 编号 原因”退回。")
PENDING_LINE = "#{id} {name} {day} {content} {hours}小时{objection}"
PENDING_OBJECTION = "（异议：{objection}）"
LIST_MORE = "……另有{n}条未列出"
LIST_SHOWN = 20
RECORD_LINE = "#{id} {day} {content} {hours}小时 {state}"

# -- chat: teams and activities --------------------------------------------------------------------
ACTIVITY_USAGE = "创建活动请这样写：活动 日期 内容 服务队名称，例如：活动 12月6日 社区义诊 先锋志愿服务队"
ACTIVITY_CREATED = ("已创建志愿服务活动（编号 {id}）：{day} {title}{team}{place}。\n"
                    "参加的党员可回复“志愿 3小时 活动#{id}”登记时长。")
ACTIVITY_TEAM = "，{team}"
ACTIVITY_PLACE = "，地点：{place}"
ACTIVITY_LIST = "近期志愿服务活动：\n{lines}\n登记时长请回复“志愿 3小时 活动#编号”。"
ACTIVITY_LINE = "#{id} {day} {title}{team}"
ACTIVITY_NONE = "近期没有志愿服务活动。直接登记请回复“志愿 3小时 社区助老 昨天”。"

TEAM_SAVED = "服务队“{name}”（编号 {id}）{state}，队长：{leaders}。队长可回复“活动 日期 内容 {name}”创建活动。"
TEAM_CREATED = "已创建"
TEAM_UPDATED = "已更新"
TEAM_LIST = "服务队：\n{lines}\n书记可回复“服务队 名称 队长手机号”新建服务队或添加队长。"
TEAM_LINE = "#{id} {name}（队长：{leaders}）"
TEAM_NONE = "还没有服务队。书记可回复“服务队 名称 队长手机号”新建。"
NO_LEADER = "未设队长"


def team_saved(info: Any) -> str:
    return TEAM_SAVED.format(name=info.name, id=info.id, state=TEAM_CREATED if info.created else TEAM_UPDATED,
                             leaders="、".join(info.leaders) or NO_LEADER)


def teams(items: list[Any]) -> str:
    if not items:
        return TEAM_NONE
    return TEAM_LIST.format(lines="\n".join(TEAM_LINE.format(id=t.id, name=t.name,
                                                              leaders="、".join(t.leaders) or NO_LEADER)
                                            for t in items))


# -- chat: 我的志愿 and totals ------------------------------------------------------------------------
MINE = ("{name}的志愿服务：\n"
        "· {year}年已生效 {year_final} 小时（另有待确认或公示中 {year_open} 小时）\n"
        "· 累计已生效 {total_final} 小时（另有待确认或公示中 {total_open} 小时）\n"
        "{number}最近记录：\n{lines}")
MINE_NUMBER = "· 志愿者编号：{no}\n"
MINE_EMPTY = "您还没有志愿服务记录。登记请回复“志愿 3小时 社区助老 昨天”。"
MINE_LEADER = "您是{teams}队长，可确认本队队员的志愿服务记录。"
MINE_TO_CONFIRM = "有{n}条志愿服务记录等待您确认，回复“确认志愿”查看。"
MINE_NONE_TO_CONFIRM = "回复“确认志愿”查看待确认的记录。"
STATES = {"pending": "待确认", "final": "已确认", "returned": "已退回", "withdrawn": "已撤销"}
STATE_PUBLICIZING = "公示中（至{until}）"
STATE_PUBLICIZING_PLAIN = "公示中"
STATE_RETURNED = "已退回（{reason}）"
TOTALS = ("{name}{year}年志愿服务统计（已生效记录）：\n"
          "· 合计 {final_hours} 小时，{final_records} 条记录，{members} 名党员参与\n"
          "· 公示中 {publicizing_hours} 小时，待确认 {pending_hours} 小时\n"
          "按月：{months}\n按服务队：{teams}\n按活动：{activities}")
TOTALS_ITEM = "{label} {hours}"
TOTALS_NONE = "无"
NO_TEAM = "未编队"
NO_ACTIVITY = "自行登记"
MONTH = "{month}月"
LIST_SEP = "；"

# -- refusals -----------------------------------------------------------------------------------------
REFUSALS: dict[str, Any] = {
    "volunteer_usage": USAGE,
    "volunteer_no_branch": "您还没有所属支部，暂不能登记志愿服务，请联系支部书记。",
    "volunteer_hours_missing": "请写明服务时长，例如：志愿 3小时 社区助老 11月20日",
    "volunteer_hours_unreadable": "没有看懂服务时长，请写成小时或分钟，例如：志愿 2.5小时 文明交通劝导 昨天",
    "volunteer_hours_not_positive": "服务时长必须大于0，请重新填写。",
    "volunteer_unbound": "您还没有绑定党员身份，不能办理志愿服务。请向支部书记索取绑定码，回复“绑定 六位数字”。",
    "volunteer_hours_too_many": lambda p, s: TOO_MANY.format(hours=_as_typed(p["hours"])),
    "volunteer_day_over": lambda p, s: DAY_OVER.format(day=fmt_day(day(p["day"])), logged=hours(p["logged"]),
                                                       hours=hours(p["hours"])),
    "volunteer_future": lambda p, s: FUTURE.format(day=cert_date(day(p["day"]))),
    "volunteer_too_old": lambda p, s: TOO_OLD.format(day=cert_date(day(p["day"])), days=p["days"]),
    "volunteer_date_unreadable": "没有看懂服务日期，请写成 11月20日、昨天 或 上周六。",
    "volunteer_content_missing": "请写明服务内容，例如：志愿 3小时 社区助老 11月20日",
    "volunteer_duplicate": "{day}的“{content}”已经登记过了，不能重复登记。",
    "volunteer_activity_not_found": "没有找到编号为 {id} 的志愿服务活动。回复“活动”查看可登记的活动。",
    "volunteer_not_found": "没有找到编号为 {id} 的志愿服务记录。",
    "volunteer_id_missing": lambda p, s: ID_MISSING.get(str(p.get("command")), ID_MISSING["确认志愿"]),
    "volunteer_not_own": "编号 {id} 不是您本人的志愿服务记录，不能撤销。",
    "volunteer_not_pending": lambda p, s: NOT_PENDING.format(id=p["id"], state=_state_word(p["state"])),
    "volunteer_confirm_own": "不能确认或退回自己的志愿服务记录，请由服务队队长或支部书记确认。",
    "volunteer_other_branch": "编号 {id} 的志愿服务记录不属于您的支部，不能办理。",
    "volunteer_not_confirmer": "只有该服务队的队长或支部书记可以确认或退回编号 {id} 的志愿服务记录。",
    "volunteer_reason_missing": lambda p, s: REASON_MISSING[p.get("action") or "return"].format(id=p.get("id") or 12),
    "volunteer_not_publicizing": lambda p, s: NOT_PUBLICIZING.format(id=p["id"], state=_state_word(p["state"])),
    "volunteer_scope_needed": "请指定一个支部（--branch）或党委（--committee）。",
    "volunteer_team_name_missing": "请写明服务队名称。",
    "volunteer_leader_phone": "队长手机号“{phone}”格式不对，请写 11 位手机号。",
    "volunteer_leader_not_found": "没有找到手机号为 {phone} 的党员，无法设为队长。",
    "volunteer_activity_title_missing": ACTIVITY_USAGE,
    "volunteer_activity_day": "活动日期 {day} 不在可登记的范围内，请核实。",
    "volunteer_team_not_found": "没有找到名为“{name}”的服务队。",
    "volunteer_activity_forbidden": "只有服务队队长或支部书记可以创建志愿服务活动。",
    "volunteer_export_format": "不支持的导出格式“{suffix}”，请使用 .xlsx 或 .csv 文件名。",
    "volunteer_no_format": "志愿者编号“{no}”格式不对（4—40位字母、数字或连字符）。",
    "volunteer_no_taken": "志愿者编号“{no}”已被其他党员使用。",
    "volunteer_cert_nothing": "{name}在{year}年没有已生效（确认且公示期满）的志愿服务记录，不能出具证明。",
    "volunteer_year_invalid": "年份 {year} 不对，请写四位年份，例如 2026。",
    "volunteer_cert_busy": "证明编号生成冲突，请稍后重试。",
}
TOO_MANY = "一天最多登记24小时，{hours}小时超出了，请核实后重新填写。"
DAY_OVER = "{day}您已登记{logged}小时，再加{hours}小时将超过一天24小时，未保存。请核实时长。"
FUTURE = "{day}还没到，不能登记未来的志愿服务。"
TOO_OLD = "{day}距今已超过{days}天，不能再登记，请联系支部书记。"
ID_MISSING: dict[str, str] = {
    "撤销志愿": "请在命令后写上记录编号，例如：撤销志愿 12", "确认志愿": "请在命令后写上记录编号，例如：确认志愿 12",
    "退回志愿": "请在命令后写上记录编号和原因，例如：退回志愿 12 时长有误",
    "异议": "请在命令后写上记录编号和理由，例如：异议 12 当天未参加该活动"}
REASON_MISSING: dict[str, str] = {"return": "请写明退回原因，例如：退回志愿 {id} 时长有误",
                                   "objection": "请写明异议理由，例如：异议 {id} 当天未参加该活动"}
NOT_PENDING = "编号 {id} 的志愿服务记录当前为“{state}”，不是待确认状态，无法办理。"
NOT_PUBLICIZING = "编号 {id} 的志愿服务记录当前为“{state}”，不在公示期内，不能提出异议。"


def _state_word(state: str) -> str:
    return STATE_PUBLICIZING_PLAIN if state == "publicizing" else str(STATES.get(state, state))


def hours(value: Any) -> str:
    """3 / 2.5 / 1.67: hours as people write them."""
    text = f"{Decimal(str(value)).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _as_typed(value: Any) -> str:
    """25 / 24.001: an hours figure as it was written (not rounded), for saying what is wrong with it."""
    text = f"{Decimal(str(value)):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def state_of(info: Any) -> str:
    """A record's status as its member reads it."""
    if info.state == "publicizing" and info.public_until is not None:
        return STATE_PUBLICIZING.format(until=fmt_day(info.public_until))
    if info.state == "returned" and info.return_reason:
        return STATE_RETURNED.format(reason=shorten(info.return_reason, 20))
    return str(STATES.get(info.state, info.state))


def logged(info: Any, confirmer: str | None) -> str:
    where = LOGGED_WHERE.format(organizer=info.organizer) if info.activity_id and info.organizer else ""
    who = LOGGED_CONFIRMER.format(name=confirmer) if confirmer else LOGGED_NO_CONFIRMER
    return LOGGED.format(id=info.id, day=fmt_day(info.served_on), content=info.content, hours=hours(info.hours),
                         where=where, confirmer=who)


def withdrawn(info: Any) -> str:
    return WITHDRAWN.format(id=info.id, day=fmt_day(info.served_on), content=info.content, hours=hours(info.hours))


def confirmed(info: Any) -> str:
    return CONFIRMED.format(id=info.id, name=info.member_name, day=fmt_day(info.served_on), content=info.content,
                            hours=hours(info.hours), until=fmt_day(info.public_until))


def confirmed_all(infos: list[Any]) -> str:
    if not infos:
        return CONFIRMED_NONE
    lines = "\n".join(PENDING_LINE.format(id=i.id, name=i.member_name, day=fmt_day(i.served_on),
                                          content=shorten(i.content, 20), hours=hours(i.hours), objection="")
                      for i in infos[:LIST_SHOWN]) + _more(infos)
    return CONFIRMED_ALL.format(n=len(infos), until=fmt_day(infos[0].public_until), lines=lines)


def returned(info: Any) -> str:
    return RETURNED.format(id=info.id, name=info.member_name, day=fmt_day(info.served_on), content=info.content,
                           reason=info.return_reason)


def objected(info: Any, confirmer: str) -> str:
    return OBJECTED.format(id=info.id, name=info.member_name, day=fmt_day(info.served_on), content=info.content,
                           confirmer=confirmer)


def _more(infos: list[Any]) -> str:
    return "\n" + LIST_MORE.format(n=len(infos) - LIST_SHOWN) if len(infos) > LIST_SHOWN else ""


def pending(infos: list[Any]) -> str:
    if not infos:
        return CONFIRMED_NONE
    lines = "\n".join(PENDING_LINE.format(
        id=i.id, name=i.member_name, day=fmt_day(i.served_on), content=shorten(i.content, 20),
        hours=hours(i.hours), objection=PENDING_OBJECTION.format(objection=shorten(i.objection, 20))
        if i.objection else "") for i in infos[:LIST_SHOWN]) + _more(infos)
    return PENDING_HEADER.format(n=len(infos), lines=lines)


def activity_created(a: Any) -> str:
    return ACTIVITY_CREATED.format(id=a.id, day=fmt_day(a.held_on), title=a.title,
                                   team=ACTIVITY_TEAM.format(team=a.team_name) if a.team_name else "",
                                   place=ACTIVITY_PLACE.format(place=a.place) if a.place else "")


def activities(items: list[Any]) -> str:
    if not items:
        return ACTIVITY_NONE
    lines = "\n".join(ACTIVITY_LINE.format(id=a.id, day=fmt_day(a.held_on), title=a.title,
                                           team=ACTIVITY_TEAM.format(team=a.team_name) if a.team_name else "")
                      for a in items)
    return ACTIVITY_LIST.format(lines=lines)


def _confirmer_hint(my: Any) -> str:
    """For a team leader or a confirmer with records waiting: what they may do (leaders hold no role, so
    the help menu cannot single them out)."""
    led = MINE_LEADER.format(teams="、".join(my.teams_led)) if my.teams_led else ""
    if my.to_confirm:
        return led + MINE_TO_CONFIRM.format(n=my.to_confirm)
    return led + MINE_NONE_TO_CONFIRM if led else ""


def mine(name: str, my: Any) -> str:
    hint = _confirmer_hint(my)
    if not my.recent:
        return "\n".join(x for x in (MINE_EMPTY, hint) if x)
    lines = "\n".join(RECORD_LINE.format(id=r.id, day=fmt_day(r.served_on), content=shorten(r.content, 20),
                                         hours=hours(r.hours), state=state_of(r)) for r in my.recent)
    text = MINE.format(name=name, year=my.year, year_final=hours(my.year_final), year_open=hours(my.year_open),
                       total_final=hours(my.total_final), total_open=hours(my.total_open),
                       number=MINE_NUMBER.format(no=my.volunteer_no) if my.volunteer_no else "", lines=lines)
    return "\n".join(x for x in (text, hint) if x)


def _items(pairs: list[tuple[str, Any]]) -> str:
    return LIST_SEP.join(TOTALS_ITEM.format(label=label, hours=hours(h)) for label, h in pairs) or TOTALS_NONE


def totals(t: Any) -> str:
    return TOTALS.format(
        name=t.name, year=t.year, final_hours=hours(t.final_hours), final_records=t.final_records, members=t.members,
        publicizing_hours=hours(t.publicizing_hours), pending_hours=hours(t.pending_hours),
        months=_items([(MONTH.format(month=m), h) for m, h in t.by_month.items()]),
        teams=_items([(name or NO_TEAM, h) for _tid, name, h in t.by_team]),
        activities=_items([(f"#{aid} {title}" if aid else NO_ACTIVITY, h) for aid, title, h in t.by_activity]))


# -- CLI ----------------------------------------------------------------------------------------------
CLI_TEAM = "服务队：{name}（支部 {branch}），队长：{leaders}。{state} 编号 {id}"
CLI_TEAM_CREATED = "已创建"
CLI_TEAM_UPDATED = "已存在，已更新队长"
CLI_EXPORTED = "已导出 {n} 条已生效的志愿服务记录到 {path}"
CLI_CERT = "已出具志愿服务证明 {number}：{name} {year}年 {hours} 小时，已写入 {path}。编号 {id}"
CLI_CERT_AGAIN = "时长未变，沿用已出具的志愿服务证明 {number}：{name} {year}年 {hours} 小时，已写入 {path}。编号 {id}"
CLI_NUMBER = "已设置 {name} 的志愿者编号：{no}。党员编号 {id}"
CLI_NUMBER_CLEARED = "已清除 {name} 的志愿者编号。党员编号 {id}"
CLI_NO_LEADER = "未设队长"

# -- the certificate (志愿服务证明, 民发〔2015〕149号) --------------------------------------------------------
CERT_TITLE = "志愿服务证明"
CERT_NUMBER = "证明编号：{number}"
CERT_BODY = ("兹证明 {name}（志愿者编号：{no}）于{year}年在本组织参加志愿服务，经确认并公示无异议，"
             "累计志愿服务时长 {hours} 小时。")
CERT_NO_NUMBER = "未登记"
CERT_CONTENT = "服务内容：{contents}"
CERT_TABLE_HEAD = ("服务日期", "服务内容", "组织单位", "时长（小时）")
CERT_ISSUER = "出具单位：{issuer}"
CERT_CONTACT = "联系人及电话：{contact}"
CERT_DATE = "出具日期：{date}"
CERT_NOTE = "本证明依据《志愿服务记录与证明出具办法（试行）》出具，记录真实、准确、完整。"
CONTENT_SEP = "、"


def cert_date(value: date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


# -- notices --------------------------------------------------------------------------------------------
REMIND_PENDING = ("有{count}条志愿服务记录等待您确认，请回复“确认全部”或“确认志愿 编号”确认，"
                  "有误的回复“退回志愿 编号 原因”。")
REMIND_PENDING_TITLE = "志愿服务待确认"
SUBJECT = "志愿服务记录"
DETAIL_PENDING = "{count}条待确认"
NOTICE_CONFIRMED = "您{day}的志愿服务“{content}”（{hours}小时，编号 {id}）已确认，公示至{until}，期满无异议即生效。"
NOTICE_CONFIRMED_TITLE = "志愿服务已确认"
DETAIL_CONFIRMED = "公示至{until}"
NOTICE_RETURNED = "您{day}的志愿服务“{content}”（编号 {id}）被{by}退回，原因：{reason}。核实后可重新登记。"
NOTICE_RETURNED_TITLE = "志愿服务被退回"
NOTICE_OBJECTED = ("{name}{day}的志愿服务“{content}”（编号 {id}）在公示期内收到异议：{reason}。"
                   "请回复“确认志愿 {id}”或“退回志愿 {id} 原因”重新处理。")
NOTICE_OBJECTED_TITLE = "志愿服务收到异议"
NOTICE_FINAL = "您{day}的志愿服务“{content}”（{hours}小时，编号 {id}）公示期满，已生效。回复“我的志愿”查看累计时长。"
NOTICE_FINAL_TITLE = "志愿服务已生效"
DETAIL_FINAL = "{hours}小时已生效"

NOTICE_LEADER = ("您已被设为“{team}”队长。本队队员登记的志愿服务由您确认：回复“确认志愿”查看待确认的记录，"
                 "“确认全部”全部确认，“退回志愿 编号 原因”退回；回复“活动 日期 内容 {team}”创建活动。")
NOTICE_LEADER_TITLE = "志愿服务队长"
DETAIL_LEADER = "可确认队员的志愿记录"

_Params = Mapping[str, Any]


def _pending(p: _Params, s: Settings) -> NoticeText:
    """params: count."""
    return NoticeText(REMIND_PENDING.format(count=p["count"]),
                      {"title": REMIND_PENDING_TITLE, "subject": SUBJECT,
                       "detail": DETAIL_PENDING.format(count=p["count"])})


def _confirmed(p: _Params, s: Settings) -> NoticeText:
    """params: record_id, content, served_on, hours, public_until."""
    until = fmt_day(day(p["public_until"]))
    return NoticeText(NOTICE_CONFIRMED.format(day=fmt_day(day(p["served_on"])), content=p["content"],
                                              hours=hours(p["hours"]), id=p["record_id"], until=until),
                      {"title": NOTICE_CONFIRMED_TITLE, "subject": p["content"],
                       "detail": DETAIL_CONFIRMED.format(until=until)})


def _returned(p: _Params, s: Settings) -> NoticeText:
    """params: record_id, content, served_on, hours, reason, by."""
    return NoticeText(NOTICE_RETURNED.format(day=fmt_day(day(p["served_on"])), content=p["content"],
                                             id=p["record_id"], by=p["by"], reason=p["reason"]),
                      {"title": NOTICE_RETURNED_TITLE, "subject": p["content"], "detail": p["reason"]})


def _objected(p: _Params, s: Settings) -> NoticeText:
    """params: record_id, name, content, served_on, reason."""
    return NoticeText(NOTICE_OBJECTED.format(name=p["name"], day=fmt_day(day(p["served_on"])), content=p["content"],
                                             id=p["record_id"], reason=p["reason"]),
                      {"title": NOTICE_OBJECTED_TITLE, "subject": p["content"], "detail": p["reason"]})


def _final(p: _Params, s: Settings) -> NoticeText:
    """params: record_id, content, served_on, hours."""
    return NoticeText(NOTICE_FINAL.format(day=fmt_day(day(p["served_on"])), content=p["content"],
                                          hours=hours(p["hours"]), id=p["record_id"]),
                      {"title": NOTICE_FINAL_TITLE, "subject": p["content"],
                       "detail": DETAIL_FINAL.format(hours=hours(p["hours"])),
                       "date": wx_date(day(p["served_on"]))})


def _leader(p: _Params, s: Settings) -> NoticeText:
    """params: team_id, team."""
    return NoticeText(NOTICE_LEADER.format(team=p["team"]),
                      {"title": NOTICE_LEADER_TITLE, "subject": p["team"], "detail": DETAIL_LEADER})


NOTICES: dict[str, NoticeWording] = {
    "volunteer_pending": _pending,
    "volunteer_confirmed": _confirmed,
    "volunteer_returned": _returned,
    "volunteer_objected": _objected,
    "volunteer_final": _final,
    "volunteer_leader_named": _leader,
}
