"""Chat wording shared by every capability: welcome, help, cancel, apologies."""

from __future__ import annotations

APOLOGY = "抱歉，系统开小差了，您的操作没有生效，请稍后再试。"
TRY_LATER = "系统繁忙，请稍后重试。"
CANCELLED = "已取消。"
# What 取消 discarded, by the conversation step it left (any other step: CANCELLED).
SCHEDULE_DISCARDED = "已取消：这次会议安排已放弃，没有发布，也没有通知任何人。"
CANCELLED_STEPS = {
    "meetings.ask_time": SCHEDULE_DISCARDED,
    "meetings.ask_place": SCHEDULE_DISCARDED,
    "meetings.confirm": SCHEDULE_DISCARDED,
    "meetings.confirm_reschedule": "已取消：会议没有改期，时间不变。",
    "meetings.confirm_cancel": "已放弃取消会议：会议照常举行。",
    "meetings.leave_which": "已取消：请假申请没有提交。",
    "meetings.leave_reason": "已取消：请假申请没有提交。",
    "meetings.ask_group": SCHEDULE_DISCARDED,
    "meetings.ask_type": SCHEDULE_DISCARDED,
    "meetings.minutes": "已退出会议记录；已经记下的文字和照片都已保存。",
    "volunteer.ask_hours": "已取消：志愿服务没有登记。",
    "review.draft": "已退出述职报告撰写；已写的内容和照片都已保存，回复“述职”可继续。",
    "rectification.evidence": "已退出佐证材料录入；已发送的文字和照片都已保存，整改事项尚未提交验收。",
    "rectification.before": "已结束整改前照片录入，已发送的照片都已保存。",
}
NOTHING_TO_CANCEL = "当前没有进行中的操作。"
WELCOME = (
    "欢迎关注支部通！\n"
    "这里可以办理三会一课签到、请假、会议安排和记录等支部工作。\n"
    "首次使用请向支部书记索取绑定码，然后回复“绑定 六位数字”。\n"
    "回复“帮助”查看可用功能。"
)
UNBOUND_HELP = (
    "您还没有绑定党员身份。\n"
    "请向支部书记索取六位绑定码，然后回复：绑定 123456\n"
    "绑定后即可签到、请假、查看会议。"
)
HELP_HEADER = "{name}，您好！您可以回复："
HELP_FOOTER = "回复“取消”可退出正在进行的操作。"
# 帮助 too long for one reply is grouped by capability (a chat handler module -> its section's name).
HELP_SECTIONS = {"general": "常用", "org": "组织与党员", "mobile": "组织与党员", "meetings": "三会一课",
                 "review": "述职评议", "rectification": "整改", "volunteer": "志愿服务", "inspection": "年检"}
HELP_OTHER = "其他"
HELP_GROUP = "【{section}】{commands}"
HELP_GROUPED_FOOTER = "回复“帮助 {example}”等查看某一类命令的说明；回复“取消”可退出正在进行的操作。"
HELP_SECTION_HEADER = "【{section}】您可以回复："
HELP_NO_SECTION = "没有“{text}”这一类命令。可查看：{sections}（如“帮助 三会一课”）。"
UNKNOWN_PREFIX = "没有听懂“{text}”。"
UNKNOWN_HINT = "回复“帮助”查看全部指令。"
NON_TEXT = "已收到。目前支持文字指令，回复“帮助”查看可用功能。"
LOCATION_NOTED = "已收到位置。签到请扫描会场二维码。"
TEXT_TOO_LONG_SUFFIX = "…（内容过长，已截断）"
CLI_CANNOT_WRITE = "无法写入 {path}：{error}。请检查目录是否存在、是否有写入权限。"

# Refusals of any capability (bot.services.errors reasons), worded by bot.texts.refusal.
UNBOUND = "您还没有绑定党员身份。请向支部书记索取绑定码，回复“绑定 六位数字”后再试。"
REFUSALS: dict[str, str] = {
    "unbound": UNBOUND,
    "forbidden": "你没有权限进行此操作。如需开通，请联系支部书记或上级党委。",
    "dedupe_unavailable": "系统正在恢复，这项操作暂时不能办理（以免重复办理），请几分钟后再试。",
    "attachment_no_media": "没有收到这张图片，请重新发送。",
    "member_not_found": "没有找到编号为 {id} 的党员。",
    "organization_not_found": "没有找到编号为 {id} 的社会组织。",
}
