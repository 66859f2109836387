"""整改台账, second round: a 年检 item made by the 年检 capability (a social organization without a branch,
answered by its liaison) read in 整改, 台账, the figures and the export; a 验收人 the committee names
(RoleGrant verifier over a committee); the bad inputs found by attacking the commands; the overdue notices
as each recipient reads them, through the dispatcher, the fake WeChat and the notice page, over two weeks of
sweeps (each once, none in quiet hours)."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.config import load, settings_of
from bot.devtools.fake_wechat import FakeWeChat
from bot.infra.clock import FrozenClock
from bot.infra.wechat import wait_for_background
from bot.models import Member, Notification, RectificationItem
from bot.services.errors import ServiceError
from bot.texts import notices as N
from bot.texts import rectification as T
from bot.texts import refusal as word_refusal
from bot.texts import refusals
from tests import factories as f
from tests import wxxml
from tests.conftest import Chat
from tests.sched_util import L, step

SH = ZoneInfo("Asia/Shanghai")
SETTINGS = settings_of(load({"WECHAT_TOKEN": "abc", "APP_MODE": "test", "SECRET_KEY": "k"}))
ORG = "某某市软件行业协会"


def refusal(reason: str, **params: Any) -> str:
    assert reason in refusals()
    return word_refusal(ServiceError(reason, **params), SETTINGS)


def items(db: Session) -> list[RectificationItem]:
    found = list(db.scalars(select(RectificationItem).order_by(RectificationItem.id)
                            .execution_options(populate_existing=True)))
    db.commit()
    return found


def notes(db: Session, kind: str) -> list[Notification]:
    found = list(db.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))
    db.commit()
    return found


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock, fake_wx: FakeWeChat) -> dict[str, Any]:
    app.config["CLOCK"] = clock  # Monday 2026-11-23 09:00 in Shanghai
    top = f.committee(db, name="某区社会组织综合党委")
    other = f.committee(db, name="另一区综合党委")
    a = f.branch(db, top.id, name="星光党支部")
    x = f.branch(db, other.id, name="远方党支部")
    sec = f.secretary(db, a.id, name="李书记", openid="o_sec", phone="13900000001")
    m1 = f.member(db, a.id, name="张三", openid="o_m1", phone="13900000002")
    admin = f.admin(db, top.id, name="周管理", openid="o_admin", phone="13900000005")
    admin_x = f.admin(db, other.id, name="吴管理", openid="o_adx", phone="13900000006")
    org = f.social_org(db, top.id, None, name=ORG)  # covered by no branch
    liaison = f.member(db, None, name="钱联络", openid="o_li", phone="13900000007",
                       roles=(("liaison", "organization", org.id),))
    verifier = f.member(db, None, name="郑验收", openid="o_ver", phone="13900000008",
                        roles=(("verifier", "committee", top.id),))
    fake_wx.media["MEDIA_1"] = b"\xff\xd8\xff\xe0evidence"
    return {"top": top, "other": other, "a": a, "x": x, "sec": sec, "m1": m1, "admin": admin, "admin_x": admin_x,
            "org": org, "liaison": liaison, "verifier": verifier}


def image(chat: Chat, openid: str, media_id: str) -> str:
    reply = chat.send(wxxml.image(openid, media_id))
    return "" if reply is None else str(reply["Content"])


def ok(runner: Any, *args: str) -> str:
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return str(result.output)


def test_an_inspection_item_without_a_branch_everywhere(runner: Any, chat: Chat, db: Session, tmp_path: Path,
                                                        world: dict[str, Any]) -> None:
    """基本合格 recorded by the 年检 capability becomes an item of the organization (no branch), owned by its
    liaison: they see it under 整改 (and in 帮助), answer it with a photo; the admin sees it in 待验收, 台账,
    the figures and the export under the organization's name, and closes it."""
    org, top = world["org"], world["top"]
    ok(runner, "inspection", "record", str(org.id), "--year", "2025", "--filed-supervisor", "2026-03-20",
       "--filed-registrar", "2026-05-20", "--result", "基本合格")
    [row] = items(db)
    assert (row.source, row.organization_id, row.branch_id, row.owner_id, row.committee_id) == \
        ("inspection", org.id, None, world["liaison"].id, top.id)
    assert "· 整改 — 查看我负责的整改事项" in chat.say("o_li", "帮助")
    listed = chat.say("o_li", "整改")
    assert listed.splitlines()[:2] == [T.LIST_HEADER.format(n=1), T.item_line(_view(db, row.id), SETTINGS)]
    assert chat.say("o_li", f"整改 {row.id}").startswith(f"整改事项 #{row.id}（{ORG}，年检）")
    assert chat.say("o_sec", f"整改 {row.id}") == refusal("ledger_item_not_found", id=row.id)  # not their unit
    assert chat.say("o_li", f"整改 {row.id} 已完成 已补齐党建制度并报送") == T.EVIDENCE_START.format(id=row.id)
    assert image(chat, "o_li", "MEDIA_1") == T.EVIDENCE_PHOTO.format(id=row.id, n=1)
    assert chat.say("o_li", "提交") == T.SUBMITTED.format(id=row.id, evidence="文字说明、照片1张")
    wait_for_background()
    assert f"#{row.id} {ORG}：" in chat.say("o_admin", "待验收")
    figures = chat.say("o_admin", "台账")
    assert T.FIGURES_LINE.format(total=1, closed=0, open=1, overdue=0, rate="0%") in figures
    assert f"· {ORG}：1项，销号0，逾期0，整改率0%" in figures and T.NO_BRANCH not in figures
    assert chat.say("o_admin", f"销号 {row.id}") == T.CLOSED.format(id=row.id, unit=ORG, verifier="周管理")
    assert json.loads(ok(runner, "ledger", "figures", "--committee", str(top.id), "--json")) == \
        {"total": 1, "open": 0, "overdue": 0, "closed": 1, "rate": 1.0}
    out = tmp_path / "ledger.xlsx"
    ok(runner, "export", "ledger", "--committee", str(top.id), "--out", str(out))
    wb = load_workbook(out)
    [cells] = [[c.value for c in r] for r in wb["年检"].iter_rows(min_row=2)]
    assert cells[:4] == [row.id, ORG, "年检", row.category] and cells[7] == "钱联络"
    assert cells[9:] == ["已销号", None, "已补齐党建制度并报送；照片1张", "周管理", datetime(2026, 11, 23)]
    summary = [[c.value for c in r] for r in wb["汇总"].iter_rows(min_row=2)]
    assert summary[0] == ["合计", "某区社会组织综合党委", 1, 0, 0, 1, 1]
    assert summary[-1] == ["单位", ORG, 1, 0, 0, 1, 1]  # the organization's name, not a blank unit


