"""述职评议 by the operator's CLI: `review open | close | results [--json]`, `export review` (read back with
openpyxl); the reminders before the deadline through the sweep; concurrent copies of one grade."""

from __future__ import annotations

import json
import threading
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.config import settings_of
from bot.infra.clock import FrozenClock
from bot.models import Notification, RectificationItem, ReviewGrade, ReviewReviewer, ReviewRound, ReviewSubmission
from bot.texts import render
from bot.texts import review as T
from scheduler.sweeps.review import sweep_review
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")


def rows(db: Session, model: Any, *where: Any) -> list[Any]:
    found: list[Any] = list(db.scalars(select(model).where(*where).order_by(model.id)
                                       .execution_options(populate_existing=True)))
    db.commit()
    return found


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    c = f.committee(db, name="区社会组织综合党委")
    below = f.committee(db, name="区物流行业党委", parent_id=c.id)
    other = f.committee(db, name="区教育党委")
    a = f.branch(db, c.id, name="阳光党支部")
    b = f.branch(db, c.id, name="星光党支部")
    d = f.branch(db, below.id, name="物流协会党支部")
    general = f.branch(db, c.id, name="联合党总支", level="general_branch")
    far = f.branch(db, other.id, name="学校党支部")
    secs = {"a": f.secretary(db, a.id, name="李书记", openid="o_sa"),
            "b": f.secretary(db, b.id, name="王书记", openid="o_sb"),
            "d": f.secretary(db, d.id, name="赵书记", openid="o_sd")}
    reviewers = [f.member(db, a.id if i == 0 else None, name=f"评议人{i + 1}", openid=f"o_r{i + 1}",
                          phone=f"1360000000{i + 1}") for i in range(4)]
    f.admin(db, c.id, name="管理员甲", openid="o_admin")
    return {"c": c, "below": below, "other": other, "a": a, "b": b, "d": d, "general": general, "far": far,
            "secs": secs, "reviewers": reviewers}


def invoke(runner: Any, *args: str) -> Any:
    return runner.invoke(args=list(args))


def open_ok(runner: Any, world: dict[str, Any], *extra: str) -> int:
    res = invoke(runner, "review", "open", "--committee", str(world["c"].id), "--year", "2026",
                 "--deadline", "2026-12-15", *extra)
    assert res.exit_code == 0, res.output
    return int(res.output.split()[-1])


def test_open_defaults_to_every_branch_of_the_subtree(runner: Any, db: Session, world: dict[str, Any]) -> None:
    a, b, d = world["a"], world["b"], world["d"]
    res = invoke(runner, "review", "open", "--committee", str(world["c"].id), "--year", "2026",
                 "--deadline", "2026-12-15", "--onsite", f"{a.id},{d.id}", "--reviewer", "13600000001",
                 "--reviewer", "13600000002, 13600000003")
    assert res.exit_code == 0, res.output
    rid = int(res.output.split()[-1])
    assert res.output.strip() == ("已开启2026年度述职评议：3个支部述职（现场2个），评议人3人，等次 好/较好/一般/差，"
                                  f"截止12月15日。轮次编号 {rid}")
    [rnd] = rows(db, ReviewRound)
    assert (rnd.committee_id, rnd.year, rnd.status, rnd.scale) == (world["c"].id, 2026, "open", "好/较好/一般/差")
    assert rnd.deadline.replace(tzinfo=None) == datetime(2026, 12, 15, 16, 0)  # the end of 12-15 in Shanghai
    subs = rows(db, ReviewSubmission)
    assert [(s.branch_id, s.mode, s.status, s.secretary_id) for s in subs] == [
        (a.id, "onsite", "not_submitted", world["secs"]["a"].id), (b.id, "written", "not_submitted",
                                                                   world["secs"]["b"].id),
        (d.id, "onsite", "not_submitted", world["secs"]["d"].id)]
    assert [r.member_id for r in rows(db, ReviewReviewer)] == [m.id for m in world["reviewers"][:3]]


@pytest.mark.parametrize(("extra", "message"), [
    (("--reviewer", "13699999999"), "没有找到手机号为 136****9999 的党员"),
    (("--reviewer", "12345"), "评议人手机号“12345”格式不正确"),
    (("--scale", "好"), "评议等次“好”无法识别"),
    (("--onsite", "FAR"), "现场述职的支部 #FAR 不在本轮述职的支部之中"),
    (("--branch", "FAR"), "不在该党委管辖范围内"),
])
def test_open_refusals_write_nothing(runner: Any, db: Session, world: dict[str, Any], extra: tuple[str, ...],
                                     message: str) -> None:
    args = [x.replace("FAR", str(world["far"].id)) for x in extra]
    res = invoke(runner, "review", "open", "--committee", str(world["c"].id), "--year", "2026",
                 "--deadline", "2026-12-15", *args)
    assert res.exit_code == 1 and message.replace("FAR", str(world["far"].id)) in res.output, res.output
    assert rows(db, ReviewRound) == [] and rows(db, ReviewSubmission) == [] and rows(db, ReviewReviewer) == []


