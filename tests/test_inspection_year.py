"""年检 of issue 15: an inspection year for several organizations recorded through the CLI, the figures of
`inspection status --json` against hand-computed numbers, a 基本合格 becoming one ledger item (and not twice,
also under concurrent recorders on PostgreSQL), 换届 flagged and reminded once per term end, chat `年检`, and
every bad input refused with a clear message, a non-zero exit and nothing written."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.infra.clock import FrozenClock
from bot.models import AnnualInspection, Notification, RectificationItem, SocialOrg
from bot.services.authz import Operator
from bot.services.inspection import filing, reminders
from bot.texts import render
from scheduler.sweeps.inspection import sweep_inspection
from tests import factories as f
from tests.conftest import Chat

CITY = "某市民政局"  # its own deadlines: 3月15日 to the supervising unit, 4月10日 to the registrar
NOW = datetime(2026, 4, 20, 1, 0, tzinfo=UTC)  # 2026-04-20 09:00 in Shanghai


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"INSPECTION_DEADLINES": {CITY: {"supervisor": "03-15", "registrar": "04-10"}}}


@pytest.fixture
def world(app: Flask, db: Session) -> dict[str, Any]:
    app.config["CLOCK"] = FrozenClock(NOW)
    db.expire_on_commit = False  # the objects below stay readable without a query (SQLite: no lock held)
    c = f.committee(db, name="某区社会组织综合党委")
    c2 = f.committee(db, name="某街道社会组织党委", parent_id=c.id)
    other = f.committee(db, name="另一区综合党委")
    w: dict[str, Any] = {"c": c, "c2": c2, "other": other}
    for key in ("a", "b", "cc", "e", "f", "g"):
        w[f"br_{key}"] = f.branch(db, (c2 if key == "e" else other if key == "g" else c).id, name=f"{key}协会党支部")
        w[f"sec_{key}"] = f.secretary(db, w[f"br_{key}"].id, name=f"书记{key}", openid=f"o_sec_{key}")
    w["a"] = f.social_org(db, c.id, w["br_a"].id, name="甲协会", board_term_ends=date(2030, 6, 1))
    w["b"] = f.social_org(db, c.id, w["br_b"].id, name="乙协会", board_term_ends=date(2025, 12, 1))  # ended
    w["cc"] = f.social_org(db, c.id, w["br_cc"].id, name="丙协会")
    w["d"] = f.social_org(db, c.id, None, name="丁基金会", registrar=CITY, board_term_ends=date(2026, 7, 19))
    w["e"] = f.social_org(db, c2.id, w["br_e"].id, name="戊协会", board_term_ends=date(2026, 6, 30))
    w["f"] = f.social_org(db, c.id, w["br_f"].id, name="己服务中心")
    w["g"] = f.social_org(db, other.id, w["br_g"].id, name="庚协会")  # another committee: not counted
    w["liaison_d"] = f.member(db, None, name="联络员丁", openid="o_liaison_d",
                              roles=(("liaison", "organization", w["d"].id),))
    w["admin"] = f.admin(db, c.id, name="管理员", openid="o_admin")
    w["plain"] = f.member(db, w["br_a"].id, name="普通党员", openid="o_plain")
    return w


def read(db: Session, stmt: Any) -> Any:
    """One value read fresh, the read ended (SQLite: hold no lock the CLI's writer waits for)."""
    found = db.scalar(stmt.execution_options(populate_existing=True))
    db.commit()
    return found


def cli(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["inspection", *args])


def ok(runner: Any, *args: str) -> str:
    res = cli(runner, *args)
    assert res.exit_code == 0, res.output
    return str(res.output)


def record_year(runner: Any, w: dict[str, Any]) -> None:
    ok(runner, "record", str(w["a"].id), "--year", "2025", "--filed-supervisor", "2026-03-20",
       "--filed-registrar", "2026-04-10", "--party-section-filed", "--result", "合格")
    ok(runner, "record", str(w["b"].id), "--year", "2025", "--filed-supervisor", "2026-03-25",
       "--filed-registrar", "2026-04-15", "--result", "基本合格")
    ok(runner, "record", str(w["cc"].id), "--year", "2025", "--filed-supervisor", "2026-03-30",
       "--party-section-filed")
    ok(runner, "record", str(w["f"].id), "--year", "2025", "--filed-registrar", "2026-04-18")  # no supervisor


def test_an_inspection_year_in_figures(runner: Any, db: Session, world: dict[str, Any]) -> None:
    w = world
    record_year(runner, w)
    data = json.loads(ok(runner, "status", "--committee", str(w["c"].id), "--year", "2025", "--json"))
    # Hand-computed: 6 organizations in the committee and the one below it (庚协会 is another committee's);
    # filed to the registrar: 甲, 乙, 己 (3); passed (合格): 甲; overdue: 丁 (its registrar's 4月10日 passed,
    # nothing filed) and 戊 (3月31日 passed, nothing filed).
    assert {k: data[k] for k in ("required", "filed", "participation_rate", "passed", "pass_rate", "overdue")} == {
        "required": 6, "filed": 3, "participation_rate": 0.5, "passed": 1, "pass_rate": 0.3333, "overdue": 2}
    orgs = {o["name"]: o for o in data["organizations"]}
    assert set(orgs) == {"甲协会", "乙协会", "丙协会", "丁基金会", "戊协会", "己服务中心"}
    assert {n: (o["status"], o["result"], o["party_section_filed"]) for n, o in orgs.items()} == {
        "甲协会": ("合格", "合格", True), "乙协会": ("基本合格", "基本合格", False),
        "丙协会": ("已提交主管单位", None, True), "丁基金会": ("未参检", None, False),
        "戊协会": ("未提交", None, False), "己服务中心": ("已提交登记机关", None, False)}
    assert {n: (o["term_ends"], o["board_term_due"]) for n, o in orgs.items()} == {
        "甲协会": ("2030-06-01", False), "乙协会": ("2025-12-01", True), "丙协会": (None, False),
        "丁基金会": ("2026-07-19", True), "戊协会": ("2026-06-30", True), "己服务中心": (None, False)}
    for o in data["organizations"]:
        assert set(o) >= {"id", "name", "status", "result", "party_section_filed", "term_ends"}
    assert orgs["丁基金会"]["registrar_deadline"] == "2026-04-10"  # its registrar's own deadline
    # The sub-committee alone: only 戊 (nothing filed, overdue); rates of nothing filed are null.
    sub = json.loads(ok(runner, "status", "--committee", str(w["c2"].id), "--year", "2025", "--json"))
    assert {k: sub[k] for k in ("required", "filed", "participation_rate", "passed", "pass_rate", "overdue")} == {
        "required": 1, "filed": 0, "participation_rate": 0.0, "passed": 0, "pass_rate": None, "overdue": 1}
    text = ok(runner, "status", "--committee", str(w["c"].id), "--year", "2025")
    assert "应参检6家，已参检3家（参检率50%），合格1家（合格率33.3%），逾期2家" in text
    assert "乙协会｜基本合格｜党建工作情况未报送｜换届：2025年12月1日届满（须换届）" in text
    # Rows were opened only for the organizations recorded (status reads, it does not write).
    assert read(db, select(func.count()).select_from(AnnualInspection)) == 4


def test_record_prints_the_row_and_reads_back(runner: Any, db: Session, world: dict[str, Any]) -> None:
    out = ok(runner, "record", str(world["cc"].id), "--year", "2025", "--filed-supervisor", "2026-03-30")
    row = read(db, select(AnnualInspection).where(AnnualInspection.organization_id == world["cc"].id))
    assert row is not None and row.supervisor_filed_on == date(2026, 3, 30) and row.year == 2025
    assert (row.supervisor_deadline, row.registrar_deadline) == (date(2026, 3, 31), date(2026, 5, 31))
    assert "已开启丙协会2025年度年检记录" in out
    last = out.strip().splitlines()[-1]
    assert "已提交主管单位" in last and last.endswith(f"年检记录编号 {row.id}")
    # Only what is given changes; the second call opens nothing.
    out = ok(runner, "record", str(world["cc"].id), "--year", "2025", "--party-section-filed")
    assert "已开启" not in out
    row = read(db, select(AnnualInspection).where(AnnualInspection.id == row.id))
    assert row is not None and row.party_section_filed and row.supervisor_filed_on == date(2026, 3, 30)


def _items(db: Session, org_id: int) -> list[RectificationItem]:
    found = list(db.scalars(select(RectificationItem).where(RectificationItem.organization_id == org_id)
                            .execution_options(populate_existing=True)))
    db.commit()
    return found


def test_a_basic_pass_becomes_one_ledger_item(runner: Any, db: Session, world: dict[str, Any]) -> None:
    w = world
    out = ok(runner, "record", str(w["b"].id), "--year", "2025", "--filed-supervisor", "2026-03-25",
             "--filed-registrar", "2026-04-15", "--result", "基本合格")
    row = read(db, select(AnnualInspection).where(AnnualInspection.organization_id == w["b"].id))
    assert row is not None and row.result == "basic_pass" and row.result_on == date(2026, 4, 20)
    [item] = _items(db, w["b"].id)
    assert (item.source, item.source_id, item.branch_id, item.committee_id) == ("inspection", row.id, w["br_b"].id,
                                                                                 w["c"].id)
    assert item.deadline == date(2026, 6, 19)  # 4月20日 + INSPECTION_RECTIFY_DAYS (60)
    assert item.owner_id == w["sec_b"].id and item.status == "pending" and item.found_on == date(2026, 4, 20)
    assert "2025年度年检结论为基本合格" in item.problem
    assert f"已列入整改台账：编号 {item.id}，整改时限 2026年6月19日" in out
    # The same result again, then a harsher one: still one item.
    out = ok(runner, "record", str(w["b"].id), "--year", "2025", "--result", "基本合格")
    assert f"整改台账中已有该年检的整改事项（编号 {item.id}），未重复列入" in out
    ok(runner, "record", str(w["b"].id), "--year", "2025", "--result", "不合格")
    assert [i.id for i in _items(db, w["b"].id)] == [item.id]
    assert read(db, select(AnnualInspection.result).where(AnnualInspection.id == row.id)) == "fail"
    # 合格 creates nothing; an organization without a branch: its liaison owns the item.
    ok(runner, "record", str(w["a"].id), "--year", "2025", "--filed-registrar", "2026-04-10", "--result", "合格")
    assert _items(db, w["a"].id) == []
    ok(runner, "record", str(w["d"].id), "--year", "2025", "--filed-registrar", "2026-04-12", "--result", "不合格")
    [d_item] = _items(db, w["d"].id)
    assert d_item.owner_id == w["liaison_d"].id and d_item.branch_id is None


@pytest.mark.services
def test_concurrent_recorders_of_a_poor_result_add_one_item(app: Flask, db: Session, world: dict[str, Any]) -> None:
    """N recorders at once on PostgreSQL: the result changes once, one ledger item."""
    w, n = world, 8
    settings: Any = app.config
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def go(i: int) -> None:
        try:
            with app.app_context(), app.extensions["db"].transaction() as session:
                barrier.wait()
                results.append(filing.record(
                    session, actor=Operator(who="test"), organization_id=w["b"].id, year=2025,
                    filed_supervisor=date(2026, 3, 25), filed_registrar=date(2026, 4, 15), party_section_filed=None,
                    result="基本合格" if i % 2 else "不合格", now=NOW, settings=settings))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(1 for r in results if r.ledger_item_created) == 1
    assert len(_items(db, w["b"].id)) == 1
    assert read(db, select(func.count()).select_from(AnnualInspection)
                     .where(AnnualInspection.organization_id == w["b"].id)) == 1


@pytest.mark.parametrize(("args", "code", "said"), [
    (["record", "999999", "--year", "2025"], 1, "没有找到编号为 999999 的社会组织"),
    (["record", "{cc}", "--year", "2026"], 1, "2026年度的年检尚未开始或年份有误"),
    (["record", "{cc}", "--year", "1999"], 1, "1999年度的年检尚未开始或年份有误"),
    (["record", "{cc}", "--year", "2025", "--filed-supervisor", "2026-13-01"], 2, "2026-13-01"),
    (["record", "{cc}", "--year", "2025", "--filed-registrar", "2026/04/01"], 2, "2026/04/01"),
    (["record", "{cc}", "--year", "2025", "--filed-registrar", "2026-04-21"], 1,
     "报送登记管理机关的日期 2026年4月21日 还没到"),
    (["record", "{cc}", "--year", "2025", "--filed-supervisor", "2025-12-30"], 1,
     "报送业务主管单位的日期 2025年12月30日 早于2025年度年检的报送期（2026年1月1日起）"),
    (["record", "{cc}", "--year", "2025", "--filed-supervisor", "2026-03-30", "--filed-registrar", "2026-03-01"], 1,
     "报送登记管理机关的日期（2026年3月1日）早于报送业务主管单位的日期（2026年3月30日）"),
    (["record", "{cc}", "--year", "2025", "--result", "优秀"], 2, "优秀"),
    (["record", "{cc}", "--year", "2025", "--filed-supervisor", "2026-03-30", "--result", "合格"], 1,
     "2025年度年检报告尚未登记报送登记管理机关，不能登记年检结论"),
    (["record", "{cc}"], 2, "--year"),
    (["status", "--committee", "999999", "--year", "2025"], 1, "999999"),
    (["status", "--committee", "{c}", "--year", "2027"], 1, "2027年度的年检尚未开始"),
    (["draft", "999999", "--year", "2025", "--out", "{tmp}/x.docx"], 1, "没有找到编号为 999999 的社会组织"),
    (["draft", "{cc}", "--year", "2025", "--out", "{tmp}/x.txt"], 2, ".docx"),
    # numbers out of any range: a refusal, never a traceback (OverflowError, PostgreSQL's integer out of range)
    (["record", "99999999999999999999", "--year", "2025"], 1, "没有找到编号为 99999999999999999999 的社会组织"),
    (["record", "{cc}", "--year", "99999"], 1, "99999年度的年检尚未开始或年份有误"),
    (["record", "{cc}", "--year", "99999999999999999999"], 1, "年度的年检尚未开始或年份有误"),
    (["status", "--committee", "99999999999999999999", "--year", "2025"], 1, "99999999999999999999"),
    (["status", "--committee", "{c}", "--year", "9999"], 1, "9999年度的年检尚未开始或年份有误"),
    (["draft", "99999999999999999999", "--year", "2025", "--out", "{tmp}/x.docx"], 1, "没有找到编号为"),
    (["draft", "{cc}", "--year", "99999", "--out", "{tmp}/x.docx"], 1, "99999年度的年检尚未开始"),
    (["draft", "{cc}", "--year", "2025", "--out", "{tmp}/missing/x.docx"], 1, "无法写入"),
])
def test_bad_input_is_refused_and_writes_nothing(runner: Any, db: Session, world: dict[str, Any], tmp_path: Any,
                                                 args: list[str], code: int, said: str) -> None:
    filled = [a.format(cc=world["cc"].id, c=world["c"].id, tmp=tmp_path) for a in args]
    res = cli(runner, *filled)
    assert res.exit_code == code, res.output
    assert said in res.output
    assert "Traceback" not in res.output
    assert read(db, select(func.count()).select_from(AnnualInspection)) == 0
    assert read(db, select(func.count()).select_from(RectificationItem)) == 0


def test_a_refusal_after_the_row_existed_changes_nothing(runner: Any, db: Session, world: dict[str, Any]) -> None:
    ok(runner, "record", str(world["cc"].id), "--year", "2025", "--filed-supervisor", "2026-03-30")
    res = cli(runner, "record", str(world["cc"].id), "--year", "2025", "--party-section-filed",
              "--filed-registrar", "2026-03-29")
    assert res.exit_code == 1 and "早于报送业务主管单位的日期" in res.output
    row = read(db, select(AnnualInspection))
    assert row is not None and not row.party_section_filed and row.registrar_filed_on is None


# -- 换届 and reminders ----------------------------------------------------------------------------
def _sent(db: Session, kind: str) -> list[Notification]:
    found = list(db.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)
                            .execution_options(populate_existing=True)))
    db.commit()
    return found