def _view(db: Session, item_id: int) -> Any:
    from bot.services.rectification import ledger

    view = ledger.describe(db, ledger.get_item(db, item_id), datetime(2026, 11, 23, 9, tzinfo=SH), SETTINGS)
    db.commit()
    return view


def test_the_cli_adds_an_item_of_an_organization(runner: Any, db: Session, world: dict[str, Any]) -> None:
    org, a = world["org"], world["a"]
    out = ok(runner, "ledger", "add", "--organization", str(org.id), "--source", "年检", "--problem", "换届逾期",
             "--deadline", "2026-12-31", "--owner", "13900000007")
    assert out.startswith(f"已加入整改台账：{ORG} 年检“换届逾期”") and int(out.split()[-1]) == items(db)[0].id
    assert (items(db)[0].organization_id, items(db)[0].branch_id) == (org.id, None)
    # An organization covered by another branch cannot be filed under this one.
    covered = f.social_org(db, world["top"].id, f.branch(db, world["top"].id, name="别的支部").id, name="某协会")
    bad = runner.invoke(args=["ledger", "add", "--branch", str(a.id), "--organization", str(covered.id),
                              "--source", "检查", "--problem", "p", "--deadline", "2026-12-31"])
    assert bad.exit_code == 1 and refusal("ledger_unit_mismatch", organization="某协会", branch="星光党支部") \
        in bad.output
    assert len(items(db)) == 1


