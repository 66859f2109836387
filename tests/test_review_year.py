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


def values(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def cli(runner: Any, *args: str) -> str:
    res = runner.invoke(args=list(args))
    assert res.exit_code == 0, res.output
    return str(res.output)


def test_a_whole_year(app: Flask, db: Session, chat: Chat, runner: Any, clock: FrozenClock, tmp_path: Path) -> None:
    app.config["CLOCK"] = clock
    c = f.committee(db, name="区社会组织综合党委")
    a, b, d = (f.branch(db, c.id, name=n) for n in ("阳光党支部", "星光党支部", "月光党支部"))
    sa = f.secretary(db, a.id, name="李书记", openid="o_sa")
    sb = f.secretary(db, b.id, name="王书记", openid="o_sb")
    f.secretary(db, d.id, name="赵书记", openid="o_sd", phone="13900000003")
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
    assert chat.say("o_r1", "评议 星光党支部 差") == "已评议星光党支部：差。"
    assert chat.say("o_r1", "评议 星光党支部 好").startswith("已将您对星光党支部的评议由“差”改为“好”")
    chat.say("o_r2", "评议 阳光党支部 好")
    chat.say("o_r2", "评议 星光党支部 较好 问题：发展党员程序不规范；党费台账缺失")
    chat.say("o_r3", "评议 阳光党支部 较好")
    chat.say("o_r3", "评议 星光党支部 较好 材料翔实")
    chat.say("o_r4", "评议 阳光党支部 好")
    graded = chat.say("o_r4", "评议 星光党支部 一般 问题：组织生活会记录不全")
    assert graded.startswith("已评议星光党支部：一般。已列入整改台账1项")
    # the admin names a problem without grading (an item of 阳光党支部, owned by its secretary)
    named = chat.say("o_admin", "评议 阳光党支部 问题：三会一课记录不完整")
    assert named.startswith("已将阳光党支部的1个问题列入整改台账")
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
    sub_a, sub_b = (next(s for s in rows(db, ReviewSubmission) if s.branch_id == x.id) for x in (a, b))
    assert [(i.problem, i.source, i.source_id, i.owner_id, i.deadline) for i in items] == [
        ("发展党员程序不规范", "review", sub_b.id, sb.id, date(2027, 3, 16)),
        ("党费台账缺失", "review", sub_b.id, sb.id, date(2027, 3, 16)),
        ("组织生活会记录不全", "review", sub_b.id, sb.id, date(2027, 3, 16)),
        ("三会一课记录不完整", "review", sub_a.id, sa.id, date(2027, 3, 16))]
    first, second, third, fourth = (i.id for i in items)
    # a problem found by a 检查, added by the CLI for 月光党支部 (another sheet; due after the year's end)
    fifth = int(cli(runner, "ledger", "add", "--branch", str(d.id), "--source", "检查", "--problem", "党员档案未归档",
                    "--deadline", "2027-06-30", "--category", "组织建设", "--owner", "13900000003").split()[-1])

    # -- the owners answer with photos; the admin closes two and returns one -------------------------------------
    clock.set(datetime(2027, 1, 10, 10, 0, tzinfo=SH))
    for item_id in (first, second):
        chat.say("o_sb", f"整改 {item_id} 已完成 已按要求整改")
        chat.send(wxxml.image("o_sb", f"MEDIA_{item_id}"))
        chat.say("o_sb", "提交")
    chat.say("o_sa", f"整改 {fourth} 已补齐2026年三会一课记录")
    chat.say("o_sa", f"整改 {fourth} 已完成 记录已装订成册")
    for n in (1, 2):
        chat.send(wxxml.image("o_sa", f"MEDIA_A{n}"))
    chat.say("o_sa", "提交")
    assert [i.status for i in rows(db, RectificationItem)] == ["awaiting_verification", "awaiting_verification",
                                                              "pending", "awaiting_verification", "pending"]
    chat.say("o_admin", f"销号 {first}")
    clock.set(datetime(2027, 1, 12, 15, 0, tzinfo=SH))
    chat.say("o_admin", f"销号 {fourth}")
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
    # five items: two closed, three open of which two (#second, #third) are past 2027-03-16
    figures = json.loads(cli(runner, "ledger", "figures", "--committee", str(c.id), "--json"))
    assert figures == {"total": 5, "open": 3, "overdue": 2, "closed": 2, "rate": 0.4}

    # -- the exports, read back ----------------------------------------------------------------------------------
    review_xlsx, ledger_xlsx = tmp_path / "review.xlsx", tmp_path / "ledger.xlsx"
    cli(runner, "export", "review", str(rid), "--out", str(review_xlsx))
    book = load_workbook(review_xlsx)
    assert book.sheetnames == ["评议汇总", "各支部评议情况"]
    assert values(book["评议汇总"]) == [
        ("轮次", "年度", "状态", "已评议", "现场述职", "书面述职", "好", "较好", "一般", "差"),
        ("2026年度党支部书记抓基层党建工作述职评议", 2026, "已结束", 2, 1, 1, 1, 1, 0, 0)]
    # 阳光: 好 (r2, r4), 较好 (r3) -> 好; 星光: 好 (r1, replacing 差), 较好 (r2, r3), 一般 (r4) -> 较好
    assert values(book["各支部评议情况"]) == [
        ("支部编号", "支部", "述职方式", "状态", "好", "较好", "一般", "差", "评议结果", "评议人意见"),
        (a.id, "阳光党支部", "现场述职", "已评议", 2, 1, 0, 0, "好", "评议人2：好；评议人3：较好；评议人4：好"),
        (b.id, "星光党支部", "书面述职", "已评议", 1, 2, 1, 0, "较好",
         "评议人1：好；评议人2：较好；评议人3：较好（材料翔实）；评议人4：一般"),
        (d.id, "月光党支部", "书面述职", "未提交", 0, 0, 0, 0, None, None)]

    cli(runner, "export", "ledger", "--committee", str(c.id), "--out", str(ledger_xlsx))
    wb = load_workbook(ledger_xlsx)
    assert wb.sheetnames == ["述职评议", "年检", "检查", "巡察", "汇总"]
    found = datetime(2026, 12, 16)
    due = datetime(2027, 3, 16)
    assert values(wb["述职评议"]) == [
        ("序号", "单位", "问题来源", "问题类别", "发现时间", "问题", "整改措施", "责任人", "整改时限", "状态",
         "完成情况", "佐证材料", "验收人", "销号日期"),
        (first, "星光党支部", "述职评议", None, found, "发展党员程序不规范", None, "王书记", due, "已销号",
         None, "已按要求整改；照片1张", "管理员甲", datetime(2027, 1, 10)),
        (second, "星光党支部", "述职评议", None, found, "党费台账缺失", None, "王书记", due, "整改中（逾期）",
         None, "已按要求整改；照片1张", None, None),
        (third, "星光党支部", "述职评议", None, found, "组织生活会记录不全", None, "王书记", due, "待整改（逾期）",
         None, None, None, None),
        (fourth, "阳光党支部", "述职评议", None, found, "三会一课记录不完整", "已补齐2026年三会一课记录", "李书记", due,
         "已销号", None, "记录已装订成册；照片2张", "管理员甲", datetime(2027, 1, 12))]
    assert values(wb["检查"]) == [
        values(wb["述职评议"])[0],
        (fifth, "月光党支部", "检查", "组织建设", found, "党员档案未归档", None, "赵书记", datetime(2027, 6, 30),
         "待整改", None, None, None, None)]
    assert len(values(wb["年检"])) == len(values(wb["巡察"])) == 1  # the headers only
    assert values(wb["汇总"]) == [
        ("类别", "名称", "问题总数", "未销号", "逾期", "已销号", "整改率"),
        ("合计", "区社会组织综合党委", 5, 3, 2, 2, 0.4),
        ("问题来源", "述职评议", 4, 2, 2, 2, 0.5),
        ("问题来源", "年检", 0, 0, 0, 0, None),
        ("问题来源", "检查", 1, 1, 0, 0, 0.0),
        ("问题来源", "巡察", 0, 0, 0, 0, None),
        ("单位", "阳光党支部", 1, 0, 0, 1, 1.0),
        ("单位", "星光党支部", 3, 2, 2, 1, 0.3333),
        ("单位", "月光党支部", 1, 1, 0, 0, 0.0)]
    assert wb["汇总"]["G2"].number_format == "0.00%"

    # -- next year: the open items must be answered by number ------------------------------------------------------
    clock.set(datetime(2027, 11, 20, 9, 0, tzinfo=SH))
    cli(runner, "review", "open", "--committee", str(c.id), "--year", "2027", "--deadline", "2027-12-15",
        "--reviewer", "13500000002")
    prompt = chat.say("o_sb", "述职")
    assert f"#{second} 党费台账缺失" in prompt and f"#{third} 组织生活会记录不全" in prompt
    assert f"#{first} " not in prompt
    assert "上年度以下整改事项尚未销号" not in chat.say("o_sa", "述职")  # 阳光's only item is closed
    chat.say("o_sb", f"2027年述职。第{second}项已重新整改。")
    assert chat.say("o_sb", "提交").startswith(f"报告还没有说明上年度整改事项 #{third} ")
    chat.say("o_sb", f"#{third} 组织生活会记录已规范。")
    assert chat.say("o_sb", "提交").startswith("述职报告已提交（")