def test_board_terms_are_reminded_once_per_term_end(app: Flask, db: Session, world: dict[str, Any]) -> None:
    w = world
    settings: Any = app.config
    with app.app_context(), app.extensions["db"].transaction() as session:
        sweep_inspection(session, NOW, settings)
    sent = _sent(db, "board_term_due")
    # 乙 (ended), 丁 (ends in 90 days: to its liaison, no branch), 戊 (ends in 71 days); 甲 (2030) is not due.
    assert sorted((n.recipient_id, n.subject_id) for n in sent) == sorted([
        (w["sec_b"].id, w["b"].id), (w["liaison_d"].id, w["d"].id), (w["sec_e"].id, w["e"].id)])
    by_org = {n.subject_id: render("board_term_due", n.payload, settings).text for n in sent}
    assert by_org[w["e"].id] == "戊协会理事会任期将于2026年6月30日届满（还有71天），请提前做好换届准备并按期换届。"
    assert by_org[w["b"].id] == "乙协会理事会任期已于2025年12月1日届满，尚未换届，请尽快组织换届。"
    with app.app_context(), app.extensions["db"].transaction() as session:  # the next sweep: nothing new
        sweep_inspection(session, NOW, settings)
        assert reminders.board_terms_due(session, NOW, settings) == []
    assert len(_sent(db, "board_term_due")) == 3
    # A new term end (the board was re-elected, the next term already due): reminded again.
    org = db.get(SocialOrg, w["b"].id)
    assert org is not None
    org.board_term_ends = date(2026, 5, 1)
    db.commit()
    with app.app_context(), app.extensions["db"].transaction() as session:
        sweep_inspection(session, NOW, settings)
    assert len(_sent(db, "board_term_due")) == 4