def test_open_refuses_a_past_deadline_a_second_round_and_bad_options(runner: Any, db: Session,
                                                                       world: dict[str, Any]) -> None:
    past = invoke(runner, "review", "open", "--committee", str(world["c"].id), "--year", "2026",
                  "--deadline", "2026-11-22")
    assert past.exit_code == 1 and "截止日期 11月22日 已经过去" in past.output
    bad = invoke(runner, "review", "open", "--committee", str(world["c"].id), "--year", "2026",
                 "--deadline", "15/12/2026")
    assert bad.exit_code == 2
    nobody = invoke(runner, "review", "open", "--committee", "999", "--year", "2026", "--deadline", "2026-12-15")
    assert nobody.exit_code == 1
    rid = open_ok(runner, world)
    again = invoke(runner, "review", "open", "--committee", str(world["c"].id), "--year", "2026",
                   "--deadline", "2026-12-20")
    assert again.exit_code == 1 and f"该党委2026年度的述职评议已经开启（编号 {rid}），不能重复开启。" in again.output
    assert len(rows(db, ReviewRound)) == 1
    missing = invoke(runner, "review", "results", "999")
    assert missing.exit_code == 1 and "没有找到编号为 999 的述职评议" in missing.output


def _grades(db: Session, rid: int, given: dict[str, list[str | None]], reviewers: list[Any]) -> None:
    """Mark each branch's report submitted and record the reviewers' grades (None: that reviewer did not)."""
    subs = {s.branch_id: s for s in rows(db, ReviewSubmission, ReviewSubmission.round_id == rid)}
    for branch_id, grades in given.items():
        sub = subs[int(branch_id)]
        sub.status, sub.text, sub.submitted_at = "submitted", "述职报告", datetime(2026, 12, 1, tzinfo=SH)
        for reviewer, grade in zip(reviewers, grades, strict=False):
            if grade is not None:
                db.add(ReviewGrade(submission_id=sub.id, reviewer_id=reviewer.id, grade=grade, comment="意见"))
    db.commit()


def test_results_json_export_and_close_match_hand_computed_numbers(runner: Any, db: Session, tmp_path: Path,
                                                                   world: dict[str, Any]) -> None:
    a, b, d = world["a"], world["b"], world["d"]
    rid = open_ok(runner, world, "--onsite", str(a.id), "--reviewer", "13600000002,13600000003,13600000004")
    r2, r3, r4 = world["reviewers"][1:]
    # 阳光 (on site): 好 好 较好 -> 好; 星光 (written): 较好 一般 -> tie -> 一般; 物流 not submitted
    _grades(db, rid, {a.id: ["好", "好", "较好"], b.id: ["较好", "一般", None]}, [r2, r3, r4])
    res = invoke(runner, "review", "results", str(rid), "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {
        "reviewed": 2, "onsite": 1, "written": 1, "grades": {"好": 1, "较好": 0, "一般": 1, "差": 0},
        "reports": [
            {"branch_id": a.id, "status": "submitted", "grades": {"好": 2, "较好": 1, "一般": 0, "差": 0},
             "final_grade": "好"},
            {"branch_id": b.id, "status": "submitted", "grades": {"好": 0, "较好": 1, "一般": 1, "差": 0},
             "final_grade": "一般"},
            {"branch_id": d.id, "status": "not_submitted", "grades": {"好": 0, "较好": 0, "一般": 0, "差": 0},
             "final_grade": None}]}
    text = invoke(runner, "review", "results", str(rid))
    assert "已评议2份，现场1，书面1；好1，较好0，一般1，差0" in text.output
    assert f"#{a.id} 阳光党支部｜现场述职｜已提交｜好2，较好1，一般0，差0｜结果：好" in text.output

    closed = invoke(runner, "review", "close", str(rid))
    assert closed.exit_code == 0, closed.output
    after = json.loads(invoke(runner, "review", "results", str(rid), "--json").output)
    assert [r["status"] for r in after["reports"]] == ["reviewed", "reviewed", "not_submitted"]
    assert after["grades"] == {"好": 1, "较好": 0, "一般": 1, "差": 0}

    out = tmp_path / "review.xlsx"
    exported = invoke(runner, "export", "review", str(rid), "--out", str(out))
    assert exported.exit_code == 0, exported.output
    assert exported.output.strip() == f"已导出述职评议 #{rid}：3份报告，写入 {out}"
    wb = load_workbook(out)
    assert wb.sheetnames == ["评议汇总", "各支部评议情况"]
    summary = [list(r) for r in wb["评议汇总"].iter_rows(values_only=True)]
    assert summary == [["轮次", "年度", "状态", "已评议", "现场述职", "书面述职", "好", "较好", "一般", "差"],
                       ["2026年度党支部书记抓基层党建工作述职评议", 2026, "已结束", 2, 1, 1, 1, 0, 1, 0]]
    reports = [list(r) for r in wb["各支部评议情况"].iter_rows(values_only=True)]
    assert reports[0] == ["支部编号", "支部", "述职方式", "状态", "好", "较好", "一般", "差", "评议结果", "评议人意见"]
    assert reports[1] == [a.id, "阳光党支部", "现场述职", "已评议", 2, 1, 0, 0, "好",
                          "评议人2：好（意见）；评议人3：好（意见）；评议人4：较好（意见）"]
    assert reports[2][:9] == [b.id, "星光党支部", "书面述职", "已评议", 0, 1, 1, 0, "一般"]
    assert reports[3][:9] == [d.id, "物流协会党支部", "书面述职", "未提交", 0, 0, 0, 0, None]
    missing = invoke(runner, "export", "review", "999", "--out", str(tmp_path / "x.xlsx"))
    assert missing.exit_code == 1 and not (tmp_path / "x.xlsx").exists()


