"""述职评议's notices on their way to a phone: the reminders 7 and 1 days before the deadline to the secretaries
whose report is not in, once each however often the sweeps run, never in quiet hours; a returned report told
to its secretary (in the morning if returned at night); every one through the fake WeChat's template rules with
long names, its link opening the whole text."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.orm import Session

from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from tests import factories as f
from tests.conftest import Chat
from tests.sched_util import L, Sent, step

LONG = "某某市某某区星光社会工作服务中心联合党支部"  # 21 characters: longer than a template's thing field
REASON = "未说明上年度整改事项的整改情况，请逐项补充说明并附佐证照片，另请补充党员发展和党费收缴情况"


def test_reminders_and_a_returned_report_reach_the_secretaries_once_and_never_at_night(
        app: Flask, db: Session, chat: Chat, runner: Any, clock: FrozenClock, fake_wx: FakeWeChat) -> None:
    app.config["CLOCK"] = clock
    c = f.committee(db, name="某某市某某区社会组织综合党委")
    a, b, d = (f.branch(db, c.id, name=n) for n in ("阳光" + LONG, "星光" + LONG, "月光" + LONG))
    f.secretary(db, a.id, name="欧阳书记甲", openid="o_sa")
    f.secretary(db, b.id, name="欧阳书记乙", openid="o_sb")
    f.secretary(db, d.id, name="欧阳书记丙", openid="o_sd")
    f.admin(db, c.id, name="管理员", openid="o_admin")
    clock.set(L(2026, 12, 1, 10))
    res = runner.invoke(args=["review", "open", "--committee", str(c.id), "--year", "2026",
                              "--deadline", "2026-12-15"])
    assert res.exit_code == 0, res.output

    def submit(openid: str) -> None:
        chat.say(openid, "述职")
        chat.say(openid, "2026年度述职报告。")
        assert chat.say(openid, "提交").startswith("述职报告已提交（")

    events: dict[datetime, Callable[[], object]] = {L(2026, 12, 7, 5): lambda: submit("o_sa"),
              L(2026, 12, 9, 23, 30): lambda: chat.say("o_admin", f"退回述职 阳光{LONG} {REASON}"),
              L(2026, 12, 10, 10): lambda: submit("o_sb")}
    sent: list[Sent] = []
    at = L(2026, 12, 7, 0)
    while at <= L(2026, 12, 16, 3):
        for when, event in events.items():
            if at < when <= at + timedelta(hours=1):
                clock.set(when)
                event()
        sent += step(app, clock, at)
        at += timedelta(hours=1)
    mine = [(s.at, s.to, s.kind, s.channel) for s in sent if s.kind.startswith("review")]
    assert mine == [
        ("12-08 09:00", "欧阳书记乙", "review_due", "template"),  # 7 days before; 阳光 has submitted
        ("12-08 09:00", "欧阳书记丙", "review_due", "template"),
        ("12-10 08:00", "欧阳书记甲", "review_returned", "template"),  # returned at 23:30: the morning after
        ("12-14 09:00", "欧阳书记甲", "review_due", "template"),  # 1 day before: returned, not resubmitted
        ("12-14 09:00", "欧阳书记丙", "review_due", "template")]
    returned = next(s for s in sent if s.kind == "review_returned")
    assert returned.text == (f"您提交的2026年度党支部书记抓基层党建工作述职评议（阳光{LONG}）已被退回，理由：{REASON}。"
                             "请在12月15日前修改后回复“提交”。")
    due = [s for s in sent if s.kind == "review_due"]
    assert "还有7天" in due[0].text and f"星光{LONG}" in due[0].text
    assert "还有1天" in due[2].text and f"阳光{LONG}" in due[2].text

    # every template message passed the fake's rules (it refuses what WeChat refuses); its link shows it all
    [item] = [i for i in fake_wx.inbox["o_sa"] if i["data"]["thing1"]["value"] == "述职报告被退回"]
    assert all(len(v["value"]) <= 20 for k, v in item["data"].items() if k.startswith("thing"))
    parts = urlsplit(str(item["url"]))
    page = app.test_client().get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200 and REASON in page.get_data(as_text=True)
    assert f"阳光{LONG}" in page.get_data(as_text=True)
