"""述职评议 by chat: a secretary writes, reads back, submits and withdraws the report; an admin returns it; the
reviewers named for the round grade it (never their own branch, on the round's scale, once each: a second grade
replaces the first and says so); problems become ledger items; the report must answer last year's open items."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.chat.context import conversation_key
from bot.config import settings_of
from bot.infra.clock import FrozenClock
from bot.models import Attachment, Notification, RectificationItem, ReviewGrade, ReviewSubmission
from bot.services.review import rounds
from bot.services.review.submissions import mentioned
from bot.texts import refusals, render
from bot.texts import review as T
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")
NOT_SUBMITTED = "该述职报告当前状态为“未提交”，不是已提交的报告，无法办理。"
DEADLINE = date(2026, 12, 15)


def rows(db: Session, model: Any, *where: Any) -> list[Any]:
    found: list[Any] = list(db.scalars(select(model).where(*where).order_by(model.id)
                                       .execution_options(populate_existing=True)))
    db.commit()
    return found


def open_round(runner: Any, committee_id: int, *extra: str, deadline: str = "2026-12-15") -> int:
    res = runner.invoke(args=["review", "open", "--committee", str(committee_id), "--year", "2026",
                              "--deadline", deadline, *extra])
    assert res.exit_code == 0, res.output
    return int(res.output.split()[-1])


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock, runner: Any) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    c = f.committee(db, name="区社会组织综合党委")
    other = f.committee(db, name="区教育党委")
    a = f.branch(db, c.id, name="阳光党支部")
    b = f.branch(db, c.id, name="星光党支部")
    d = f.branch(db, c.id, name="月光党支部")
    sa = f.secretary(db, a.id, name="李书记", openid="o_sa")
    sb = f.secretary(db, b.id, name="王书记", openid="o_sb")
    sd = f.secretary(db, d.id, name="赵书记", openid="o_sd")
    admin = f.admin(db, c.id, name="管理员甲", openid="o_admin")
    other_admin = f.admin(db, other.id, name="管理员乙", openid="o_other_admin")
    r1 = f.member(db, a.id, name="评议人一", openid="o_r1", phone="13700000001")  # of 阳光党支部
    r2 = f.member(db, None, name="评议人二", openid="o_r2", phone="13700000002")
    r3 = f.member(db, None, name="评议人三", openid="o_r3", phone="13700000003")
    outsider = f.member(db, None, name="旁观者", openid="o_out", phone="13700000009")
    rid = open_round(runner, c.id, "--onsite", str(a.id), "--reviewer", "13700000001",
                     "--reviewer", "13700000002,13700000003")
    return {"c": c, "other": other, "a": a, "b": b, "d": d, "sa": sa, "sb": sb, "sd": sd, "admin": admin,
            "other_admin": other_admin, "r1": r1, "r2": r2, "r3": r3, "outsider": outsider, "round": rid}


def submission(db: Session, branch_id: int) -> ReviewSubmission:
    [sub] = rows(db, ReviewSubmission, ReviewSubmission.branch_id == branch_id)
    assert isinstance(sub, ReviewSubmission)
    return sub


def write_and_submit(chat: Chat, openid: str, *paragraphs: str) -> str:
    assert "开始撰写" in chat.say(openid, "述职") or True
    for p in paragraphs:
        chat.say(openid, p)
    return chat.say(openid, "提交")


# -- writing and submitting -------------------------------------------------------------------------------
def test_a_secretary_writes_reads_back_submits_and_withdraws(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    reply = chat.say("o_sa", "述职")
    assert reply.startswith("开始撰写2026年度党支部书记抓基层党建工作述职评议（阳光党支部，现场述职），"
                            "12月15日前提交。")
    assert "回复“提交”" in reply and "#" not in reply  # no open items to answer
    first, second = "一、履行第一责任人职责情况。", "二、存在的问题。"
    assert chat.say("o_sa", first) == T.DRAFT_TEXT_SAVED.format(chars=len(first))
    assert chat.say("o_sa", second) == T.DRAFT_TEXT_SAVED.format(chars=len(first) + 1 + len(second))
    photo = chat.send(wxxml.image("o_sa", "MEDIA_R1"))
    assert photo is not None and photo["Content"] == T.DRAFT_IMAGE_SAVED.format(n=1)
    [att] = rows(db, Attachment)
    assert (att.subject_type, att.subject_id) == ("review_submission", submission(db, world["a"].id).id)

    view = chat.say("o_sa", "查看述职")
    assert "状态：未提交" in view and "一、履行第一责任人职责情况。\n二、存在的问题。" in view and "照片1张" in view

    assert chat.say("o_sa", "提交") == "述职报告已提交（阳光党支部，23字、照片1张）。截止前如需修改，可回复“撤回述职”。"
    sub = submission(db, world["a"].id)
    assert (sub.status, sub.secretary_id) == ("submitted", world["sa"].id)
    assert sub.submitted_at is not None and sub.text == "一、履行第一责任人职责情况。\n二、存在的问题。"
    assert "状态：已提交" in chat.say("o_sa", "查看述职")
    assert chat.say("o_sa", "述职") == T.ALREADY_SUBMITTED.format(branch="阳光党支部")
    # a second 提交: nothing is pending any more (the ledger's answer when it has nothing either)
    chat.say("o_sa", "提交")
    assert submission(db, world["a"].id).status == "submitted"

    assert chat.say("o_sa", "撤回述职") == "已撤回阳光党支部的述职报告，可继续修改，12月15日前请重新回复“提交”。"
    sub = submission(db, world["a"].id)
    assert (sub.status, sub.submitted_at) == ("not_submitted", None)
    assert "继续撰写" in chat.say("o_sa", "述职")


def test_an_empty_report_is_refused(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    chat.say("o_sb", "述职")
    assert chat.say("o_sb", "提交") == "述职报告还没有内容，请先发送报告文字，再回复“提交”。"
    assert submission(db, world["b"].id).status == "not_submitted"


def test_submitting_after_the_deadline_or_to_a_closed_round_is_refused(chat: Chat, db: Session, runner: Any,
                                                                        clock: FrozenClock,
                                                                        world: dict[str, Any]) -> None:
    chat.say("o_sa", "述职")
    chat.say("o_sa", "全年工作总结。")
    clock.set(datetime(2026, 12, 15, 23, 59, tzinfo=SH))
    chat.say("o_sb", "述职")
    chat.say("o_sb", "星光党支部述职。")
    clock.set(datetime(2026, 12, 16, 0, 0, tzinfo=SH))  # the deadline's day has ended
    refused = "述职报告已于12月15日截止，不能再提交或修改。如有特殊情况请联系上级党委。"
    assert chat.say("o_sb", "补一段。") == refused  # still in the draft's conversation: refused, and it ends
    assert chat.say("o_sb", "再补一段。").startswith("没有听懂")
    assert chat.say("o_sa", "提交") == refused
    assert chat.say("o_sa", "述职") == refused
    assert submission(db, world["a"].id).status == "not_submitted"
    assert submission(db, world["b"].id).text == "星光党支部述职。"

    res = runner.invoke(args=["review", "close", str(world["round"])])
    assert res.exit_code == 0, res.output
    assert chat.say("o_sa", "提交") == "本轮述职评议已经结束，不能再提交、修改或评议。"
    assert submission(db, world["a"].id).status == "not_submitted"
    # a reviewer of the round, grading after it closed, is told it closed (not that they are no reviewer)
    assert chat.say("o_r2", "评议 阳光党支部 好") == "本轮述职评议已经结束，不能再提交、修改或评议。"
    assert chat.say("o_out", "评议 阳光党支部 好") == "您不是本轮述职评议指定的评议人，不能评议。"


def test_a_member_who_is_no_secretary_has_no_report(chat: Chat, world: dict[str, Any]) -> None:
    assert chat.say("o_r1", "述职") == "只有党支部书记可以提交述职报告。"
    assert chat.say("o_r1", "撤回述职") == "只有党支部书记可以提交述职报告。"


def test_the_report_must_answer_last_years_open_items_by_number(chat: Chat, db: Session,
                                                                world: dict[str, Any]) -> None:
    a, c = world["a"], world["c"]
    old = f.rectification(db, c.id, world["sa"].id, date(2026, 6, 30), branch_id=a.id, found_on=date(2026, 1, 10),
                          problem="党员发展程序不规范")
    f.rectification(db, c.id, world["sa"].id, date(2026, 6, 30), branch_id=a.id, found_on=date(2026, 1, 10),
                    problem="已整改完毕的问题", status="closed")
    theirs = f.rectification(db, c.id, world["sb"].id, date(2026, 6, 30), branch_id=world["b"].id,
                             found_on=date(2026, 1, 10), problem="别的支部的问题")
    f.rectification(db, c.id, world["sa"].id, date(2027, 6, 30), branch_id=a.id, found_on=date(2027, 1, 5),
                    problem="评议当年以后发现的问题")
    prompt = chat.say("o_sa", "述职")
    assert f"#{old.id} 党员发展程序不规范（整改时限6月30日）" in prompt
    assert "已整改完毕" not in prompt and "别的支部" not in prompt and "以后发现" not in prompt
    saved = chat.say("o_sa", "全年工作总结，党建工作有序推进。")
    assert saved == T.DRAFT_TEXT_SAVED_ITEMS.format(chars=16, ids=f"#{old.id}")
    assert chat.say("o_sa", "提交") == (f"报告还没有说明上年度整改事项 #{old.id} 的整改情况。请逐项说明并注明编号"
                                        "（如“#12”“第12项”），然后再回复“提交”。")
    assert submission(db, world["a"].id).status == "not_submitted"
    chat.say("o_sa", f"关于第{old.id}项，已完善发展党员全程纪实。")
    assert chat.say("o_sa", "提交").startswith("述职报告已提交")
    # the other branch answers its own item, as 12号
    assert write_and_submit(chat, "o_sb", f"{theirs.id}号问题已整改。").startswith("述职报告已提交")


@pytest.mark.parametrize(("text", "number", "found"), [
    ("#12 已整改", 12, True), ("＃12已整改", 12, True), ("12号问题已整改", 12, True), ("第12项已完成", 12, True),
    ("第 12 项", 12, True), ("问题12：已完成", 12, True), ("#123 已整改", 12, False), ("112号", 12, False),
    ("第1项", 12, False), ("共12人参加", 12, False), ("问题120", 12, False),
])
def test_an_item_is_named_by_its_number(text: str, number: int, found: bool) -> None:
    assert mentioned(text, number) is found


# -- returning -------------------------------------------------------------------------------------------------
def test_an_admin_returns_a_report_the_secretary_is_told_and_resubmits(chat: Chat, db: Session,
                                                                        world: dict[str, Any]) -> None:
    write_and_submit(chat, "o_sb", "星光党支部述职。")
    assert chat.say("o_admin", "退回述职 星光党支部") == T.REFUSALS["review_return_need_reason"]
    assert chat.say("o_other_admin", "退回述职 星光党支部 不合格") == "目前没有您负责的进行中的述职评议。"
    assert chat.say("o_sb", "退回述职 星光党支部 自己退回") == "目前没有您负责的进行中的述职评议。"
    assert chat.say("o_admin", "退回述职 星光党支部 未说明党员教育管理情况") == (
        "已退回星光党支部的述职报告，理由：未说明党员教育管理情况。已通知支部书记修改后重新提交。")
    sub = submission(db, world["b"].id)
    assert (sub.status, sub.return_reason, sub.submitted_at) == ("returned", "未说明党员教育管理情况", None)
    [notice] = rows(db, Notification, Notification.kind == "review_returned")
    assert notice.recipient_id == world["sb"].id
    said = render(notice.kind, notice.payload, settings_of({"TZ": "Asia/Shanghai"}))
    assert said.text == ("您提交的2026年度党支部书记抓基层党建工作述职评议（星光党支部）已被退回，"
                         "理由：未说明党员教育管理情况。请在12月15日前修改后回复“提交”。")
    assert "状态：已退回（退回理由：未说明党员教育管理情况）" in chat.say("o_sb", "查看述职")
    prompt = chat.say("o_sb", "述职")
    assert "您的述职报告已被退回，理由：未说明党员教育管理情况。" in prompt
    chat.say("o_sb", "补充：党员教育管理情况。")
    assert chat.say("o_sb", "提交").startswith("述职报告已提交")
    sub = submission(db, world["b"].id)
    assert sub.status == "submitted" and sub.text == "星光党支部述职。\n补充：党员教育管理情况。"
    # returning a report that is not submitted
    assert chat.say("o_admin", "退回述职 月光党支部 没交") == NOT_SUBMITTED


def test_a_report_is_not_returned_after_the_deadline(chat: Chat, db: Session, clock: FrozenClock,
                                                     world: dict[str, Any]) -> None:
    write_and_submit(chat, "o_sb", "星光党支部述职。")
    clock.set(datetime(2026, 12, 16, 9, 0, tzinfo=SH))
    assert chat.say("o_admin", "退回述职 星光党支部 请补充") == (
        "述职报告已于12月15日截止，退回后支部将无法重新提交，因此不能再退回。"
        "报告中的问题可回复“评议 支部 问题：…”列入整改台账。")
    assert submission(db, world["b"].id).status == "submitted"
    assert rows(db, Notification, Notification.kind == "review_returned") == []


# -- grading ---------------------------------------------------------------------------------------------------
def test_reviewers_grade_once_each_never_their_own_branch(chat: Chat, db: Session, clock: FrozenClock,
                                                          world: dict[str, Any]) -> None:
    write_and_submit(chat, "o_sa", "阳光党支部述职。")
    write_and_submit(chat, "o_sb", "星光党支部述职。")
    b = world["b"]
    assert chat.say("o_r1", "评议 阳光党支部 好") == "不能评议本人所在支部（阳光党支部）的述职报告。"
    assert chat.say("o_out", "评议 阳光党支部 好") == "您不是本轮述职评议指定的评议人，不能评议。"
    assert chat.say("o_r2", "评议 阳光党支部 优秀") == "“优秀”不是本轮的评议等次，请从以下等次中选择：好/较好/一般/差。"
    assert chat.say("o_r2", "评议 月光党支部 好") == NOT_SUBMITTED
    assert chat.say("o_r2", "评议 火星党支部 好") == "火星党支部不在进行中的述职评议之中，请核对支部名称或编号。"
    assert chat.say("o_r2", "评议 党支部 好").startswith("有多个支部符合")
    assert chat.say("o_r2", "评议") == T.GRADE_USAGE
    assert rows(db, ReviewGrade) == []

    assert chat.say("o_r2", "评议 阳光党支部 较好 工作扎实") == "已评议阳光党支部：较好。"
    assert chat.say("o_r2", "评议 阳光党支部 好 工作扎实，亮点突出") == (
        "已将您对阳光党支部的评议由“较好”改为“好”（每位评议人对每份报告只保留一次评议）。")
    [g] = rows(db, ReviewGrade)
    assert (g.reviewer_id, g.grade, g.comment) == (world["r2"].id, "好", "工作扎实，亮点突出")

    reply = chat.say("o_r3", f"评议 #{b.id} 一般 问题：三会一课记录不全；党费台账缺失")
    assert reply.startswith("已评议星光党支部：一般。已列入整改台账2项：")
    items = rows(db, RectificationItem)
    sub_b = submission(db, b.id)
    assert [(i.source, i.source_id, i.branch_id, i.owner_id, i.problem, i.deadline, i.found_on) for i in items] == [
        ("review", sub_b.id, b.id, world["sb"].id, "三会一课记录不全", date(2027, 2, 21), date(2026, 11, 23)),
        ("review", sub_b.id, b.id, world["sb"].id, "党费台账缺失", date(2027, 2, 21), date(2026, 11, 23))]
    assert reply.endswith(f"#{items[0].id}、#{items[1].id}。")
    # naming the same problem again adds no twin; the admin names one more without grading
    chat.say("o_r3", f"评议 #{b.id} 一般 问题：党费台账缺失")
    assert len(rows(db, RectificationItem)) == 2
    named = chat.say("o_admin", "评议 星光党支部 问题：组织生活会程序不规范")
    assert named.startswith("已将星光党支部的1个问题列入整改台账")
    assert chat.say("o_admin", "评议 星光党支部 好") == "您不是本轮述职评议指定的评议人，不能评议。"
    assert len(rows(db, RectificationItem)) == 3

    # a secretary may not withdraw a graded report
    assert chat.say("o_sa", "撤回述职") == T.REFUSALS["review_withdraw_graded"]
    # a reviewer reads a report
    assert "阳光党支部述职。" in chat.say("o_r2", "查看述职 阳光党支部")


def test_the_grade_scale_can_be_another(chat: Chat, db: Session, runner: Any, world: dict[str, Any]) -> None:
    c2 = f.committee(db, name="区商会党委")
    br = f.branch(db, c2.id, name="商会党支部")
    f.secretary(db, br.id, name="钱书记", openid="o_s_shanghui")
    rid = open_round(runner, c2.id, "--scale", "competence", "--reviewer", "13700000002")
    assert rows(db, ReviewSubmission, ReviewSubmission.round_id == rid)[0].mode == "written"
    write_and_submit(chat, "o_s_shanghui", "商会党支部述职。")
    assert chat.say("o_r2", "评议 商会党支部 好") == (
        "“好”不是本轮的评议等次，请从以下等次中选择：优秀/称职/基本称职/不称职。")
    assert chat.say("o_r2", "评议 商会党支部 称职") == "已评议商会党支部：称职。"
    # a reviewer named only for the other committee's round: that round's branch is not theirs to grade
    not_in_round = "商会党支部不在进行中的述职评议之中，请核对支部名称或编号。"
    assert chat.say("o_r3", "评议 商会党支部 称职") == not_in_round
    assert chat.say("o_admin", "退回述职 商会党支部 重写") == not_in_round


def test_submit_hands_over_to_the_ledgers_evidence_step(app: Flask, chat: Chat, db: Session,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        world: dict[str, Any]) -> None:
    from bot.chat.handlers import rectification as rect_chat

    monkeypatch.setattr(rect_chat, "submit_evidence", lambda ctx: "EVIDENCE", raising=False)
    chat.say("o_sa", "述职")
    chat.say("o_sa", "写了一段。")
    store = app.extensions["store"]
    store.set(conversation_key("o_sa"), json.dumps({"step": "rectification.evidence", "data": {"item_id": 1}}),
              ex=600)
    assert chat.say("o_sa", "提交") == "EVIDENCE"
    assert submission(db, world["a"].id).status == "not_submitted"
    # no draft being written (the branch's report is untouched): 提交 is the ledger's
    store.delete(conversation_key("o_sa"))
    assert chat.say("o_sb", "提交") == "EVIDENCE"
    # a draft with text, its conversation expired: 提交 submits it
    assert chat.say("o_sa", "提交").startswith("述职报告已提交")


def test_while_writing_a_paragraph_that_reads_like_a_command_is_part_of_the_report(
        chat: Chat, db: Session, world: dict[str, Any]) -> None:
    """A report cites item numbers and names its work (整改#3…, 评议…, 会议…): inside the draft those are the
    report's paragraphs, not commands; 提交, 查看述职 and 取消 still work."""
    item = f.rectification(db, world["c"].id, world["sa"].id, date(2027, 3, 1), branch_id=world["a"].id,
                           problem="制度不全", status="in_progress")
    chat.say("o_sa", "述职")
    for paragraph in (f"整改 {item.id} 已完成 制度已建立", "评议工作按要求开展", "会议", "帮助学习困难党员"):
        assert chat.say("o_sa", paragraph).startswith("已记下")
    assert chat.say("o_sa", "查看述职").count("\n") >= 4
    assert next(i for i in rows(db, RectificationItem) if i.id == item.id).status == "in_progress"
    assert chat.say("o_sa", "提交").startswith("述职报告已提交（")
    assert submission(db, world["a"].id).text.splitlines()[0] == f"整改 {item.id} 已完成 制度已建立"


def test_cancel_leaves_the_draft_kept(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    chat.say("o_sa", "述职")
    chat.say("o_sa", "第一段。")
    assert chat.say("o_sa", "取消") == "已退出述职报告撰写；已写的内容和照片都已保存，回复“述职”可继续。"
    assert submission(db, world["a"].id).text == "第一段。"
    assert chat.say("o_sa", "第二段。").startswith("没有听懂")


def test_the_help_menu_shows_each_role_its_commands(chat: Chat, world: dict[str, Any]) -> None:
    sec = chat.say("o_sa", "帮助 述职评议")
    assert "· 述职 — " in sec and "· 撤回述职 — " in sec and "· 退回述职" not in sec
    admin = chat.say("o_admin", "帮助 述职评议")
    assert "· 退回述职 支部 理由 — " in admin and "· 评议 支部 等次 意见 — " in admin and "· 撤回述职" not in admin


def test_results_while_open_and_the_final_grade_after_closing(chat: Chat, db: Session, runner: Any,
                                                              world: dict[str, Any]) -> None:
    write_and_submit(chat, "o_sa", "阳光。")
    write_and_submit(chat, "o_sb", "星光。")
    chat.say("o_r2", "评议 阳光党支部 好")
    chat.say("o_r3", "评议 阳光党支部 一般")  # a tie: the lower grade
    chat.say("o_r1", "评议 星光党支部 较好")
    chat.say("o_r2", "评议 星光党支部 较好")
    chat.say("o_r3", "评议 星光党支部 好")
    assert rounds.final_grade_of(db, world["a"].id, 2026) is None  # not closed yet
    db.commit()
    res = runner.invoke(args=["review", "close", str(world["round"])])
    assert res.exit_code == 0, res.output
    assert res.output.strip() == f"述职评议 #{world['round']} 已结束：已评议2份（现场1，书面1）；好0，较好1，一般1，差0"
    subs = {s.branch_id: s for s in rows(db, ReviewSubmission)}
    assert (subs[world["a"].id].status, subs[world["a"].id].grade) == ("reviewed", "一般")
    assert (subs[world["b"].id].status, subs[world["b"].id].grade) == ("reviewed", "较好")
    assert (subs[world["d"].id].status, subs[world["d"].id].grade) == ("not_submitted", None)
    assert rounds.final_grade_of(db, world["a"].id, 2026) == "一般"
    assert rounds.final_grade_of(db, world["a"].id, 2025) is None
    db.commit()
    assert chat.say("o_r2", "评议 阳光党支部 好") == "本轮述职评议已经结束，不能再提交、修改或评议。"
    again = runner.invoke(args=["review", "close", str(world["round"])])
    assert again.exit_code == 1 and "已经结束" in again.output


@pytest.mark.parametrize(("counts", "rule", "expected"), [
    ({"好": 2, "较好": 1}, "lower", "好"), ({"好": 1, "一般": 1}, "lower", "一般"),
    ({"好": 1, "一般": 1}, "higher", "好"),
    ({"较好": 2, "差": 2, "好": 1}, "lower", "差"), ({}, "lower", None),
])
def test_the_final_grade_is_the_most_frequent_a_tie_by_the_rule(counts: dict[str, int], rule: str,
                                                                expected: str | None) -> None:
    assert rounds.final_grade(counts, ["好", "较好", "一般", "差"], rule) == expected


def test_a_deadline_is_the_end_of_its_local_day() -> None:
    moment = rounds.deadline_moment(date(2026, 12, 15), settings_of({"TZ": "Asia/Shanghai"}))
    assert moment == datetime(2026, 12, 15, 16, 0, tzinfo=UTC)
    assert moment - timedelta(seconds=1) < moment


def test_admins_and_reviewers_see_the_reports_of_their_rounds(chat: Chat, world: dict[str, Any]) -> None:
    write_and_submit(chat, "o_sb", "星光党支部述职。")
    chat.say("o_r2", "评议 星光党支部 较好")
    a, b, d = world["a"], world["b"], world["d"]
    listing = chat.say("o_r2", "述职情况")
    assert listing.splitlines() == [
        "2026年度党支部书记抓基层党建工作述职评议（12月15日截止）：已提交1份，共3份",
        f"#{a.id} 阳光党支部｜现场述职｜未提交｜已评议0人",
        f"#{b.id} 星光党支部｜书面述职｜已提交｜已评议1人，我的评议：较好",
        f"#{d.id} 月光党支部｜书面述职｜未提交｜已评议0人", T.OVERVIEW_FOOT]
    assert chat.say("o_admin", "查看述职").splitlines()[2] == f"#{b.id} 星光党支部｜书面述职｜已提交｜已评议1人"
    assert "星光党支部述职。" in chat.say("o_admin", f"查看述职 #{b.id}")
    assert chat.say("o_out", "述职情况") == "目前没有您负责的进行中的述职评议。"


def test_next_years_report_answers_the_problems_this_years_review_named(chat: Chat, db: Session, runner: Any,
                                                                        clock: FrozenClock,
                                                                        world: dict[str, Any]) -> None:
    write_and_submit(chat, "o_sb", "2026年述职。")
    chat.say("o_r2", "评议 星光党支部 一般 问题：三会一课记录不全")
    [item] = rows(db, RectificationItem)
    # the problem this round named is next year's to answer: this year's resubmission does not need it
    chat.say("o_admin", "退回述职 星光党支部 请补充")
    assert chat.say("o_sb", "提交").startswith("述职报告已提交")
    assert runner.invoke(args=["review", "close", str(world["round"])]).exit_code == 0

    clock.set(datetime(2027, 11, 20, 9, 0, tzinfo=SH))
    res = runner.invoke(args=["review", "open", "--committee", str(world["c"].id), "--year", "2027",
                              "--deadline", "2027-12-15", "--reviewer", "13700000002"])
    assert res.exit_code == 0, res.output
    prompt = chat.say("o_sb", "述职")
    assert f"#{item.id} 三会一课记录不全（整改时限2月21日）" in prompt
    chat.say("o_sb", "2027年述职：党建工作有序推进。")
    assert chat.say("o_sb", "提交").startswith(f"报告还没有说明上年度整改事项 #{item.id}")
    chat.say("o_sb", f"问题{item.id}：已建立三会一课记录规范并逐月检查。")
    assert chat.say("o_sb", "提交").startswith("述职报告已提交")


# -- bad input, found by QA ------------------------------------------------------------------------------------
def test_submit_by_someone_not_bound_is_told_to_bind(chat: Chat, caplog: pytest.LogCaptureFixture,
                                                     world: dict[str, Any]) -> None:
    assert chat.say("o_nobody", "提交") == refusals()["unbound"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


def test_a_long_report_reads_back_in_one_reply_saying_how_much_is_shown(chat: Chat, world: dict[str, Any]) -> None:
    chat.say("o_sa", "述职")
    chat.say("o_sa", "一" * 1500)
    chat.say("o_sa", "二" * 1500)
    view = chat.say("o_sa", "查看述职")
    assert len(view.encode()) <= 2048 and "内容过长" not in view
    shown = view.count("一")
    assert 300 < shown < 1500 and view.endswith(f"…（共3001字，仅显示前{shown}字）")
    assert view.startswith("2026年度党支部书记抓基层党建工作述职评议｜阳光党支部（现场述职）\n状态：未提交")


def test_a_paragraph_wechat_sends_twice_is_kept_once(chat: Chat, db: Session, world: dict[str, Any]) -> None:
    chat.say("o_sa", "述职")
    first = chat.send(wxxml.text("o_sa", "一、基本情况。", msgid=424242))
    again = chat.send(wxxml.text("o_sa", "一、基本情况。", msgid=424242))  # WeChat's retry of the same message
    assert first is not None and again is not None and first["Content"] == again["Content"]
    assert submission(db, world["a"].id).text == "一、基本情况。"


def test_grading_again_with_the_same_grade_says_it_replaced_the_first(chat: Chat, db: Session,
                                                                      world: dict[str, Any]) -> None:
    write_and_submit(chat, "o_sb", "星光党支部述职。")
    first = chat.say("o_r2", "评议 星光党支部 较好 问题：台账不全")
    assert first.startswith("已评议星光党支部：较好。已列入整改台账1项")
    assert chat.say("o_r2", "评议 星光党支部 较好 意见已补充 问题：台账不全") == (
        "您对星光党支部的评议仍为“较好”，已替换上次的评议（每位评议人对每份报告只保留一次评议）。"
        "所列问题已在整改台账中，没有重复列入。")
    [g] = rows(db, ReviewGrade)
    assert (g.grade, g.comment) == ("较好", "意见已补充")
    assert len(rows(db, RectificationItem)) == 1


@pytest.mark.parametrize("typed", ["评议 ＃１２ 好", "评议 #0 好", "评议 -1 好", "评议 99999999999999999999 好",
                                   "查看述职 99999999999999999999", "退回述职 #99999999999999999999 理由"])
def test_a_branch_number_not_in_the_round_is_refused(chat: Chat, db: Session, caplog: pytest.LogCaptureFixture,
                                                      typed: str, world: dict[str, Any]) -> None:
    who = "o_admin" if typed.startswith("退回") else "o_r2"
    assert chat.say(who, typed).endswith("不在进行中的述职评议之中，请核对支部名称或编号。")
    assert not [r for r in caplog.records if r.levelname == "ERROR"] and rows(db, ReviewGrade) == []


@pytest.mark.parametrize(("typed", "grade", "comment"), [
    ("评议 星光党支部 好，工作扎实", "好", "工作扎实"), ("评议 星光党支部 较好。", "较好", ""),
    ("评议 星光党支部 一般；亮点不多 建议加强", "一般", "亮点不多 建议加强")])
def test_a_grade_typed_with_punctuation_after_it_is_read(chat: Chat, db: Session, typed: str, grade: str,
                                                         comment: str, world: dict[str, Any]) -> None:
    write_and_submit(chat, "o_sb", "星光党支部述职。")
    assert chat.say("o_r2", typed) == f"已评议星光党支部：{grade}。"
    [g] = rows(db, ReviewGrade)
    assert (g.grade, g.comment) == (grade, comment)


def test_a_paragraph_starting_with_the_word_pingyi_stays_in_the_report(chat: Chat, db: Session,
                                                                          world: dict[str, Any]) -> None:
    chat.say("o_sa", "述职")
    assert chat.say("o_sa", "评议党员工作中坚持标准。").startswith("已记下")
    assert submission(db, world["a"].id).text == "评议党员工作中坚持标准。"
    assert chat.say("o_sa", "评议 星光党支部 好").startswith("已记下")  # while writing, the report's too
    chat.say("o_sa", "取消")
    assert chat.say("o_sa", "评议 星光党支部 好") == "您不是本轮述职评议指定的评议人，不能评议。"  # the command


def test_a_reviewer_named_for_an_open_round_finds_the_grading_commands(chat: Chat, runner: Any,
                                                                       world: dict[str, Any]) -> None:
    """评议 shows in 帮助 to the reviewers named for an open round (a member by phone, no role granted), and to
    no one else (a secretary not named, a bystander); once the round closes it goes from their menu."""
    assert "· 评议 支部 等次 意见 — " in chat.say("o_r2", "帮助")
    assert "评议 支部" not in chat.say("o_out", "帮助")
    assert "评议 支部" not in chat.say("o_sb", "帮助 述职评议")
    assert runner.invoke(args=["review", "close", str(world["round"])]).exit_code == 0
    assert "评议 支部" not in chat.say("o_r2", "帮助")


def test_once_the_round_closes_a_command_typed_in_the_old_draft_runs(chat: Chat, runner: Any,
                                                                     world: dict[str, Any]) -> None:
    """The draft conversation outlives the round (closed meanwhile): a command sent then is the command, and
    a paragraph is told the round is over."""
    chat.say("o_sa", "述职")
    chat.say("o_sb", "述职")
    assert runner.invoke(args=["review", "close", str(world["round"])]).exit_code == 0
    assert chat.say("o_sa", "会议") == chat.say("o_sd", "会议")  # 会议 lists meetings, as for a secretary outside
    assert chat.say("o_sb", "又一段。") == "本轮述职评议已经结束，不能再提交、修改或评议。"
