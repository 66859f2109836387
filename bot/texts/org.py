"""Wording of the organization work (chat, the roster commands, notices): members, binding, roster,
branches, 流动党员; REFUSALS word the org services' refusals, NOTICES the 流动党员 notices."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.config import Settings
from bot.texts.general import TRY_LATER
from bot.texts.notices import NoticeText, NoticeWording

ROLE_LABELS = {
    "member": "党员",
    "secretary": "支部书记",
    "committee_member": "支委",
    "liaison": "党建工作联络员",
    "instructor": "党建指导员",
    "admin": "党委管理员",
    "verifier": "整改验收人",
}
STATUS_LABELS = {"full": "正式党员", "probationary": "预备党员"}
LEVEL_LABELS = {"party_committee": "党委", "general_branch": "党总支", "branch": "党支部"}
FORMATION_LABELS = {"single": "单独组建", "joint": "联合组建", "attached": "挂靠组建"}
KIND_LABELS = {"full": "建制型", "functional": "功能性"}
ORG_TYPE_LABELS = {"social_group": "社会团体", "private_nonenterprise": "民办非企业单位", "foundation": "基金会"}
COMMITTEE_KIND_LABELS = {"comprehensive": "综合党委", "industry": "行业党委", "two_new": "“两新”工委"}

CREDIT_CODE_LENGTH = "统一社会信用代码应为 18 位，这里是 {n} 位。"
CREDIT_CODE_CHARS = "统一社会信用代码含有不允许的字符：{chars}（不使用 I、O、Z、S、V）。"
CREDIT_CODE_CHECK = "统一社会信用代码校验位不正确，请核对是否抄错。"
CREDIT_CODE_CATEGORY = "统一社会信用代码第 2 位（机构类别）与组织类型“{type}”不符。"
CREDIT_CODE_TAKEN = "统一社会信用代码 {code} 已登记。"
ORG_TYPE_UNKNOWN = "未知的社会组织类型：{value}。"
ORG_BRANCH_OTHER_COMMITTEE = "该党组织不属于这个党委，不能覆盖这个社会组织。"

BRANCH_NOT_FOUND = "没有找到 ID 为 {id} 的党组织。"
COMMITTEE_NOT_FOUND = "没有找到 ID 为 {id} 的党委。"
MEMBER_ID_NOT_FOUND = "没有找到编号为 {id} 的党员。"
MEMBER_PHONE_NOT_FOUND = "在您可以查看的党员中，没有找到手机号为 {phone} 的党员。"
MEMBER_NAME_NOT_FOUND = "没有找到名叫“{name}”的党员，请核对姓名，或先导入支部花名册。"
MEMBER_INACTIVE = "{name} 的党员信息已停用，不能邀请绑定。"
NEED_BINDING = "请先绑定党员身份：向支部书记索取六位绑定码，然后回复：绑定 123456"
NO_BRANCH = "您目前不属于任何党支部。"

INVITE_USAGE = "请写明要邀请的党员，例如：邀请 张三"
INVITE_AMBIGUOUS = "有多位党员叫“{name}”，请回复编号，例如“邀请 #编号”：\n{choices}"
INVITE_CHOICE_LINE = "#{id} {name}（{branch}，{phone}）"
INVITE_DONE = (
    "已为 {name} 生成绑定码：{code}\n"
    "有效期至 {expires}（72 小时）。\n"
    "请转告本人在公众号回复：绑定 {code}"
)
INVITE_REBIND_NOTE = "（{name} 已绑定微信；使用新绑定码后将改绑到新的微信号，原绑定随即失效。）"

BIND_FORMAT = "绑定码是 6 位数字，请这样回复：绑定 123456"
BIND_WRONG = "绑定码不正确，请核对后重试。"
BIND_USED = "这个绑定码已经使用过了。如需重新绑定，请联系支部书记重新邀请。"
BIND_EXPIRED = "这个绑定码已过期（有效期 72 小时），请联系支部书记重新邀请。"
BIND_REVOKED = "这个绑定码已失效（支部书记已重新发放），请使用最新的绑定码。"
BIND_TRIES_LEFT = "还可以再试 {n} 次。"
BIND_LOCKED_NOW = "已连续输错 {n} 次，绑定功能暂停 {minutes} 分钟。"
BIND_LOCKED = "输错次数过多，绑定功能已暂停，请 {minutes} 分钟后再试。"
BIND_UNAVAILABLE = "绑定服务暂时不可用，请稍后再试。"
BIND_OPENID_TAKEN = "这个微信号已绑定为党员 {name}，一个微信号只能绑定一名党员。如有疑问请联系支部书记。"
BIND_RACE = "绑定没有成功，请稍后再试一次。"
BIND_DONE = "绑定成功！{name}，您好，欢迎使用支部通（{branch}）。\n回复“帮助”查看可用功能，回复“我的”查看本人信息。"
BIND_ALREADY = "您已绑定为党员 {name}，无需重复绑定。"

MINE = (
    "【我的信息】\n"
    "姓名：{name}\n"
    "手机号：{phone}\n"
    "党员状态：{status}\n"
    "入党日期：{joined}\n"
    "所在党组织：{branch}\n"
    "所在党小组：{group}\n"
    "所在单位：{org}\n"
    "职务：{title}\n"
    "角色：{roles}"
)
MINE_MOBILE = "流动党员，另在以下党组织登记：{hosts}"
MOB_NO_BRANCH = "没有找到您负责的支部，无法登记流动党员。"
MOB_USAGE = "请写明流动党员的手机号，例如：登记流动党员 13800138000"
MOB_PHONE_FORMAT = "手机号格式不对，请写 11 位手机号，例如：登记流动党员 13800138000"
MOB_NOBODY = (
    "在本党委所辖党组织中没有找到手机号为 {phone} 的党员。流动党员须在本党委所辖党组织，"
    "并先由其所在支部录入花名册，再在本支部登记。"
)
MOB_INACTIVE = "{name} 的党员信息已停用，不能登记为流动党员。"
MOB_OWN_MEMBER = "{name} 是{branch}本支部的党员，无需登记为流动党员。"
MOB_DONE = (
    "已登记：{name}（组织关系在{home}，{phone}）为{branch}的流动党员。\n"
    "可参加本支部除支委会、党小组会以外的会议，会前会收到提醒，扫本支部会议二维码签到；组织关系不变。"
)
MOB_ALREADY = "{name}（{home}）已是{branch}登记的流动党员，无需重复登记。"
MOB_REMOVED = "已取消 {name} 在{branch}的流动党员登记；其所在支部不受影响。"
MOB_NOT_REGISTERED = "{branch}没有登记手机号为 {phone} 的流动党员。"
MOB_LIST = "{branch}登记的流动党员（{n} 人）：\n{lines}"
MOB_LIST_LINE = "{name}（组织关系在{home}，{phone}）"
MOB_LIST_EMPTY = "{branch}还没有登记流动党员。登记：登记流动党员 手机号"
MOB_NOTICE = "{name}同志，您已登记为{host}的流动党员，可参加该支部的党员大会、党课、主题党日等活动，扫码签到。"
MOB_NOTICE_HOME = (
    "本支部党员{name}已登记为{host}的流动党员，组织关系仍在本支部；可参加该支部的党员大会、党课、主题党日等活动。"
)
MOB_NOTICE_TITLE = "流动党员登记"
MEMBER_CARD = (
    "【党员信息】#{id}\n"
    "姓名：{name}\n"
    "手机号：{phone}\n"
    "党员状态：{status}\n"
    "入党日期：{joined}\n"
    "所在党组织：{branch}\n"
    "所在党小组：{group}\n"
    "职务：{title}\n"
    "微信绑定：{bound}"
)
MEMBER_USAGE = "请写明党员姓名，例如：党员 张三"
BOUND_YES = "已绑定"
BOUND_NO = "未绑定"
NO_HOME_BRANCH = "未编入支部"  # a 流动党员's home when they belong to no branch
BRANCH_CARD = (
    "【{name}】#{id}\n"
    "上级党委：{committee}\n"
    "类型：{level} · {formation} · {kind}\n"
    "书记：{secretaries}\n"
    "党员：正式 {full} 名，预备 {probationary} 名；已绑定微信 {bound} 名\n"
    "党小组：{groups}\n"
    "覆盖的社会组织：{orgs}"
)
BRANCH_SUBS = "下属党组织：{subs}"
BRANCH_UNBOUND = "未绑定微信：{names}"
BRANCH_BELOW_MIN = "⚠ 正式党员不足 3 名，不具备单独组建建制型党支部的条件，请考虑联合组建或改设功能性党支部。"
BRANCH_PICK = "您可以查看以下党组织，请回复“支部 编号”：\n{lines}"
BRANCH_LINE = "#{id} {name}"
BRANCH_OTHERS = "还可查看：{lines}（回复“支部 编号”）"
COVERAGE_CARD = (
    "【{name} 覆盖情况】\n"
    "社会组织：{orgs} 个\n"
    "党组织：{branches} 个（单独组建 {single}，联合组建 {joint}，挂靠组建 {attached}）\n"
    "单独组建率：{single_rate}（{with_own}/{orgs}）\n"
    "覆盖率：{coverage_rate}（{covered}/{orgs}，含党组织、联络员或指导员）"
)
COVERAGE_BELOW = "正式党员不足 3 名的建制型党组织：{items}"
COVERAGE_UNCOVERED = "尚未覆盖：{names}"
NONE = "无"

ROSTER_HEADERS_MISSING = "花名册缺少必需的列：{names}（请在表头写明）。"
ROSTER_UNREADABLE = "无法读取花名册文件：{reason}"
ROSTER_EMPTY = "花名册中没有党员数据。"
ROSTER_ROW = "第 {row} 行：{reason}"
ROSTER_INVALID = "花名册有 {n} 行有误，未导入任何数据："
ROSTER_NAME_MISSING = "缺少姓名"
ROSTER_NAME_TOO_LONG = "姓名过长（最多 50 字）"
ROSTER_PHONE_MISSING = "缺少手机号"
ROSTER_PHONE_BAD = "手机号“{value}”格式不正确（应为 11 位手机号码）"
ROSTER_STATUS_BAD = "党员状态“{value}”无法识别（应为 正式党员 或 预备党员）"
ROSTER_DATE_BAD = "入党日期“{value}”无法识别（例如 2015-07-01）"
ROSTER_DATE_FUTURE = "入党日期 {value} 晚于今天"
ROSTER_DUPLICATE = "与第 {row} 行是同一人（手机号 {phone} 重复）"
ROSTER_OTHER_BRANCH = "手机号 {phone} 已登记在“{branch}”（{name}），同一人不能重复登记"
ROSTER_ORG_UNKNOWN = "所在单位“{value}”不是本支部覆盖的社会组织"
ROSTER_TEXT_TOO_LONG = "{field}过长（最多 {n} 字）"
ROSTER_DONE = "花名册导入完成：新增 {created} 人，更新 {updated} 人，未变 {unchanged} 人，新建党小组 {groups} 个。"
ROSTER_CENTRAL = "党委机关"  # where a member in no branch is registered (the committee's own staff)
ROSTER_COLUMNS = {"group": "所在党小组", "title": "职务"}
ROSTER_PROBLEMS: dict[str, str] = {
    "name_missing": ROSTER_NAME_MISSING,
    "name_too_long": ROSTER_NAME_TOO_LONG,
    "phone_missing": ROSTER_PHONE_MISSING,
    "phone_bad": ROSTER_PHONE_BAD,
    "status_bad": ROSTER_STATUS_BAD,
    "date_bad": ROSTER_DATE_BAD,
    "date_future": ROSTER_DATE_FUTURE,
    "duplicate": ROSTER_DUPLICATE,
    "other_branch": ROSTER_OTHER_BRANCH,
    "org_unknown": ROSTER_ORG_UNKNOWN,
    "text_too_long": ROSTER_TEXT_TOO_LONG,
}

# The roster commands (`flask --app bot import-roster | export-roster | seed-demo`).
CLI_FILE_MISSING = "找不到文件：{path}"
CLI_IMPORT_INTO = "导入到：{branch}（#{id}），共 {n} 行"
CLI_IMPORT_SKIPPED = "以下列不导入：{names}"
CLI_IMPORT_PROGRESS = "校验并导入"
CLI_EXPORTED = "已导出 {n} 名党员到 {path}"
CLI_EXPORTED_FULL = "（含完整手机号）"
CLI_EXPORTED_MASKED = "（手机号已脱敏）"
CLI_DEMO_EXISTS = "演示数据已存在（{name}），未重复写入。"
CLI_DEMO_SKIPPED = "数据库中已有党委，跳过演示数据。"
CLI_DEMO_WRITTEN = "已写入演示数据：{name}（#{id}）"
CLI_DEMO_NONE = "数据库中没有演示党委，无法导出演示数据。"
CLI_DEMO_EXPORTED = "演示数据已导出到 {path}"


def percent(rate: float | None) -> str:
    """A share as the coverage card writes it: 20.0%, or — when there is nothing to divide by."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def listed(names: Iterable[str]) -> str:
    """Names in a Chinese list (、), or 无."""
    return "、".join(names) or NONE


