"""整改台账 end to end: items added by the CLI, answered by their owners by chat with words and photos,
submitted, returned, resubmitted and closed (销号) by the committee's admin; overdue items flagged; every
bad input answered in Chinese with nothing half-written."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import load, settings_of
from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from bot.infra.wechat import wait_for_background
from bot.models import Attachment, Notification, RectificationItem, ReviewSubmission
from bot.services.errors import ServiceError
from bot.texts import general as G
from bot.texts import rectification as T
from bot.texts import refusal as word_refusal
from bot.texts import refusals
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat

SH = ZoneInfo("Asia/Shanghai")
PHOTO = b"\xff\xd8\xff\xe0fake-evidence"


SETTINGS = settings_of(load({"WECHAT_TOKEN": "abc", "APP_MODE": "test", "SECRET_KEY": "k"}))


def refusal(reason: str, **params: Any) -> str:
    """The words every channel gives for this refusal."""
    assert reason in refusals()
    return word_refusal(ServiceError(reason, **params), SETTINGS)


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock, fake_wx: FakeWeChat) -> dict[str, Any]:
    app.config["CLOCK"] = clock  # Monday 2026-11-23 09:00 in Shanghai
    top = f.committee(db, name="某区社会组织综合党委")
    sub = f.committee(db, name="某街道综合党委", parent_id=top.id)
    other = f.committee(db, name="另一区综合党委")
    a = f.branch(db, top.id, name="星光党支部")
    b = f.branch(db, sub.id, name="阳光党支部")
    x = f.branch(db, other.id, name="远方党支部")
    sec_a = f.secretary(db, a.id, name="李书记", openid="o_sec_a", phone="13900000001")
    m1 = f.member(db, a.id, name="张三", openid="o_m1", phone="13900000002")
    m2 = f.member(db, a.id, name="王五", openid="o_m2", phone="13900000003")
    sec_b = f.secretary(db, b.id, name="赵书记", openid="o_sec_b", phone="13900000004")
    admin = f.admin(db, top.id, name="周管理", openid="o_admin", phone="13900000005")
    admin_x = f.admin(db, other.id, name="吴管理", openid="o_adx", phone="13900000006")
    for mid in ("MEDIA_1", "MEDIA_2", "MEDIA_3"):
        fake_wx.media[mid] = PHOTO + mid.encode()
    return {"top": top, "sub": sub, "other": other, "a": a, "b": b, "x": x, "sec_a": sec_a, "m1": m1, "m2": m2,
            "sec_b": sec_b, "admin": admin, "admin_x": admin_x}


def add(runner: Any, *args: str) -> int:
    result = runner.invoke(args=["ledger", "add", *args])
    assert result.exit_code == 0, result.output
    return int(result.output.split()[-1])  # the id, last


def refused(runner: Any, *args: str, code: int = 1) -> str:
    result = runner.invoke(args=["ledger", "add", *args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return str(result.output)


def item(db: Session, item_id: int) -> RectificationItem:
    found = db.scalars(select(RectificationItem).where(RectificationItem.id == item_id)
                       .execution_options(populate_existing=True)).one()
    db.commit()
    return found


def count(db: Session, model: Any, *where: Any) -> int:
    n = int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)
    db.commit()
    return n


def image(chat: Chat, openid: str, media_id: str) -> str:
    reply = chat.send(wxxml.image(openid, media_id))
    return "" if reply is None else str(reply["Content"])


def test_the_whole_loop_by_cli_and_chat(app: Flask, runner: Any, chat: Chat, db: Session,
                                        world: dict[str, Any]) -> None:
    a, m1 = world["a"], world["m1"]
    rnd = f.review_round(db, world["top"].id, datetime(2026, 12, 20, 18, 0, tzinfo=SH), year=2025)
    report = ReviewSubmission(round_id=rnd.id, branch_id=a.id, secretary_id=world["sec_a"].id)
    db.add(report)
    db.commit()
    # The operator adds two items: one with an owner (linked to the branch's report), one without.
    i1 = add(runner, "--branch", str(a.id), "--source", "述职评议", "--problem", "三会一课记录不规范",
             "--deadline", "2026-12-31", "--owner", "13900000002", "--category", "组织生活")
    i2 = add(runner, "--branch", str(a.id), "--source", "检查", "--problem", "党费收缴台账缺失",
             "--deadline", "2027-01-15", "--measures", "补建台账")
    row = item(db, i1)
    assert (row.source, row.source_id, row.owner_id, row.status, row.category) == \
        ("review", report.id, m1.id, "pending", "组织生活")
    assert row.found_on == date(2026, 11, 23) and row.committee_id == world["top"].id
    assert item(db, i2).owner_id is None and item(db, i2).source_id is None

    # The owner lists their items; the secretary answers for the owner-less one.
    listed = chat.say("o_m1", "整改")
    assert listed.splitlines()[0] == T.LIST_HEADER.format(n=1)
    assert f"#{i1} 三会一课记录不规范｜时限12月31日｜待整改" in listed and f"#{i2}" not in listed
    assert f"#{i2} 党费收缴台账缺失" in chat.say("o_sec_a", "整改")
    assert chat.say("o_m2", "整改") == T.LIST_EMPTY

    # Someone else cannot answer the item; the owner's first answer is the measures, the next the progress.
    assert chat.say("o_m2", f"整改 {i1} 我来答") == refusal("ledger_not_owner", id=i1, owner="张三")
    assert chat.say("o_m1", f"整改 {i1} 制定学习计划，每月组织一次") == \
        T.ANSWERED.format(id=i1, what=T.WHAT_MEASURES)
    assert chat.say("o_m1", f"整改 #{i1} 已组织两次") == T.ANSWERED.format(id=i1, what=T.WHAT_PROGRESS)
    row = item(db, i1)
    assert (row.status, row.measures, row.progress) == ("in_progress", "制定学习计划，每月组织一次", "已组织两次")

    # 已完成, photos, more words, 提交.
    assert chat.say("o_m1", f"整改 {i1} 已完成 已组织三次学习并规范记录") == T.EVIDENCE_START.format(id=i1)
    assert image(chat, "o_m1", "MEDIA_1") == T.EVIDENCE_PHOTO.format(id=i1, n=1)
    assert image(chat, "o_m1", "MEDIA_2") == T.EVIDENCE_PHOTO.format(id=i1, n=2)
    assert image(chat, "o_m1", "MEDIA_1") == T.EVIDENCE_PHOTO_AGAIN.format(id=i1, n=2)
    assert chat.say("o_m1", "附：签到表已归档") == T.EVIDENCE_TEXT.format(id=i1)
    assert chat.say("o_m1", "提交") == T.SUBMITTED.format(id=i1, evidence="文字说明、照片2张")
    wait_for_background()
    row = item(db, i1)
    assert row.status == "awaiting_verification" and row.submitted_at is not None
    assert row.evidence == "已组织三次学习并规范记录\n附：签到表已归档"
    photos = list(db.scalars(select(Attachment).where(Attachment.subject_type == "rectification_item",
                                                      Attachment.subject_id == i1).order_by(Attachment.id)))
    db.commit()
    assert [(p.media_id, p.phase) for p in photos] == [("MEDIA_1", "after"), ("MEDIA_2", "after")]
    assert all(p.path and Path(p.path).read_bytes().startswith(PHOTO) for p in photos)
    assert chat.say("o_m1", "提交") == T.NOTHING_TO_SUBMIT  # nothing left to submit
    # The committee's admin is told, and finds it under 待验收; another committee's admin does not.
    [told] = db.scalars(select(Notification).where(Notification.kind == "rectification_submitted")).all()
    db.commit()
    assert told.recipient_id == world["admin"].id and told.payload["item_id"] == i1
    awaiting = chat.say("o_admin", "待验收")
    assert awaiting.splitlines()[:2] == [T.AWAITING_HEADER.format(n=1),
                                         f"#{i1} 星光党支部：三会一课记录不规范｜佐证：文字说明、照片2张"]
    assert chat.say("o_adx", "待验收") == T.AWAITING_EMPTY
    assert chat.say("o_sec_a", "待验收") == refusal("forbidden")
    assert chat.say("o_m1", f"整改 {i1} 还有补充") == refusal("ledger_awaiting_verification", id=i1)

    # Who may verify: not the branch's secretary, not another committee's admin.
    assert chat.say("o_sec_a", f"销号 {i1}") == refusal("forbidden")
    assert chat.say("o_adx", f"销号 {i1}") == refusal("ledger_item_not_found", id=i1)
    assert chat.say("o_adx", f"退回整改 {i1} 不行") == refusal("ledger_item_not_found", id=i1)
    assert item(db, i1).status == "awaiting_verification"

    # The admin returns it: the owner is told at once and sees the reason.
    assert chat.say("o_admin", f"退回整改 {i1} 照片不清晰") == \
        T.RETURNED.format(id=i1, unit="星光党支部", reason="照片不清晰")
    row = item(db, i1)
    assert (row.status, row.return_reason, row.submitted_at) == ("in_progress", "照片不清晰", None)
    [note] = db.scalars(select(Notification).where(Notification.kind == "rectification_returned")).all()
    db.commit()
    assert note.recipient_id == m1.id and note.payload["reason"] == "照片不清晰" and note.payload["item_id"] == i1
    assert "退回原因：照片不清晰" in chat.say("o_m1", "整改")
    assert chat.say("o_admin", f"退回整改 {i1} 再退") == refusal("ledger_not_awaiting", id=i1, status="in_progress")
    assert "整改中" in refusal("ledger_not_awaiting", id=i1, status="in_progress")

    # Resubmitted with a new photo, then closed by the admin (the 验收人).
    assert chat.say("o_m1", f"整改 {i1} 已完成 补拍了清晰照片") == T.EVIDENCE_START.format(id=i1)
    assert image(chat, "o_m1", "MEDIA_3") == T.EVIDENCE_PHOTO.format(id=i1, n=3)
    assert chat.say("o_m1", "提交") == T.SUBMITTED.format(id=i1, evidence="文字说明、照片3张")
    assert chat.say("o_admin", f"销号 {i1}") == T.CLOSED.format(id=i1, unit="星光党支部", verifier="周管理")
    row = item(db, i1)
    assert row.status == "closed" and row.verifier_id == world["admin"].id and row.closed_at is not None
    assert chat.say("o_admin", f"销号 {i1}") == refusal("ledger_closed_already", id=i1)
    assert chat.say("o_m1", f"整改 {i1} 再补充") == refusal("ledger_closed", id=i1)
    assert chat.say("o_m1", "整改") == T.LIST_EMPTY
    wait_for_background()

    # Closing without evidence (no words, no photo) is refused; the secretary answers the owner-less item.
    assert chat.say("o_admin", f"销号 {i2}") == refusal("ledger_close_no_evidence", id=i2)
    assert chat.say("o_sec_a", f"整改 {i2} 已补建") == T.ANSWERED.format(id=i2, what=T.WHAT_PROGRESS)
    assert chat.say("o_sec_a", "提交") == T.NOTHING_TO_SUBMIT
    assert chat.say("o_sec_a", f"整改 {i2} 已完成") == T.EVIDENCE_START.format(id=i2)
    assert chat.say("o_sec_a", "提交") == refusal("ledger_no_evidence", id=i2)  # neither words nor photos
    assert item(db, i2).status == "in_progress"
    assert chat.say("o_sec_a", "取消") == G.CANCELLED_STEPS["rectification.evidence"]

    # 台账: the admin sees the committee's subtree, the secretary the branch.
    figures = chat.say("o_admin", "台账")
    assert figures.splitlines()[0] == T.FIGURES_HEADER.format(name="某区社会组织综合党委")
    assert T.FIGURES_LINE.format(total=2, closed=1, open=1, overdue=0, rate="50%") in figures
    assert "· 星光党支部：2项，销号1，逾期0，整改率50%" in figures
    assert T.FIGURES_LINE.format(total=2, closed=1, open=1, overdue=0, rate="50%") in chat.say("o_sec_a", "台账")
    assert chat.say("o_sec_b", "台账") == T.FIGURES_EMPTY.format(name="阳光党支部")
    assert chat.say("o_m1", "台账") == refusal("ledger_no_scope")


def test_submit_outside_the_step_takes_the_only_item_with_evidence(runner: Any, chat: Chat, db: Session,
                                                                   world: dict[str, Any]) -> None:
    a = world["a"]
    i1 = add(runner, "--branch", str(a.id), "--source", "巡察", "--problem", "发展党员程序不规范",
             "--deadline", "2026-12-31", "--owner", "13900000002")
    assert chat.say("o_m1", f"整改 {i1} 已完成 已重新履行程序") == T.EVIDENCE_START.format(id=i1)
    assert chat.say("o_m1", "取消") == G.CANCELLED_STEPS["rectification.evidence"]
    assert item(db, i1).evidence == "已重新履行程序"  # kept after 取消
    assert chat.say("o_admin", f"销号 {i1}") == refusal("ledger_close_not_submitted", id=i1)
    assert chat.say("o_m1", "提交") == T.SUBMITTED.format(id=i1, evidence="文字说明")
    assert item(db, i1).status == "awaiting_verification"


def test_an_overdue_item_is_flagged(runner: Any, chat: Chat, db: Session, clock: FrozenClock,
                                    world: dict[str, Any]) -> None:
    a = world["a"]
    i1 = add(runner, "--branch", str(a.id), "--source", "年检", "--problem", "党建制度不完善",
             "--deadline", "2026-11-30", "--owner", "13900000002")
    assert "【逾期】" not in chat.say("o_m1", "整改")
    clock.advance(days=8)  # 2026-12-01: the deadline has passed
    listed = chat.say("o_m1", "整改")
    assert f"#{i1} 党建制度不完善｜时限11月30日｜待整改【逾期】" in listed
    assert "逾期1项" in chat.say("o_admin", "台账")
    result = runner.invoke(args=["ledger", "figures", "--committee", str(world["top"].id), "--json"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == '{"total": 1, "open": 1, "overdue": 1, "closed": 0, "rate": 0.0}'


def test_bad_cli_input_is_refused_and_writes_nothing(runner: Any, db: Session, world: dict[str, Any]) -> None:
    a = str(world["a"].id)
    base = ["--problem", "问题", "--deadline", "2026-12-31"]
    assert "问题来源“培训”" in refused(runner, "--branch", a, "--source", "培训", *base)
    assert "已经过去" in refused(runner, "--branch", a, "--source", "检查", "--problem", "问题",
                                "--deadline", "2026-11-22")
    assert "2026-13-01" in refused(runner, "--branch", a, "--source", "检查", "--problem", "问题",
                                   "--deadline", "2026-13-01", code=2)
    assert "12/31/2026" in refused(runner, "--branch", a, "--source", "检查", "--problem", "问题",
                                   "--deadline", "12/31/2026", code=2)
    assert "没有找到" in refused(runner, "--branch", "99999", "--source", "检查", *base)
    assert refusal("ledger_owner_unknown", phone="139****0099") in \
        refused(runner, "--branch", a, "--source", "检查", *base, "--owner", "13900000099")
    assert "请写明问题内容" in refused(runner, "--branch", a, "--source", "检查", "--problem", "  ",
                                     "--deadline", "2026-12-31")
    assert count(db, RectificationItem) == 0
    # Today is still a valid deadline, and the stored key works as well as the word.
    assert add(runner, "--branch", a, "--source", "check", "--problem", "问题", "--deadline", "2026-11-23") > 0
    bad = runner.invoke(args=["ledger", "figures", "--committee", "99999", "--json"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    both = runner.invoke(args=["ledger", "figures", "--json"])
    assert both.exit_code == 1 and refusal("ledger_scope_needed") in both.output


def test_bad_chat_input(runner: Any, chat: Chat, db: Session, world: dict[str, Any]) -> None:
    x = world["x"]
    far = add(runner, "--branch", str(x.id), "--source", "检查", "--problem", "远方的问题",
              "--deadline", "2026-12-31")
    # An item of another committee is not found, for its owner-like members and for admins alike.
    assert chat.say("o_m1", f"整改 {far} 已完成 我做的") == refusal("ledger_item_not_found", id=far)
    assert chat.say("o_admin", f"销号 {far}") == refusal("ledger_item_not_found", id=far)
    assert chat.say("o_admin", "销号 99999999999") == refusal("ledger_item_not_found", id="99999999999")
    assert chat.say("o_admin", "销号") == refusal("ledger_close_usage")
    mine = add(runner, "--branch", str(world["a"].id), "--source", "检查", "--problem", "本支部问题",
               "--deadline", "2026-12-31", "--owner", "13900000002")
    detail = chat.say("o_m1", f"整改 {mine}")
    assert detail.startswith(f"整改事项 #{mine}（星光党支部，检查）\n问题：本支部问题") and "状态：待整改" in detail
    assert chat.say("o_admin", f"整改 {mine}").startswith(f"整改事项 #{mine}")
    assert chat.say("o_adx", f"整改 {mine}") == refusal("ledger_item_not_found", id=mine)
    assert chat.say("o_admin", f"退回整改 {mine}") == refusal("ledger_return_needs_reason")
    assert chat.say("o_admin", f"退回整改 {mine} 不合格") == refusal("ledger_not_awaiting", id=mine, status="pending")
    assert item(db, far).status == "pending" and item(db, mine).status == "pending"
    assert count(db, Notification, Notification.kind == "rectification_returned") == 0


def test_the_deadline_passes_between_days(chat: Chat, clock: FrozenClock, db: Session, world: dict[str, Any],
                                          runner: Any) -> None:
    """Overdue is derived from the local day: the day of the deadline is not overdue yet."""
    i1 = add(runner, "--branch", str(world["a"].id), "--source", "检查", "--problem", "制度不全",
             "--deadline", "2026-11-24", "--owner", "13900000002")
    clock.advance(days=1, hours=14)  # 2026-11-24 23:00 in Shanghai
    assert "【逾期】" not in chat.say("o_m1", "整改")
    clock.advance(hours=1, minutes=1)
    assert f"#{i1} 制度不全｜时限11月24日｜待整改【逾期】" in chat.say("o_m1", "整改")
