"""Every sentence a user reads that is not in templates/: one place, so wording changes touch no logic."""

from __future__ import annotations

APOLOGY = "抱歉，系统开小差了，您的操作没有生效，请稍后再试。"
TRY_LATER = "系统繁忙，请稍后重试。"
CANCELLED = "已取消。"
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
UNKNOWN_PREFIX = "没有听懂“{text}”。"
NON_TEXT = "已收到。目前支持文字指令，回复“帮助”查看可用功能。"
LOCATION_NOTED = "已收到位置。签到请扫描会场二维码。"
TEXT_TOO_LONG_SUFFIX = "…（内容过长，已截断）"

# -- 三会一课: meetings, check-in, leave, minutes, progress (meetings work) -------------------------
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
MTG_ASK_TIME = "好的，安排{label}。请告诉我会议时间，例如：下周三晚上7点半，或 12月5日 19:30。"
MTG_ASK_TIME_AGAIN = "没有识别出时间，请写明日期和钟点，例如：12月5日 19:30。回复“取消”放弃。"
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

CHK_OK = "签到成功，{name}，{at}"
CHK_OK_LATE = "签到成功，{name}，{at}（迟到）"
CHK_MANUAL_OK = "已为{name}代签，{at}"
CHK_ALREADY = "{name}，您已于 {at} 签到，无需重复扫码。"
CHK_ALREADY_OTHER = "{name}已于 {at} 签到，无需重复登记。"
CHK_UNBOUND = "您还没有绑定党员身份，无法签到。请向支部书记索取绑定码，回复“绑定 六位数字”。"
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

LEAVE_NO_MEETING = "近期没有需要请假的会议。"
LEAVE_STARTED = "会议已开始，不能再请假；如有特殊情况请直接联系支部书记。"
LEAVE_NEED_REASON = "请写明请假事由，例如：请假 家中有事"
LEAVE_ALREADY = "您已就 {when} 的{label}提交过请假（{status}）。"
LEAVE_SUBMITTED = "已提交请假：{when} 的{label}，事由：{reason}。等待书记审批，结果会通知您。"
LEAVE_NOTICE = "【请假申请】{name}申请不参加 {when} 的{label}，事由：{reason}。回复“同意 {id}”或“不同意 {id}”。"
LEAVE_NONE_PENDING = "当前没有待审批的请假申请。"
LEAVE_WHICH = "有多条请假申请待审批，请回复“同意 编号”或“不同意 编号”：\n{lines}"
LEAVE_LINE = "{id}. {name}：{when} {label}，事由：{reason}"
LEAVE_DECIDED_ALREADY = "这条请假申请已处理（{status}）。"
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

CMP_HEADER = "{branch} {label}进度（截至 {date}）："
CMP_LINE_OK = "✓ {type}（{period}，应 {required} 次）：已完成 {held} 次"
CMP_LINE_MISSING = "✗ {type}（{period}，应 {required} 次）：还差 {missing} 次"
CMP_UNQUORATE = "  · {when} 的{type}到会 {present}/{base} 人，未过半数，不计入"
CMP_ALL_DONE = "本期规定的会议都已完成。"
CMP_TODO = "还差：{items}。回复安排会议即可，例如：下周三晚上7点半开支委会，地点三楼会议室"

# -- organization, members, binding, roster (org work) ---------------------------------------------
ROLE_LABELS = {
    "member": "党员",
    "secretary": "支部书记",
    "committee_member": "支委",
    "liaison": "党建工作联络员",
    "instructor": "党建指导员",
    "admin": "党委管理员",
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
MOB_NOBODY = "没有找到手机号为 {phone} 的党员。流动党员须先由其所在支部录入花名册，再在本支部登记。"
MOB_INACTIVE = "{name} 的党员信息已停用，不能登记为流动党员。"
MOB_OWN_MEMBER = "{name} 是{branch}本支部的党员，无需登记为流动党员。"
MOB_DONE = (
    "已登记：{name}（组织关系在{home}，{phone}）为{branch}的流动党员。\n"
    "可参加本支部除支委会、党小组会以外的会议，会前会收到提醒，扫本支部会议二维码签到；组织关系不变。"
)
MOB_ALREADY = "{name}（{home}）已是{branch}登记的流动党员，无需重复登记。"
MOB_REMOVED = "已取消 {name} 在{branch}的流动党员登记；其所在支部不受影响。"
MOB_NOT_REGISTERED = "{name} 未在{branch}登记为流动党员。"
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


# -- scheduler: reminders and notices (定时提醒) -------------------------------------------------
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
REMIND_LEAVE = "{branch}有{count}条请假申请等待审批，请回复“审批请假”处理。"
REMIND_LEAVE_TITLE = "请假待审批"
REMIND_COMPLIANCE = "{branch}本{period}尚未开展：{missing}。请在{deadline}前安排，回复“开会”即可发布通知。"
REMIND_COMPLIANCE_TITLE = "组织生活待开展"
FLAG_INACTIVE = "{branch}已有{days}天没有开展组织生活（最近一次：{last}），请关注。"
FLAG_INACTIVE_NEVER = "{branch}还没有任何组织生活记录，请关注。"
FLAG_INACTIVE_TITLE = "支部长期未开展活动"
REMIND_REVIEW = "{title}将于{deadline}截止（还有{days}天），{branch}尚未提交述职报告，请及时提交。"
REMIND_REVIEW_TITLE = "述职报告待提交"
REMIND_RECTIFICATION = "整改事项“{problem}”将于{deadline}到期（还有{days}天），请抓紧整改并提交验收。"
REMIND_RECTIFICATION_TITLE = "整改即将到期"
FLAG_RECTIFICATION_OVERDUE = "整改事项“{problem}”（{owner}负责）已于{deadline}逾期未销号，请督促整改。"
FLAG_RECTIFICATION_OVERDUE_TITLE = "整改逾期"
REMIND_INSPECTION = "{org}{year}年度年检报告须在{deadline}前报送{where}（还有{days}天），请及时报送并填写党建工作情况。"
REMIND_INSPECTION_TITLE = "年检报告待报送"
INSPECTION_WHERE = {"supervisor": "业务主管单位", "registrar": "登记管理机关"}
REMIND_VOLUNTEER = "有{count}条志愿服务记录等待您确认，请回复“确认志愿服务”处理。"
REMIND_VOLUNTEER_TITLE = "志愿服务待确认"
DIGEST = (
    "{committee}本周（{week}）党建周报：\n"
    "· 召开会议{meetings}次，涉及{branches_met}个支部；\n"
    "· 本月组织生活未达标支部{gaps}个，30天无活动支部{inactive}个；\n"
    "· 整改事项未销号{open_items}项，其中逾期{overdue}项；\n"
    "· 本周未能送达的通知{undeliverable}条（已转支部书记或放弃）。"
)
DIGEST_TITLE = "党建周报"
FALLBACK = "{name}同志暂时无法接收微信通知，以下内容请代为转告：{text}"
FALLBACK_TITLE = "请代为转告"
PERIOD_NAMES = {"month": "月", "quarter": "季度"}