@pytest.mark.parametrize("config_overrides", [{"REVIEW_TIE_RULE": "higher"}])
def test_a_tie_goes_up_when_the_setting_says_so(runner: Any, db: Session, world: dict[str, Any]) -> None:
    rid = open_ok(runner, world, "--reviewer", "13600000002,13600000003")
    _grades(db, rid, {world["b"].id: ["较好", "一般"]}, world["reviewers"][1:3])
    out = json.loads(invoke(runner, "review", "results", str(rid), "--json").output)
    assert out["reports"][1]["final_grade"] == "较好"


def test_reminders_go_to_secretaries_whose_report_is_not_in(app: Flask, runner: Any, db: Session,
                                                            world: dict[str, Any]) -> None:
    rid = open_ok(runner, world)
    subs = {s.branch_id: s for s in rows(db, ReviewSubmission)}
    subs[world["a"].id].status, subs[world["a"].id].submitted_at = "submitted", datetime(2026, 12, 1, tzinfo=SH)
    subs[world["b"].id].status, subs[world["b"].id].return_reason = "returned", "请补充"
    db.commit()
    settings = settings_of(app.config)
    with app.extensions["db"].transaction() as s:
        assert sweep_review(s, datetime(2026, 12, 7, 9, 0, tzinfo=SH), settings) == 0  # 8 days before: none
    with app.extensions["db"].transaction() as s:
        assert sweep_review(s, datetime(2026, 12, 8, 9, 0, tzinfo=SH), settings) == 2
    with app.extensions["db"].transaction() as s:
        assert sweep_review(s, datetime(2026, 12, 8, 10, 0, tzinfo=SH), settings) == 0  # once per step
    sent = rows(db, Notification, Notification.kind == "review_due")
    assert sorted(n.recipient_id for n in sent) == sorted([world["secs"]["b"].id, world["secs"]["d"].id])
    said = render("review_due", sent[0].payload, settings).text
    assert "还有7天" in said and "12月15日23:59" in said and "尚未提交述职报告" in said
    with app.extensions["db"].transaction() as s:
        assert sweep_review(s, datetime(2026, 12, 14, 9, 0, tzinfo=SH), settings) == 2
    assert {n.slot for n in rows(db, Notification, Notification.kind == "review_due")} == {"d7", "d1"}
    assert rid


def test_the_year_of_a_final_grade(runner: Any, db: Session, world: dict[str, Any]) -> None:
    from bot.services.review.rounds import final_grade_of

    rid = open_ok(runner, world, "--reviewer", "13600000002")
    _grades(db, rid, {world["b"].id: ["差"]}, world["reviewers"][1:2])
    assert invoke(runner, "review", "close", str(rid)).exit_code == 0
    assert final_grade_of(db, world["b"].id, 2026) == "差"
    assert final_grade_of(db, world["a"].id, 2026) is None
    db.commit()


