"""Issue 12: every notice kind reaches a phone as typed template keywords that fit WeChat's rules (the fake
WeChat API refuses the rest), and a meeting notice keeps the whole time and the place."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from bot.config import DEFAULT_NOTICE_TEMPLATES, ConfigError, Settings, load, settings_of
from bot.devtools.fake_wechat import FakeWeChat, keyword_error
from bot.services.notify.delivery import Notice, template_data
from bot.texts import notice_wordings, render

AT = "2026-12-04T12:00:00+00:00"  # 20:00 in Shanghai
TOPIC = "学习贯彻党的二十届四中全会精神专题研讨暨年度组织生活会"
PLACE = "社区党群服务中心三楼第二会议室（东侧电梯上楼右转）"
FIGURES = {"meetings": 12, "branches_met": 7, "gaps": 3, "inactive": 1, "open_items": 5, "overdue": 2,
           "undeliverable": 4}
PARAMS: dict[str, dict[str, Any]] = {
    "meeting_published": {"meeting_id": 7, "type": "general_meeting", "starts_at": AT, "place": PLACE,
                          "revision": 1, "topic": TOPIC},
    "meeting_changed": {"meeting_id": 7, "type": "general_meeting", "starts_at": AT, "place": PLACE,
                        "revision": 2, "topic": TOPIC, "old_starts_at": "2026-12-03T11:30:00+00:00"},
    "meeting_cancelled": {"meeting_id": 7, "type": "committee_meeting", "starts_at": AT, "place": "",
                          "revision": 3, "topic": ""},
    "leave_requested": {"leave_request_id": 9, "name": "欧阳建国", "starts_at": AT, "type": "party_lecture",
                        "reason": "在外地出差参加单位年度总结会议，无法按时赶回，请假一次"},
    "leave_decided": {"leave_request_id": 9, "status": "approved", "starts_at": AT, "type": "party_lecture"},
    "meeting_reminder": {"meeting_id": 7, "hours": 24, "type": "theme_day", "topic": TOPIC, "place": PLACE,
                         "starts_at": AT},
    "minutes_reminder": {"meeting_id": 7, "type": "theme_day", "starts_at": AT, "branch": "星光社会工作服务中心党支部"},
    "leave_pending": {"branch_id": 1, "branch": "星光社会工作服务中心党支部", "count": 3},
    "compliance_gap": {"branch_id": 1, "branch": "星光社会工作服务中心党支部", "period": "quarter",
                       "missing": ["committee_meeting", "general_meeting", "party_lecture"], "deadline": "2026-12-31"},
    "branch_inactive": {"branch_id": 1, "branch": "星光社会工作服务中心党支部", "days": 45,
                        "last_activity_at": "2026-10-18T02:00:00+00:00"},
    "review_due": {"round_id": 1, "title": "2026年度基层党组织书记抓党建工作述职评议", "deadline": AT, "days": 3,
                   "branch_id": 1, "branch": "星光党支部"},
    "rectification_due": {"item_id": 1, "problem": "三会一课记录不规范，会议记录缺少参会人员签到与讨论要点",
                          "deadline": "2026-12-10", "days": 7},
    "rectification_overdue": {"item_id": 1, "problem": "党费收缴台账缺失", "owner": "司马相如",
                              "deadline": "2026-12-01"},
    "rectification_returned": {"item_id": 12, "problem": "三会一课记录不规范，会议记录缺少参会人员签到与讨论要点",
                               "reason": "照片不清晰，请补充会议签到表和讨论记录的照片", "deadline": "2026-12-31"},
    "rectification_submitted": {"item_id": 12, "problem": "三会一课记录不规范，会议记录缺少参会人员签到与讨论要点",
                                "unit": "星光社会工作服务中心党支部", "deadline": "2026-12-31"},
    "board_term_due": {"organization_id": 1, "org": "某区星光社会工作服务中心（民办非企业单位）",
                       "term_ends": "2027-01-15", "days": 53},
    "inspection_due": {"organization_id": 1, "org": "某区星光社会工作服务中心（民办非企业单位）", "year": 2025,
                       "which": "registrar", "deadline": "2026-05-31", "days": 17},
    "volunteer_pending": {"count": 2},
    "volunteer_confirmed": {"record_id": 12, "content": "社区助老服务暨重阳节敬老院慰问演出及陪护活动",
                            "served_on": "2026-11-20", "hours": "3.50", "public_until": "2026-12-09"},
    "volunteer_returned": {"record_id": 12, "content": "社区助老", "served_on": "2026-11-20", "hours": "3.00",
                           "reason": "当天活动实际为半天，时长请按签到表核实后重新登记", "by": "欧阳建国"},
    "volunteer_objected": {"record_id": 12, "name": "张三", "content": "文明交通劝导", "served_on": "2026-11-20",
                           "reason": "当天本人在外地出差，记录可能有误，请核实签到表"},
    "volunteer_final": {"record_id": 12, "content": "敬老院陪护", "served_on": "2026-11-20", "hours": "4.00"},
    "volunteer_leader_named": {"team_id": 3, "team": "某某社区党群服务中心先锋志愿服务队（青年突击分队）"},
    "digest": {"committee_id": 1, "committee": "某区社会组织综合党委", "week": "2026-W49", "first": "2026-11-23",
               "last": "2026-11-29", "figures": FIGURES},
    "fallback": {"name": "党员丁", "original_id": 3,
                 "text": "【会议通知】12月4日（周五）20:00 召开支部党员大会，地点：三楼。\n"
                         "如不能参加，请回复“请假 事由”。"},
    "mobile_registered": {"name": "张三", "host": "星光社会工作服务中心党支部", "audience": "member"},
    "review_returned": {"round_id": 1, "submission_id": 2, "title": "2026年度党支部书记抓基层党建工作述职评议",
                        "branch_id": 1, "branch": "星光社会工作服务中心党支部", "deadline": "2026-12-15T16:00:00+00:00",
                        "reason": "未说明上年度整改事项的整改情况，请逐项补充说明并附佐证照片"},
}


def _settings() -> Settings:
    return settings_of(load({"WECHAT_TOKEN": "abc", "APP_MODE": "test", "SECRET_KEY": "k"}))


def _data(kind: str, settings: Settings) -> dict[str, dict[str, str]]:
    said = render(kind, PARAMS[kind], settings)
    return template_data(Notice(id=1, kind=kind, text=said.text, fields=said.fields, openid="o"), settings)


def test_every_kind_has_params_here_and_a_template() -> None:
    assert set(PARAMS) == set(notice_wordings())
    assert set(DEFAULT_NOTICE_TEMPLATES) == set(notice_wordings())


@pytest.mark.parametrize("kind", sorted(PARAMS))
def test_every_kind_fills_every_keyword_within_wechats_rules(kind: str) -> None:
    settings = _settings()
    said = render(kind, PARAMS[kind], settings)
    spec = settings["NOTICE_TEMPLATES"][kind]
    assert set(spec["fields"].values()) <= set(said.fields), (kind, said.fields)  # each keyword has its value
    data = _data(kind, settings)
    assert set(data) == set(spec["fields"])
    for name, value in data.items():
        assert keyword_error(name, value["value"]) is None, (kind, name, value)


def test_a_meeting_notice_keeps_the_whole_time_and_the_place() -> None:
    data = _data("meeting_published", _settings())
    assert data["time2"] == {"value": "2026年12月4日 20:00"}
    assert data["thing3"]["value"].startswith("社区党群服务中心三楼") and len(data["thing3"]["value"]) == 20
    assert data["thing1"]["value"].startswith("支部党员大会：学习贯彻")
    changed = _data("meeting_changed", _settings())
    assert changed["time2"] == {"value": "2026年12月4日 20:00"} and changed["time3"] == {"value": "2026年12月3日 19:30"}
    assert _data("meeting_cancelled", _settings())["phrase3"] == {"value": "已取消"}
    assert _data("leave_decided", _settings())["phrase3"] == {"value": "已同意"}
    assert _data("leave_requested", _settings())["name1"] == {"value": "欧阳建国"}


def test_the_digest_carries_its_figures_and_its_week() -> None:
    data = _data("digest", _settings())
    assert data == {"thing1": {"value": "某区社会组织综合党委"}, "thing2": {"value": "11月23日—11月29日"},
                    "thing3": {"value": "开会12次，3个支部未达标"}, "number4": {"value": "2"},
                    "number5": {"value": "4"}}


@pytest.mark.parametrize(("name", "value"), [
    ("thing1", "一" * 21), ("thing1", "两行\n文字"), ("phrase3", "已经同意了"[:5] + "吗"), ("time2", "12月4日20:00"),
    ("time2", "2026-12-04T20:00"), ("date3", "12月4日（周五）"), ("number4", "3条"), ("name1", "名" * 21),
])
def test_the_fake_refuses_what_wechat_refuses(name: str, value: str) -> None:
    fake = FakeWeChat()
    client = fake.app().test_client()
    token = client.get(f"/cgi-bin/token?grant_type=client_credential&appid={fake.appid}&secret={fake.secret}")
    body = {"touser": "o1", "template_id": "T", "data": {name: {"value": value}}}
    access = (token.json or {})["access_token"]
    res = client.post(f"/cgi-bin/message/template/send?access_token={access}", json=body)
    assert (res.json or {})["errcode"] == 47003 and fake.rejected and not fake.inbox


@pytest.mark.parametrize(("name", "value"), [
    ("thing1", "一" * 20), ("phrase3", "已同意"), ("time2", "2026年12月4日 20:00"), ("time2", "20:00"),
    ("date3", "2026年12月4日"), ("number4", "12"), ("time2", "2026年12月4日 20:00~2026年12月4日 21:30"),
])
def test_the_fake_takes_what_wechat_takes(name: str, value: str) -> None:
    assert keyword_error(name, value) is None


@pytest.mark.parametrize("value", [
    '{"meeting_published": {"title": "会议通知", "fields": {"foo1": "meeting"}}}',
    '{"meeting_published": {"title": "会议通知", "fields": {"thing": "meeting"}}}',
    '{"meeting_published": {"fields": {"thing1": ""}}}', '["x"]',
])
def test_bad_notice_templates_fail_at_start(value: str) -> None:
    with pytest.raises(ConfigError, match="NOTICE_TEMPLATES"):
        load({"WECHAT_TOKEN": "abc", "APP_MODE": "test", "NOTICE_TEMPLATES": value})


def test_notice_templates_are_merged_over_the_defaults(app: Flask) -> None:
    cfg = load({"WECHAT_TOKEN": "abc", "APP_MODE": "test", "NOTICE_TEMPLATES":
                '{"meeting_published": {"title": "开会通知", "fields": {"thing2": "meeting", "time5": "time"}}}'})
    assert cfg["NOTICE_TEMPLATES"]["meeting_published"] == {"title": "开会通知",
                                                             "fields": {"thing2": "meeting", "time5": "time"}}
    assert cfg["NOTICE_TEMPLATES"]["digest"] == DEFAULT_NOTICE_TEMPLATES["digest"]
    said = render("meeting_published", PARAMS["meeting_published"], settings_of(cfg))
    data = template_data(Notice(id=1, kind="meeting_published", text=said.text, fields=said.fields, openid="o"),
                         settings_of(cfg))
    assert data["time5"] == {"value": "2026年12月4日 20:00"} and set(data) == {"thing2", "time5"}