def test_the_sweep_opens_the_season_and_reminds_before_deadlines(app: Flask, db: Session,
                                                                 world: dict[str, Any]) -> None:
    w = world
    settings: Any = app.config
    at = datetime(2026, 5, 24, 1, 0, tzinfo=UTC)  # 7 days before 5月31日
    ok_rows = {w["a"].id: date(2026, 5, 20)}
    with app.app_context(), app.extensions["db"].transaction() as session:
        filing.record(session, actor=Operator(who="t"), organization_id=w["a"].id, year=2025, filed_supervisor=None,
                      filed_registrar=ok_rows[w["a"].id], party_section_filed=None, result=None, now=at,
                      settings=settings)
    with app.app_context(), app.extensions["db"].transaction() as session:
        sweep_inspection(session, at, settings)
    assert read(db, select(func.count()).select_from(AnnualInspection).where(AnnualInspection.year == 2025)) == 7
    due = [(n.recipient_id, n.subject_id, n.slot) for n in _sent(db, "inspection_due")]
    # Every organization not filed with the registrar, its deadline 7 days away (丁's 4月10日 has passed):
    # 乙, 丙, 戊, 己 and 庚, to their secretaries; 甲 filed.
    rows = {r.organization_id: r.id for r in db.scalars(select(AnnualInspection))}
    assert sorted(due) == sorted((w[f"sec_{k}"].id, rows[w[k].id], "registrar:d7") for k in ("b", "cc", "e", "f", "g"))