# -- concurrent copies of one grade ---------------------------------------------------------------------
def race(app: Flask, openid: str, texts: list[str]) -> list[str]:
    replies: dict[int, str] = {}
    barrier = threading.Barrier(len(texts))

    def go(i: int) -> None:
        chat = Chat(app.test_client(), app)
        xml = wxxml.text(openid, texts[i])
        barrier.wait()
        reply = chat.send(xml)
        replies[i] = "" if reply is None else str(reply.get("Content", ""))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(replies) == len(texts), "a request did not finish"
    return [replies[i] for i in range(len(texts))]


def test_concurrent_copies_of_one_grade_keep_one_row(app: Flask, runner: Any, db: Session,
                                                     world: dict[str, Any]) -> None:
    if "postgresql" not in str(app.config["DATABASE_URL"]):
        pytest.skip("a race needs PostgreSQL (SQLite serializes every writer)")
    rid = open_ok(runner, world, "--reviewer", "13600000002")
    [sub] = [s for s in rows(db, ReviewSubmission) if s.branch_id == world["b"].id]
    sub.status, sub.text, sub.submitted_at = "submitted", "报告", datetime(2026, 12, 1, tzinfo=SH)
    db.commit()
    n = 8
    replies = race(app, "o_r2", ["评议 星光党支部 好"] * n)
    assert replies.count("已评议星光党支部：好。") == 1, replies
    assert all(r in ("已评议星光党支部：好。", T.GRADED_SAME.format(branch="星光党支部", grade="好"))
               for r in replies), replies
    [grade] = rows(db, ReviewGrade)
    assert (grade.reviewer_id, grade.grade) == (world["reviewers"][1].id, "好")
    assert rid and date(2026, 12, 1)


def test_concurrent_copies_of_submit_and_return_act_once(app: Flask, runner: Any, db: Session,
                                                         world: dict[str, Any]) -> None:
    if "postgresql" not in str(app.config["DATABASE_URL"]):
        pytest.skip("a race needs PostgreSQL (SQLite serializes every writer)")
    open_ok(runner, world)
    chat = Chat(app.test_client(), app)
    chat.say("o_sb", "述职")
    chat.say("o_sb", "星光党支部述职。")
    replies = race(app, "o_sb", ["提交"] * 6)
    assert sum(r.startswith("述职报告已提交（") for r in replies) == 1, replies
    [sub] = [s for s in rows(db, ReviewSubmission) if s.branch_id == world["b"].id]
    assert sub.status == "submitted" and sub.text == "星光党支部述职。"
    replies = race(app, "o_admin", ["退回述职 星光党支部 请补充"] * 6)
    assert sum(r.startswith("已退回星光党支部的述职报告") for r in replies) == 1, replies
    assert len(rows(db, Notification, Notification.kind == "review_returned")) == 1
    [sub] = [s for s in rows(db, ReviewSubmission) if s.branch_id == world["b"].id]
    assert (sub.status, sub.return_reason) == ("returned", "请补充")


# -- bad input, found by QA ------------------------------------------------------------------------------------
def test_ids_and_phones_typed_full_width_are_read(runner: Any, db: Session, world: dict[str, Any]) -> None:
    def wide(text: str) -> str:
        return text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))

    rid = open_ok(runner, world, "--onsite", f"＃{wide(str(world['a'].id))}", "--reviewer", wide("13600000002"))
    [reviewer] = rows(db, ReviewReviewer, ReviewReviewer.round_id == rid)
    assert reviewer.member_id == world["reviewers"][1].id
    modes = {s.branch_id: s.mode for s in rows(db, ReviewSubmission)}
    assert modes[world["a"].id] == "onsite" and modes[world["b"].id] == "written"


@pytest.mark.parametrize(("option", "value"), [("--branch", "-3"), ("--onsite", "abc"), ("--branch", "1.5")])
def test_a_bad_branch_id_is_a_usage_error_naming_its_option(runner: Any, db: Session, world: dict[str, Any],
                                                            option: str, value: str) -> None:
    res = invoke(runner, "review", "open", "--committee", str(world["c"].id), "--year", "2026",
                 "--deadline", "2026-12-15", option, value)
    assert res.exit_code == 2 and f"Invalid value for {option}" in res.output, res.output
    assert rows(db, ReviewRound) == []


@pytest.mark.parametrize("args", [("review", "close", "99999999999999999999"),
                                  ("review", "results", "0", "--json"),
                                  ("export", "review", "99999999999999999999", "--out", "x.xlsx"),
                                  ("review", "open", "--committee", "99999999999999999999", "--year", "2026",
                                   "--deadline", "2026-12-15")])
