"""Wording of setting up an organization: the operator's `org` commands and their refusals."""

from __future__ import annotations

CLI_COMMITTEE_ADDED = "已添加党委：{name}，编号 {id}"
CLI_BRANCH_ADDED = "已添加党组织：{name}，编号 {id}"
CLI_ORGANIZATION_ADDED = "已添加社会组织：{name}，编号 {id}"
CLI_GRANTED = "已授予 {name} {role}（{scope}），党员编号 {id}"
CLI_GRANT_ALREADY = "{name} 已是{role}（{scope}），未重复授予，党员编号 {id}"
CLI_INVITED = "已为 {name} 生成绑定码，{hours} 小时内有效，请本人在公众号回复“绑定 绑定码”。绑定码： {code}"

REFUSALS: dict[str, str] = {
    "setup_name_missing": "请写明名称。",
    "setup_name_too_long": "名称过长（最多 {limit} 字）。",
    "setup_committee_kind": "党委类型应为：{kinds}。",
    "setup_committee_taken": "已有名为“{name}”的党委。",
    "setup_branch_formation": "组建方式应为：{values}。",
    "setup_branch_kind": "党组织类型应为：{values}。",
    "setup_branch_taken": "该党委下已有名为“{name}”的党组织。",
    "setup_role_unknown": "角色应为：{roles}。",
    "setup_role_scope": "{role} 的范围应写成 {scope_type}:编号。",
    "setup_organization_not_found": "没有找到 ID 为 {id} 的社会组织。",
    "setup_grant_needs_name": ("这个手机号还没有对应的人员，请用 --name 写明姓名"
                               "（将作为党委工作人员登记，不属于任何支部）。"),
    "setup_phone_taken": "这个手机号刚被登记，请重试。",
    "setup_grant_race": "授权没有成功，请重试。",
}