# -- chat: 年检 -------------------------------------------------------------------------------------
def test_chat_status_for_the_secretary_and_the_liaison(runner: Any, chat: Chat, world: dict[str, Any]) -> None:
    record_year(runner, world)
    said = chat.say("o_sec_b", "年检")
    assert said.startswith("2025年度年检（报告于2026年报送）：")
    assert f"【乙协会】编号 {world['b'].id}：基本合格" in said
    assert "报送业务主管单位：已于2026年3月25日报送（截止2026年3月31日）" in said
    assert "年检结论：基本合格（2026年4月20日）" in said
    assert "换届：理事会任期已于2025年12月1日届满，请尽快换届" in said
    said = chat.say("o_sec_e", "年检")
    assert f"【戊协会】编号 {world['e'].id}：未提交" in said
    assert "报送业务主管单位：截止2026年3月31日，已逾期20天" in said
    assert "报送登记管理机关：截止2026年5月31日，还有41天" in said
    assert "党建工作情况（双提交）：未报送" in said
    assert "换届：理事会任期2026年6月30日届满，请及时换届" in said
    said = chat.say("o_liaison_d", "年检2025")
    assert f"【丁基金会】编号 {world['d'].id}：未参检" in said and "已逾期10天" in said
    said = chat.say("o_sec_cc", "年检")
    assert "已提交主管单位" in said and "党建工作情况（双提交）：已报送" in said


