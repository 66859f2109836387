"""Words of 整改台账: replies, refusals (REFUSALS) and notices (NOTICES)."""

from __future__ import annotations

from typing import Any

REFUSALS: dict[str, Any] = {
    "ledger_bad_source": "问题来源“{source}”不在台账的来源里，请写：{known}。",
    "ledger_empty_problem": "请写明问题内容。",
    "ledger_problem_too_long": "问题描述太长了，请控制在 {limit} 字以内。",
    "ledger_measures_too_long": "整改措施太长了，请控制在 {limit} 字以内。",
    "ledger_category_too_long": "问题类别太长了，请控制在 {limit} 字以内。",
    "ledger_deadline_past": "整改时限 {deadline} 已经过去，请给一个今天或以后的日期。",
    "ledger_no_unit": "请指明问题所在的单位（支部或社会组织）。",
}
NOTICES: dict[str, Any] = {}