def test_ids_that_name_nothing_are_refused(runner: Any, args: tuple[str, ...], world: dict[str, Any]) -> None:
    res = invoke(runner, *args)
    assert res.exit_code == 1 and "没有找到" in res.output and res.exception is not None
    assert isinstance(res.exception, SystemExit)


def test_an_export_to_a_folder_that_is_not_there_says_so(runner: Any, tmp_path: Path, world: dict[str, Any]) -> None:
    rid = open_ok(runner, world)
    res = invoke(runner, "export", "review", str(rid), "--out", str(tmp_path / "none" / "r.xlsx"))
    assert res.exit_code == 1 and f"无法写入 {tmp_path / 'none' / 'r.xlsx'}" in res.output
    assert isinstance(res.exception, SystemExit)


def at_once(app: Flask, messages: list[tuple[str, str]]) -> dict[str, str]:
    """Each (openid, text) sent at the same moment from its own thread: the replies by openid."""
    replies: dict[str, str] = {}
    barrier = threading.Barrier(len(messages))

    def go(openid: str, text: str) -> None:
        chat = Chat(app.test_client(), app)
        xml = wxxml.text(openid, text)
        barrier.wait()
        reply = chat.send(xml)
        replies[openid] = "" if reply is None else str(reply.get("Content", ""))

    threads = [threading.Thread(target=go, args=m) for m in messages]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(replies) == len(messages), "a request did not finish"
    return replies


def test_a_withdrawal_and_a_grade_at_once_never_leave_a_grade_on_a_draft(app: Flask, runner: Any, db: Session,
                                                                         world: dict[str, Any]) -> None:
    if "postgresql" not in str(app.config["DATABASE_URL"]):
        pytest.skip("a race needs PostgreSQL (SQLite serializes every writer)")
    open_ok(runner, world, "--reviewer", "13600000002")
    for _ in range(6):
        [sub] = [s for s in rows(db, ReviewSubmission) if s.branch_id == world["b"].id]
        db.execute(delete(ReviewGrade))
        sub.status, sub.text, sub.submitted_at = "submitted", "报告", datetime(2026, 12, 1, tzinfo=SH)
        db.commit()
        replies = at_once(app, [("o_sb", "撤回述职"), ("o_r2", "评议 星光党支部 好")])
        [sub] = [s for s in rows(db, ReviewSubmission) if s.branch_id == world["b"].id]
        graded = rows(db, ReviewGrade)
        if graded:  # the grade went first: the withdrawal is refused
            assert sub.status == "submitted" and replies["o_sb"] == T.REFUSALS["review_withdraw_graded"], replies
        else:  # the withdrawal went first: the grade is refused
            assert sub.status == "not_submitted" and replies["o_sb"].startswith("已撤回"), replies
            assert replies["o_r2"].startswith("该述职报告当前状态为“未提交”"), replies


def test_one_problem_named_at_once_by_several_becomes_one_item(app: Flask, runner: Any, db: Session,
                                                               world: dict[str, Any]) -> None:
    if "postgresql" not in str(app.config["DATABASE_URL"]):
        pytest.skip("a race needs PostgreSQL (SQLite serializes every writer)")
    open_ok(runner, world, "--reviewer", "13600000002", "--reviewer", "13600000003")
    [sub] = [s for s in rows(db, ReviewSubmission) if s.branch_id == world["b"].id]
    sub.status, sub.text, sub.submitted_at = "submitted", "报告", datetime(2026, 12, 1, tzinfo=SH)
    db.commit()
    replies = at_once(app, [("o_admin", "评议 星光党支部 问题：党费台账缺失"),
                            ("o_r2", "评议 星光党支部 好 问题：党费台账缺失"),
                            ("o_r3", "评议 星光党支部 较好 问题：党费台账缺失")])
    [item] = rows(db, RectificationItem)
    assert (item.problem, item.source_id) == ("党费台账缺失", sub.id)
    assert sum(f"#{item.id}" in r for r in replies.values()) == 1, replies
    assert len(rows(db, ReviewGrade)) == 2


def test_a_round_opened_without_reviewers_warns_the_operator(runner: Any, world: dict[str, Any]) -> None:
    res = invoke(runner, "review", "open", "--committee", str(world["c"].id), "--year", "2026",
                 "--deadline", "2026-12-15")
    assert res.exit_code == 0 and T.CLI_NO_REVIEWERS in res.stderr
    assert T.CLI_NO_REVIEWERS not in res.stdout and res.stdout.split()[-1].isdigit()