def test_chat_refusals(chat: Chat, world: dict[str, Any]) -> None:
    assert chat.say("o_plain", "年检") == "没有找到您负责的社会组织。年检由社会组织所在支部的书记或联络员查看。"
    assert chat.say("o_sec_a", "年检 2026").startswith("2026年度的年检尚未开始或年份有误")
    assert "你没有权限" in chat.say("o_sec_a", f"年检材料 {world['g'].id}")  # another committee's organization
    assert "你没有权限" in chat.say("o_sec_a", f"年检材料 {world['b'].id}")  # another branch's
    assert chat.say("o_sec_a", "年检材料 999999") == "没有找到编号为 999999 的社会组织。"
    assert chat.say("o_plain", "年检材料").startswith("没有找到您负责的社会组织")


USAGE = "请这样查看：“年检材料 社会组织编号”，可再加年度，例如“年检材料 12 2025年度”；编号可回复“年检”查看。"


@pytest.mark.parametrize("text", ["年检材料 abc", "年检材料 #0", "年检材料 -1", "年检材料 99999999999999999999",
                                  "年检材料 <script>alert(1)</script>", "年检材料 '; drop table x;--", "年检材料 😀",
                                  "年检材料 " + "长" * 2000, "年检材料 1 2"])
def test_chat_material_bad_numbers_get_the_usage(chat: Chat, world: dict[str, Any], text: str) -> None:
    assert chat.say("o_sec_a", text) == USAGE  # never the 2,000 characters echoed back