def roster_problem(reason: str, params: Mapping[str, Any]) -> str:
    """What is wrong with a roster row (bot.services.org.roster.RowProblem's reason and params)."""
    values = dict(params)
    if reason == "other_branch" and not values.get("branch"):
        values["branch"] = ROSTER_CENTRAL
    if reason == "text_too_long":
        values["field"] = ROSTER_COLUMNS.get(str(values.get("column")), values.get("column"))
    return ROSTER_PROBLEMS[reason].format(**values)


def _roster_invalid(p: Mapping[str, Any], _settings: Settings) -> str:
    lines = [ROSTER_INVALID.format(n=p["rows"])]
    lines += [ROSTER_ROW.format(row=row, reason=roster_problem(reason, params))
              for row, reason, params in p["problems"]]
    return "\n".join(lines)


def _invite_ambiguous(p: Mapping[str, Any], _settings: Settings) -> str:
    choices = [INVITE_CHOICE_LINE.format(id=ident, name=name, branch=branch or "—", phone=phone)
               for ident, name, branch, phone in p["choices"]]
    return INVITE_AMBIGUOUS.format(name=p["name"], choices="\n".join(choices))


def _bind_refused(base: str) -> Callable[[Mapping[str, Any], Settings], str]:
    """A wrong code's refusal, with the tries left or the lock it just caused."""

    def word(p: Mapping[str, Any], _settings: Settings) -> str:
        if "locked_after" in p:
            return base + BIND_LOCKED_NOW.format(n=p["locked_after"], minutes=p["lock_minutes"])
        if "tries_left" in p:
            return base + BIND_TRIES_LEFT.format(n=p["tries_left"])
        return base

    return word