@pytest.mark.parametrize("args, code, words", [
    (["--branch", "99999999999999999999"], 1, "没有找到 ID 为 99999999999999999999 的党组织"),
    (["--organization", "99999999999999999999"], 1, "没有找到编号为 99999999999999999999 的社会组织"),
    (["--branch", "0"], 1, "没有找到 ID 为 0 的党组织"),
    ([], 2, T.CLI_UNIT_NEEDED),
])
def test_cli_ids_out_of_range_are_refused(runner: Any, db: Session, world: dict[str, Any], args: list[str],
                                          code: int, words: str) -> None:
    result = runner.invoke(args=["ledger", "add", *args, "--source", "检查", "--problem", "p",
                                 "--deadline", "2026-12-31"])
    assert result.exit_code == code and words in result.output, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert items(db) == []


def test_export_into_a_missing_folder_says_so(runner: Any, tmp_path: Path, world: dict[str, Any]) -> None:
    out = tmp_path / "nowhere" / "ledger.xlsx"
    result = runner.invoke(args=["export", "ledger", "--committee", str(world["top"].id), "--out", str(out)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.strip().startswith(f"Error: 无法写入 {out}") and not out.exists()


def test_a_verifier_named_by_the_committee(chat: Chat, db: Session, runner: Any, world: dict[str, Any]) -> None:
    """RoleGrant(verifier, committee): told of submissions, lists 待验收, closes (as 验收人) and returns items of
    the committee's subtree, and nothing of another committee; an inactive one is refused."""
    a, x = world["a"], world["x"]
    help_text = chat.say("o_ver", "帮助")
    assert "· 销号 编号 — 验收通过，整改事项销号" in help_text and "· 整改 — " not in help_text
    assert chat.say("o_ver", "待验收") == T.AWAITING_EMPTY
    mine = f.rectification(db, world["top"].id, world["m1"].id, date(2026, 12, 31), branch_id=a.id, problem="制度不全")
    far = f.rectification(db, world["other"].id, None, date(2026, 12, 31), branch_id=x.id, problem="远方问题",
                          status="awaiting_verification", evidence="已整改")
    assert chat.say("o_m1", f"整改 {mine.id} 已完成 已建立制度") == T.EVIDENCE_START.format(id=mine.id)
    assert chat.say("o_m1", "提交") == T.SUBMITTED.format(id=mine.id, evidence="文字说明")
    told = {n.recipient_id for n in notes(db, "rectification_submitted")}
    assert told == {world["admin"].id, world["verifier"].id}
    assert chat.say("o_ver", "待验收").splitlines()[:2] == [
        T.AWAITING_HEADER.format(n=1), f"#{mine.id} 星光党支部：制度不全｜佐证：文字说明"]
    assert chat.say("o_ver", f"退回整改 {mine.id} 请附制度文本") == \
        T.RETURNED.format(id=mine.id, unit="星光党支部", reason="请附制度文本")
    assert chat.say("o_m1", f"整改 {mine.id} 已完成 附制度文本") == T.EVIDENCE_START.format(id=mine.id)
    assert chat.say("o_m1", "提交").startswith(f"整改事项 #{mine.id} 已提交验收")
    assert chat.say("o_ver", f"销号 {far.id}") == refusal("ledger_item_not_found", id=far.id)
    assert chat.say("o_ver", f"销号 {mine.id}") == T.CLOSED.format(id=mine.id, unit="星光党支部", verifier="郑验收")
    row = next(i for i in items(db) if i.id == mine.id)
    assert row.status == "closed" and row.verifier_id == world["verifier"].id
    assert next(i for i in items(db) if i.id == far.id).status == "awaiting_verification"
    # A verifier no longer active verifies nothing.
    again = f.rectification(db, world["top"].id, None, date(2026, 12, 31), branch_id=a.id, problem="又一问题",
                            status="awaiting_verification", evidence="已整改")
    db.execute(update(Member).where(Member.id == world["verifier"].id).values(active=False))
    db.commit()
    assert chat.say("o_ver", f"销号 {again.id}") == refusal("ledger_item_not_found", id=again.id)
    assert next(i for i in items(db) if i.id == again.id).status == "awaiting_verification"


def test_attacks_on_the_chat_commands(app: Flask, chat: Chat, db: Session, world: dict[str, Any],
                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    item = f.rectification(db, world["top"].id, world["m1"].id, date(2026, 12, 31), branch_id=world["a"].id,
                           problem="三会一课不规范")
    iid = item.id
    unbound = refusal("ledger_unbound")
    assert "无法签到" not in unbound and "绑定" in unbound
    assert chat.say("o_stranger", "整改") == unbound and chat.say("o_stranger", "台账") == unbound
    for text in ("整改 -1", "整改 #0", "整改 99999999999999999999", "销号 -1"):
        assert chat.say("o_m1", text).startswith("没有找到编号为"), text
    full_width = str(iid).translate({0x30 + d: 0xFF10 + d for d in range(10)})
    assert chat.say("o_m1", f"整改 ＃{full_width}").startswith(f"整改事项 #{iid}（星光党支部")
    # Too long: refused, nothing written; emoji and markup kept as typed.
    assert chat.say("o_m1", f"整改 {iid} " + "长" * 2001) == refusal("ledger_text_too_long", limit=2000)
    assert items(db)[0].status == "pending" and items(db)[0].measures == ""
    odd = "😀 <script>alert(1)</script>'; DROP TABLE rectification_item;--"
    assert chat.say("o_m1", f"整改 {iid} {odd}") == T.ANSWERED.format(id=iid, what=T.WHAT_MEASURES)
    assert items(db)[0].measures == odd
    # A retried message (same MsgId) is answered once: the progress is written once, the reply repeated.
    xml = wxxml.text("o_m1", f"整改 {iid} 已组织两次学习", msgid=wxxml.msg_id())
    first, second = chat.send(xml), chat.send(xml)
    assert first is not None and second is not None and first["Content"] == second["Content"] == \
        T.ANSWERED.format(id=iid, what=T.WHAT_PROGRESS)
    assert items(db)[0].progress == "已组织两次学习"
    # A member of the branch cannot answer someone else's item; an admin of another committee cannot see it.
    assert chat.say("o_sec", f"整改 {iid} 我来") == refusal("ledger_not_owner", id=iid, owner="张三")
    assert chat.say("o_adx", f"退回整改 {iid} 不行") == refusal("ledger_item_not_found", id=iid)
    assert notes(db, "rectification_returned") == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []  # no crash behind any reply


def test_overdue_notices_as_each_recipient_reads_them(app: Flask, db: Session, clock: FrozenClock,
                                                      fake_wx: FakeWeChat, world: dict[str, Any]) -> None:
    """Two weeks of hourly sweeps and dispatches: 7 and 1 days before, then overdue, each once, at 09:00
    (never in quiet hours); the owner is told to act with the command, the admin to urge; an item without an
    owner names its branch's secretary; the fake WeChat takes every template and the page shows the words."""
    long_problem = "三会一课记录不规范，会议记录缺少参会人员签到与讨论要点，组织生活会未按要求开展批评与自我批评"
    owned = f.rectification(db, world["top"].id, world["m1"].id, date(2026, 11, 30), branch_id=world["a"].id,
                            problem=long_problem)
    nobody = f.rectification(db, world["top"].id, None, date(2026, 12, 1), branch_id=world["a"].id,
                             problem="党费台账缺失")
    waiting = f.rectification(db, world["top"].id, world["m1"].id, date(2026, 12, 3), branch_id=world["a"].id,
                              problem="阵地未挂牌", status="awaiting_verification", evidence="已挂牌")
    sent = []
    at = L(2026, 11, 23, 0)
    while at <= L(2026, 12, 6, 23):
        sent += [s for s in step(app, clock, at) if s.kind.startswith("rectification")]
        at += timedelta(hours=1)
    got = sorted((s.at, s.to, s.kind) for s in sent)
    assert got == sorted([
        ("11-23 09:00", "张三", "rectification_due"),  # 7 days before 11-30
        ("11-24 09:00", "李书记", "rectification_due"),  # 7 days before 12-01 (no owner: the secretary)
        ("11-29 09:00", "张三", "rectification_due"),
        ("11-30 09:00", "李书记", "rectification_due"),
        ("12-01 09:00", "张三", "rectification_overdue"), ("12-01 09:00", "周管理", "rectification_overdue"),
        ("12-02 09:00", "李书记", "rectification_overdue"), ("12-02 09:00", "周管理", "rectification_overdue"),
        ("12-04 09:00", "张三", "rectification_overdue"), ("12-04 09:00", "周管理", "rectification_overdue"),
    ])  # the item awaiting verification: no reminder before its deadline (nothing for the owner to do)
    words = {(s.to, s.kind, s.at[:5]): s.text for s in sent}
    assert words[("张三", "rectification_overdue", "12-01")] == N.FLAG_RECTIFICATION_OVERDUE_OWNER.format(
        problem=long_problem[:79] + "…" if len(long_problem) > 80 else long_problem, id=owned.id, deadline="11月30日")
    assert words[("周管理", "rectification_overdue", "12-01")].startswith(f"整改事项“{long_problem[:20]}")
    assert "（张三负责）已于11月30日逾期未销号，请督促整改。" in words[("周管理", "rectification_overdue", "12-01")]
    assert words[("李书记", "rectification_overdue", "12-02")].startswith(
        f"您负责的整改事项“党费台账缺失”（#{nobody.id}）")
    assert words[("周管理", "rectification_overdue", "12-02")] == N.FLAG_RECTIFICATION_OVERDUE.format(
        problem="党费台账缺失", who=N.OVERDUE_SECRETARY, deadline="12月1日")
    assert words[("张三", "rectification_overdue", "12-04")] == N.FLAG_RECTIFICATION_OVERDUE_SUBMITTED.format(
        problem="阵地未挂牌", id=waiting.id, deadline="12月3日")
    # The fake WeChat took each one as a template message within its limits; the page shows the whole text.
    titles = {N.REMIND_RECTIFICATION_TITLE, N.FLAG_RECTIFICATION_OVERDUE_TITLE}
    received = [m for box in fake_wx.inbox.values() for m in box
                if titles & {v["value"] for v in m["data"].values()}]
    assert len(received) == len(sent) and {m["channel"] for m in received} == {"template"}
    assert all(len(v["value"]) <= 20 and "\n" not in v["value"] for m in received for v in m["data"].values())
    client = app.test_client()
    for message in received:
        url = urlsplit(str(message["url"]))
        page = client.get(f"{url.path}?{url.query}")
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert any(s.text in body for s in sent), body
    assert int(db.scalar(select(func.count()).select_from(Notification)
                         .where(Notification.kind.like("rectification%"), Notification.status != "sent")) or 0) == 0
    db.commit()


def test_photos_before_rectification(chat: Chat, db: Session, fake_wx: FakeWeChat, runner: Any, tmp_path: Path,
                                     world: dict[str, Any]) -> None:
    """佐证材料 before and after: 整改 <id> 整改前 takes photos of the problem as it was; they are no evidence of
    the work done (提交 still needs words or a photo sent with 已完成); the export counts both."""
    fake_wx.media["MEDIA_0"] = b"\xff\xd8\xff\xe0before"
    iid = f.rectification(db, world["top"].id, world["m1"].id, date(2026, 12, 31), branch_id=world["a"].id,
                          problem="阵地未挂牌", source="check").id
    assert chat.say("o_sec", f"整改 {iid} 整改前") == refusal("ledger_not_owner", id=iid, owner="张三")
    assert chat.say("o_m1", f"整改 {iid} 整改前") == T.BEFORE_START.format(id=iid)
    assert image(chat, "o_m1", "MEDIA_0") == T.BEFORE_PHOTO.format(id=iid, n=1)
    assert image(chat, "o_m1", "MEDIA_0") == T.BEFORE_PHOTO_AGAIN.format(id=iid, n=1)
    assert chat.say("o_m1", "好了") == T.BEFORE_DONE.format(id=iid, n=1)
    assert "佐证材料：整改前照片1张" in chat.say("o_m1", f"整改 {iid}")
    assert chat.say("o_m1", "提交") == T.NOTHING_TO_SUBMIT  # a photo of the problem proves no work done
    assert chat.say("o_m1", f"整改 {iid} 已完成") == T.EVIDENCE_START.format(id=iid)
    assert image(chat, "o_m1", "MEDIA_1") == T.EVIDENCE_PHOTO.format(id=iid, n=1)
    assert chat.say("o_m1", "提交") == T.SUBMITTED.format(id=iid, evidence="照片1张")
    wait_for_background()
    assert chat.say("o_admin", f"销号 {iid}").startswith(f"整改事项 #{iid}（星光党支部）已销号")
    assert chat.say("o_m1", f"整改 {iid} 整改前") == refusal("ledger_closed", id=iid)
    out = tmp_path / "ledger.xlsx"
    ok(runner, "export", "ledger", "--committee", str(world["top"].id), "--out", str(out))
    [cells] = [[c.value for c in r] for r in load_workbook(out)["检查"].iter_rows(min_row=2)]
    assert cells[0] == iid and cells[11] == "整改前照片1张；照片1张"


def test_an_inspection_item_of_an_organization_with_a_branch(runner: Any, chat: Chat, db: Session, tmp_path: Path,
                                                             world: dict[str, Any]) -> None:
    """The organization is the unit inspected, its branch answers: 单位 names both; the figures count it under
    the branch; the branch's secretary owns it."""
    top, a = world["top"], world["a"]
    covered = f.social_org(db, top.id, a.id, name="星光社工服务中心")
    ok(runner, "inspection", "record", str(covered.id), "--year", "2025", "--filed-supervisor", "2026-03-20",
       "--filed-registrar", "2026-05-20", "--result", "不合格")
    [row] = items(db)
    assert (row.branch_id, row.organization_id, row.owner_id) == (a.id, covered.id, world["sec"].id)
    assert chat.say("o_sec", f"整改 {row.id}").startswith(f"整改事项 #{row.id}（星光社工服务中心（星光党支部），年检）")
    assert "· 星光党支部：1项，销号0，逾期0，整改率0%" in chat.say("o_admin", "台账")
    assert T.FIGURES_LINE.format(total=1, closed=0, open=1, overdue=0, rate="0%") in chat.say("o_sec", "台账")
    f.committee_member(db, a.id, name="孙支委", openid="o_cm")  # 支委 read their branch's ledger too
    assert "· 台账 — 整改台账：问题数、逾期、整改率" in chat.say("o_cm", "帮助")
    assert chat.say("o_cm", "台账").startswith(T.FIGURES_HEADER.format(name="星光党支部"))
    out = tmp_path / "ledger.xlsx"
    ok(runner, "export", "ledger", "--committee", str(top.id), "--out", str(out))
    [cells] = [[c.value for c in r] for r in load_workbook(out)["年检"].iter_rows(min_row=2)]
    assert cells[:3] == [row.id, "星光社工服务中心（星光党支部）", "年检"] and cells[7] == "李书记"