def test_chat_material_by_number_and_year(runner: Any, chat: Chat, world: dict[str, Any]) -> None:
    a = world["a"].id
    said = chat.say("o_sec_a", "年检材料")
    assert said.startswith("甲协会2025年度党建工作情况")
    assert chat.say("o_sec_a", f"年检材料＃{a}") == said  # full-width, no space
    assert chat.say("o_sec_a", f"年检材料 {a} 2025年度") == said
    assert chat.say("o_sec_a", f"年检材料#{a} 2025年度") == said
    assert chat.say("o_sec_a", "年检材料2025年度") == said
    assert chat.say("o_sec_a", f"年检材料 {a}\n2025年度") == said
    assert chat.say("o_sec_a", "年检材料 2025年") == said
    assert chat.say("o_sec_a", f"年检材料 {a} 2024年度").startswith("甲协会2024年度党建工作情况")
    assert chat.say("o_sec_a", "年检材料 2026年度").startswith("2026年度的年检尚未开始或年份有误")
    assert chat.say("o_sec_a", "年检 ２０２５").startswith("2025年度年检（报告于2026年报送）：")
    assert chat.say("o_sec_a", "年检 9999").startswith("9999年度的年检尚未开始或年份有误")
    assert chat.say("o_sec_a", "年检材料 9999年度").startswith("9999年度的年检尚未开始或年份有误")
    # Committee staff answer for no organization of their own: the usage, and 年检 tells them how.
    assert chat.say("o_admin", "年检材料") == USAGE
    assert chat.say("o_admin", "年检").endswith("回复“年检材料 编号”查看某个社会组织的党建工作情况草稿。")


def test_help_shows_inspection_to_its_roles_only(chat: Chat, world: dict[str, Any]) -> None:
    # (a secretary's menu is longer than one WeChat reply: see the report; the liaison's and admin's fit)
    for who in ("o_liaison_d", "o_admin"):
        said = chat.say(who, "帮助")
        assert "· 年检 — 所负责社会组织的年检状态和截止日期" in said, who
        assert "· 年检材料 — 年检党建工作情况草稿" in said, who
    assert "年检" not in chat.say("o_plain", "帮助")


