"""A whole year of 述职评议 and its 整改 through the webhook and the CLI: a round opens; three secretaries
submit (one late and refused, one returned and resubmitted); four reviewers grade (one tries their own
branch); the problems they name become ledger items; the owner answers them with photos; the admin closes one
and returns one; one goes overdue and is flagged; both exports are read back; next year's round shows the open
items to the secretary and refuses a report that does not answer them."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import settings_of
from bot.infra.clock import FrozenClock
from bot.models import Notification, RectificationItem, ReviewSubmission
from scheduler.sweeps.rectification import sweep_rectification
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")


def rows(db: Session, model: Any, *where: Any) -> list[Any]:
    found: list[Any] = list(db.scalars(select(model).where(*where).order_by(model.id)
                                       .execution_options(populate_existing=True)))
    db.commit()
    return found


def cli(runner: Any, *args: str) -> str:
    res = runner.invoke(args=list(args))
    assert res.exit_code == 0, res.output
    return str(res.output)


def test_a_whole_year(app: Flask, db: Session, chat: Chat, runner: Any, clock: FrozenClock, tmp_path: Path) -> None:
    app.config["CLOCK"] = clock
    c = f.committee(db, name="区社会组织综合党委")
    a, b, d = (f.branch(db, c.id, name=n) for n in ("阳光党支部", "星光党支部", "月光党支部"))
    f.secretary(db, a.id, name="李书记", openid="o_sa")
    sb = f.secretary(db, b.id, name="王书记", openid="o_sb")
    f.secretary(db, d.id, name="赵书记", openid="o_sd")
    admin = f.admin(db, c.id, name="管理员甲", openid="o_admin")
    for i, branch in enumerate((a.id, None, None, None)):
        f.member(db, branch, name=f"评议人{i + 1}", openid=f"o_r{i + 1}", phone=f"1350000000{i + 1}")

    out = cli(runner, "review", "open", "--committee", str(c.id), "--year", "2026", "--deadline", "2026-12-15",
              "--onsite", str(a.id), "--reviewer", "13500000001,13500000002", "--reviewer", "13500000003",
              "--reviewer", "13500000004")
    rid = int(out.split()[-1])

    # -- three secretaries: one submits, one is returned and resubmits, one is late ------------------------
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=SH))
    for openid, text in (("o_sa", "阳光党支部2026年述职。"), ("o_sb", "星光党支部2026年述职。")):
        chat.say(openid, "述职")
        chat.say(openid, text)
        assert chat.say(openid, "提交").startswith("述职报告已提交（")
    assert chat.say("o_admin", "退回述职 星光党支部 未说明党员发展情况").startswith("已退回星光党支部的述职报告")
    chat.say("o_sb", "述职")
    chat.say("o_sb", "补充：党员发展情况。")
    assert chat.say("o_sb", "提交").startswith("述职报告已提交（")
    chat.say("o_sd", "述职")
    chat.say("o_sd", "月光党支部述职。")
    clock.set(datetime(2026, 12, 16, 9, 0, tzinfo=SH))
    assert chat.say("o_sd", "提交").startswith("述职报告已于12月15日截止")

    # -- four reviewers grade; the problems become ledger items ------------------------------------------------
    assert chat.say("o_r1", "评议 阳光党支部 好") == "不能评议本人所在支部（阳光党支部）的述职报告。"
    assert chat.say("o_r1", "评议 月光党支部 好").startswith("该述职报告当前状态为“未提交”")
    chat.say("o_r1", "评议 星光党支部 好")
    chat.say("o_r2", "评议 阳光党支部 好")
    chat.say("o_r2", "评议 星光党支部 较好 问题：发展党员程序不规范；党费台账缺失")
    chat.say("o_r3", "评议 阳光党支部 较好")
    chat.say("o_r3", "评议 星光党支部 较好")
    chat.say("o_r4", "评议 阳光党支部 好")
    graded = chat.say("o_r4", "评议 星光党支部 一般 问题：组织生活会记录不全")
    assert graded.startswith("已评议星光党支部：一般。已列入整改台账1项")
    cli(runner, "review", "close", str(rid))
    assert json.loads(cli(runner, "review", "results", str(rid), "--json")) == {
        "reviewed": 2, "onsite": 1, "written": 1, "grades": {"好": 1, "较好": 1, "一般": 0, "差": 0},
        "reports": [
            {"branch_id": a.id, "status": "reviewed", "grades": {"好": 2, "较好": 1, "一般": 0, "差": 0},
             "final_grade": "好"},
            {"branch_id": b.id, "status": "reviewed", "grades": {"好": 1, "较好": 2, "一般": 1, "差": 0},
             "final_grade": "较好"},
            {"branch_id": d.id, "status": "not_submitted", "grades": {"好": 0, "较好": 0, "一般": 0, "差": 0},
             "final_grade": None}]}
    items = rows(db, RectificationItem)
    sub_b = next(s for s in rows(db, ReviewSubmission) if s.branch_id == b.id)
    assert [(i.problem, i.source, i.source_id, i.owner_id, i.deadline) for i in items] == [
        ("发展党员程序不规范", "review", sub_b.id, sb.id, date(2027, 3, 16)),
        ("党费台账缺失", "review", sub_b.id, sb.id, date(2027, 3, 16)),
        ("组织生活会记录不全", "review", sub_b.id, sb.id, date(2027, 3, 16))]
    first, second, third = (i.id for i in items)

    # -- the owner answers with photos; the admin closes one and returns one ---------------------------------------
    clock.set(datetime(2027, 1, 10, 10, 0, tzinfo=SH))
    for item_id in (first, second):
        chat.say("o_sb", f"整改 {item_id} 已完成 已按要求整改")
        chat.send(wxxml.image("o_sb", f"MEDIA_{item_id}"))
        chat.say("o_sb", "提交")
    assert [i.status for i in rows(db, RectificationItem)] == ["awaiting_verification", "awaiting_verification",
                                                              "pending"]
    chat.say("o_admin", f"销号 {first}")
    chat.say("o_admin", f"退回整改 {second} 佐证照片不清晰")
    items = rows(db, RectificationItem)
    assert items[0].status == "closed" and items[0].verifier_id == admin.id
    assert items[1].status != "closed" and items[1].return_reason == "佐证照片不清晰"

    # -- past the deadline: the open ones are overdue and flagged --------------------------------------------------
    clock.set(datetime(2027, 3, 17, 9, 0, tzinfo=SH))
    with app.extensions["db"].transaction() as s:
        sweep_rectification(s, datetime(2027, 3, 17, 9, 0, tzinfo=SH), settings_of(app.config))
    flagged = rows(db, Notification, Notification.kind == "rectification_overdue")
    assert {n.subject_id for n in flagged} == {second, third}
    assert {n.recipient_id for n in flagged} == {sb.id, admin.id}
    figures = json.loads(cli(runner, "ledger", "figures", "--committee", str(c.id), "--json"))
    assert figures == {"total": 3, "open": 2, "overdue": 2, "closed": 1, "rate": 0.3333}

    # -- the exports, read back ----------------------------------------------------------------------------------
    review_xlsx, ledger_xlsx = tmp_path / "review.xlsx", tmp_path / "ledger.xlsx"
    cli(runner, "export", "review", str(rid), "--out", str(review_xlsx))
    summary = list(load_workbook(review_xlsx)["评议汇总"].iter_rows(values_only=True))
    assert list(summary[1])[3:] == [2, 1, 1, 1, 1, 0, 0]
    cli(runner, "export", "ledger", "--committee", str(c.id), "--out", str(ledger_xlsx))
    wb = load_workbook(ledger_xlsx)
    assert "述职评议" in wb.sheetnames
    cells = [str(v) for row in wb["述职评议"].iter_rows(values_only=True) for v in row if v is not None]
    assert {"发展党员程序不规范", "党费台账缺失", "组织生活会记录不全"} <= set(cells)

    # -- next year: the open items must be answered by number ------------------------------------------------------
    clock.set(datetime(2027, 11, 20, 9, 0, tzinfo=SH))
    cli(runner, "review", "open", "--committee", str(c.id), "--year", "2027", "--deadline", "2027-12-15",
        "--reviewer", "13500000002")
    prompt = chat.say("o_sb", "述职")
    assert f"#{second} 党费台账缺失" in prompt and f"#{third} 组织生活会记录不全" in prompt
    assert f"#{first} " not in prompt
    chat.say("o_sb", f"2027年述职。第{second}项已重新整改。")
    assert chat.say("o_sb", "提交").startswith(f"报告还没有说明上年度整改事项 #{third} ")
    chat.say("o_sb", f"#{third} 组织生活会记录已规范。")
    assert chat.say("o_sb", "提交").startswith("述职报告已提交（")