REFUSALS: dict[str, str | Callable[[Mapping[str, Any], Settings], str]] = {
    # the organization tree
    "credit_code_length": CREDIT_CODE_LENGTH,
    "credit_code_chars": CREDIT_CODE_CHARS,
    "credit_code_check": CREDIT_CODE_CHECK,
    "credit_code_category": lambda p, _s: CREDIT_CODE_CATEGORY.format(
        type=ORG_TYPE_LABELS.get(p["org_type"], p["org_type"])),
    "credit_code_taken": CREDIT_CODE_TAKEN,
    "org_type_unknown": ORG_TYPE_UNKNOWN,
    "org_branch_other_committee": ORG_BRANCH_OTHER_COMMITTEE,
    "branch_not_found": BRANCH_NOT_FOUND,
    "committee_not_found": COMMITTEE_NOT_FOUND,
    "member_id_not_found": MEMBER_ID_NOT_FOUND,
    "member_name_not_found": MEMBER_NAME_NOT_FOUND,
    "member_phone_not_found": MEMBER_PHONE_NOT_FOUND,
    # chat: who is asking, what they asked
    "need_binding": NEED_BINDING,
    "invite_usage": INVITE_USAGE,
    "member_usage": MEMBER_USAGE,
    # invitations and binding
    "invite_member_inactive": MEMBER_INACTIVE,
    "invite_ambiguous": _invite_ambiguous,
    "bind_codes_busy": TRY_LATER,
    "bind_format": BIND_FORMAT,
    "bind_locked": BIND_LOCKED,
    "bind_unavailable": BIND_UNAVAILABLE,
    "bind_code_wrong": _bind_refused(BIND_WRONG),
    "bind_code_used": _bind_refused(BIND_USED),
    "bind_code_expired": _bind_refused(BIND_EXPIRED),
    "bind_code_revoked": _bind_refused(BIND_REVOKED),
    "bind_openid_taken": BIND_OPENID_TAKEN,
    "bind_race": BIND_RACE,
    # the roster
    "roster_unreadable": lambda p, _s: ROSTER_UNREADABLE.format(reason=p["error"]),
    "roster_headers_missing": lambda p, _s: ROSTER_HEADERS_MISSING.format(names="、".join(p["names"])),
    "roster_empty": ROSTER_EMPTY,
    "roster_invalid": _roster_invalid,
    # 流动党员
    "mobile_no_branch": MOB_NO_BRANCH,
    "mobile_usage": MOB_USAGE,
    "mobile_phone_format": MOB_PHONE_FORMAT,
    "mobile_nobody": MOB_NOBODY,
    "mobile_inactive": MOB_INACTIVE,
    "mobile_own_member": MOB_OWN_MEMBER,
    "mobile_not_registered": MOB_NOT_REGISTERED,
}


def _mobile_registered(p: Mapping[str, Any], _settings: Settings) -> NoticeText:
    """To the member registered as 流动党员 (audience "member") or to their own branch's secretary."""
    text = MOB_NOTICE if p.get("audience", "member") == "member" else MOB_NOTICE_HOME
    return NoticeText(text.format(name=p["name"], host=p["host"]),
                      {"title": MOB_NOTICE_TITLE, "subject": p["name"], "detail": p["host"]})


NOTICES: dict[str, NoticeWording] = {
    "mobile_registered": _mobile_registered,
}