def test_chat_status_for_committee_staff(runner: Any, chat: Chat, world: dict[str, Any]) -> None:
    record_year(runner, world)
    said = chat.say("o_admin", "年检")
    lines = said.splitlines()
    assert lines[0] == ("某区社会组织综合党委2025年度年检：应参检6家，已参检3家（参检率50%），合格1家（合格率33.3%），"
                        "逾期2家。")
    assert f"#{world['d'].id} 丁基金会：未参检（逾期）（须换届）" in lines
    assert f"#{world['a'].id} 甲协会：合格" in lines
    assert "庚协会" not in said
    # An admin reads any organization's draft of their committee by its number, not another committee's.
    assert chat.say("o_admin", f"年检材料 {world['a'].id}").startswith("甲协会2025年度党建工作情况")
    assert "你没有权限" in chat.say("o_admin", f"年检材料 {world['g'].id}")


def test_no_supervisor_reminder_once_the_registrar_has_the_report(app: Flask, db: Session,
                                                                  world: dict[str, Any]) -> None:
    w = world
    settings: Any = app.config
    at = datetime(2026, 3, 24, 1, 0, tzinfo=UTC)  # 7 days before 3月31日
    with app.app_context(), app.extensions["db"].transaction() as session:
        filing.record(session, actor=Operator(who="t"), organization_id=w["f"].id, year=2025, filed_supervisor=None,
                      filed_registrar=date(2026, 3, 20), party_section_filed=None, result=None, now=at,
                      settings=settings)
        filing.record(session, actor=Operator(who="t"), organization_id=w["cc"].id, year=2025,
                      filed_supervisor=date(2026, 3, 20), filed_registrar=None, party_section_filed=None, result=None,
                      now=at, settings=settings)
    with app.app_context(), app.extensions["db"].transaction() as session:
        sweep_inspection(session, at, settings)
    reminded = {n.subject_id for n in _sent(db, "inspection_due") if n.slot == "supervisor:d7"}
    rows = {r.organization_id: r.id for r in db.scalars(select(AnnualInspection))}
    db.commit()
    # 己 filed with the registrar directly, 丙 with its supervising unit; 丁's registrar wants it by 3月15日.
    assert reminded == {rows[w[k].id] for k in ("a", "b", "e", "g")}


def test_a_member_who_left_is_not_reminded(app: Flask, db: Session, world: dict[str, Any]) -> None:
    w = world
    settings: Any = app.config
    gone = f.secretary(db, w["br_e"].id, name="原书记", openid="o_gone", active=False)
    at = datetime(2026, 5, 24, 1, 0, tzinfo=UTC)  # 7 days before 5月31日
    with app.app_context(), app.extensions["db"].transaction() as session:
        sweep_inspection(session, at, settings)
    to = {n.recipient_id for n in _sent(db, "inspection_due") + _sent(db, "board_term_due")}
    assert w["sec_e"].id in to and gone.id not in to


def test_many_organizations_fit_one_reply(runner: Any, chat: Chat, db: Session, world: dict[str, Any]) -> None:
    """A joint branch of several organizations with long names: 年检 turns to one line each, all in one
    reply (WeChat: 2,048 bytes); committee staff get as many lines as fit and a count of the rest."""
    w = world
    long = "某区星光社会工作服务中心暨社区志愿者联合会第{n}分会"
    extra = [f.social_org(db, w["c"].id, w["br_a"].id, name=long.format(n=n)) for n in range(6)]
    said = chat.say("o_sec_a", "年检")
    assert len(said.encode()) <= 2048 and "内容过长" not in said
    lines = said.splitlines()
    assert lines[1] == f"【甲协会】编号 {w['a'].id}：未提交｜主管单位逾期20天｜登记机关还有41天｜双提交未报送"
    assert lines[2] == (f"【{extra[0].name}】编号 {extra[0].id}："
                        "未提交｜主管单位逾期20天｜登记机关还有41天｜双提交未报送")
    assert len(lines) == 9 and lines[-1] == "回复“年检材料 编号”查看党建工作情况草稿。"
    for n in range(40):
        f.social_org(db, w["c"].id, None, name=long.format(n=n + 10))
    said = chat.say("o_admin", "年检")
    assert len(said.encode()) <= 2048 and "内容过长" not in said
    shown = [x for x in said.splitlines() if x.startswith("#")]
    assert f"……另有{52 - len(shown)}家，完整名单请由管理员导出（inspection status）。" in said
    assert said.startswith("某区社会组织综合党委2025年度年检：应参检52家")
