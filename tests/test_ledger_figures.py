"""整改台账's figures (one service call, the CLI's JSON and 台账), the xlsx export read back with openpyxl,
and the reminders the sweep writes before and after an item's deadline."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import settings_of
from bot.infra.clock import FrozenClock
from bot.models import Attachment, Notification
from bot.services.authz import Operator
from bot.services.errors import PermissionDenied
from bot.services.rectification import figures as F
from bot.texts import render
from scheduler.sweeps import sweep_rectification
from tests import factories as f

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
TODAY = date(2026, 11, 23)


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    """Five items under the top committee (one in a committee below it), one elsewhere:
    A: review closed; review in_progress overdue; inspection pending (on time)
    B (sub-committee): check closed; patrol awaiting verification, overdue.
    X (another committee): one check item, never counted."""
    app.config["CLOCK"] = clock
    top = f.committee(db, name="某区社会组织综合党委")
    sub = f.committee(db, name="某街道综合党委", parent_id=top.id)
    other = f.committee(db, name="另一区综合党委")
    a = f.branch(db, top.id, name="星光党支部")
    b = f.branch(db, sub.id, name="阳光党支部")
    x = f.branch(db, other.id, name="远方党支部")
    sec_a = f.secretary(db, a.id, name="李书记", openid="o_sec_a")
    owner = f.member(db, a.id, name="张三", openid="o_m1")
    admin = f.admin(db, top.id, name="周管理", openid="o_admin")
    closed_at = datetime(2026, 11, 20, 10, 0, tzinfo=SH)
    items = [
        f.rectification(db, top.id, owner.id, date(2026, 12, 31), branch_id=a.id, source="review",
                        problem="三会一课不规范", category="组织生活", found_on=date(2026, 3, 1), measures="每月一次",
                        status="closed", evidence="已规范", closed_at=closed_at, verifier_id=admin.id),
        f.rectification(db, top.id, owner.id, date(2026, 11, 20), branch_id=a.id, source="review",
                        problem="党费台账缺失", found_on=date(2026, 3, 1), status="in_progress", progress="补建中"),
        f.rectification(db, top.id, None, date(2026, 12, 15), branch_id=a.id, source="inspection",
                        problem="党建制度不完善", found_on=date(2026, 6, 1)),
        f.rectification(db, sub.id, None, date(2026, 12, 1), branch_id=b.id, source="check", problem="阵地未挂牌",
                        status="closed", evidence="已挂牌", closed_at=closed_at, verifier_id=admin.id),
        f.rectification(db, sub.id, None, date(2026, 11, 10), branch_id=b.id, source="patrol",
                        problem="发展党员程序不规范", status="awaiting_verification", evidence="已整改"),
        f.rectification(db, other.id, None, date(2026, 11, 1), branch_id=x.id, source="check", problem="远方问题"),
    ]
    for media in ("M1", "M2"):
        db.add(Attachment(subject_type="rectification_item", subject_id=items[0].id, phase="after", media_id=media))
    db.commit()
    return {"top": top, "sub": sub, "other": other, "a": a, "b": b, "x": x, "sec_a": sec_a, "owner": owner,
            "admin": admin, "items": items}


def test_figures_in_one_call(app: Flask, db: Session, world: dict[str, Any]) -> None:
    settings = settings_of(app.config)
    found = F.figures(db, actor=Operator("t"), committee_id=world["top"].id, now=NOW, settings=settings)
    assert found.overall == F.Figures(total=5, open=3, overdue=2, closed=2, rate=0.4)
    by_branch = {u.name: u.figures for u in found.by_branch}
    assert by_branch == {"星光党支部": F.Figures(3, 2, 1, 1, 0.3333), "阳光党支部": F.Figures(2, 1, 1, 1, 0.5)}
    by_source = {s.label: s.figures for s in found.by_source}
    assert list(by_source) == ["述职评议", "年检", "检查", "巡察"]
    assert by_source["述职评议"] == F.Figures(2, 1, 1, 1, 0.5)
    assert by_source["年检"] == F.Figures(1, 1, 0, 0, 0.0)
    assert by_source["巡察"] == F.Figures(1, 1, 1, 0, 0.0)
    # The sub-committee alone, a branch alone, and a committee with no items (rate None, not 0).
    sub = F.figures(db, actor=Operator("t"), committee_id=world["sub"].id, now=NOW, settings=settings)
    assert sub.overall == F.Figures(2, 1, 1, 1, 0.5)
    branch = F.figures(db, actor=world["sec_a"], branch_id=world["a"].id, now=NOW, settings=settings)
    assert branch.overall == F.Figures(3, 2, 1, 1, 0.3333)
    empty = f.committee(db)
    assert F.figures(db, actor=Operator("t"), committee_id=empty.id, now=NOW, settings=settings).overall == \
        F.Figures(0, 0, 0, 0, None)
    # Only who may read the ledger: not a plain member, not the branch's secretary for the committee.
    with pytest.raises(PermissionDenied):
        F.figures(db, actor=world["owner"], branch_id=world["a"].id, now=NOW, settings=settings)
    with pytest.raises(PermissionDenied):
        F.figures(db, actor=world["sec_a"], committee_id=world["top"].id, now=NOW, settings=settings)


def test_cli_figures_json(runner: Any, world: dict[str, Any]) -> None:
    result = runner.invoke(args=["ledger", "figures", "--committee", str(world["top"].id), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"total": 5, "open": 3, "overdue": 2, "closed": 2, "rate": 0.4}
    result = runner.invoke(args=["ledger", "figures", "--branch", str(world["b"].id), "--json"])
    assert json.loads(result.output) == {"total": 2, "open": 1, "overdue": 1, "closed": 1, "rate": 0.5}
    words = runner.invoke(args=["ledger", "figures", "--committee", str(world["top"].id)])
    assert words.exit_code == 0 and "整改率40%" in words.output
    assert "星光党支部：3项，销号1，逾期1，整改率33.3%" in words.output


def test_export_read_back(runner: Any, tmp_path: Path, world: dict[str, Any]) -> None:
    out = tmp_path / "ledger.xlsx"
    result = runner.invoke(args=["export", "ledger", "--committee", str(world["top"].id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "5 项" in result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["述职评议", "年检", "检查", "巡察", "汇总"]
    rows = [[c.value for c in r] for r in wb["述职评议"].iter_rows()]
    assert rows[0] == list(F.COLUMNS)
    i = world["items"]
    assert rows[1] == [i[0].id, "星光党支部", "述职评议", "组织生活", datetime(2026, 3, 1), "三会一课不规范",
                       "每月一次", "张三", datetime(2026, 12, 31), "已销号", None, "已规范；照片2张", "周管理",
                       datetime(2026, 11, 20)]
    assert rows[2] == [i[1].id, "星光党支部", "述职评议", None, datetime(2026, 3, 1), "党费台账缺失", None, "张三",
                       datetime(2026, 11, 20), "整改中（逾期）", "补建中", None, None, None]
    assert [r[0].value for r in wb["年检"].iter_rows(min_row=2)] == [i[2].id]
    assert [r[9].value for r in wb["年检"].iter_rows(min_row=2)] == ["待整改"]
    assert [(r[0].value, r[1].value, r[9].value) for r in wb["检查"].iter_rows(min_row=2)] == \
        [(i[3].id, "阳光党支部", "已销号")]  # the other committee's item is not there
    assert [r[9].value for r in wb["巡察"].iter_rows(min_row=2)] == ["待验收（逾期）"]
    summary = [[c.value for c in r] for r in wb["汇总"].iter_rows()]
    assert summary[0] == list(F.SUMMARY_COLUMNS)
    assert summary[1] == ["合计", "某区社会组织综合党委", 5, 3, 2, 2, 0.4]
    assert summary[2:6] == [["问题来源", "述职评议", 2, 1, 1, 1, 0.5], ["问题来源", "年检", 1, 1, 0, 0, 0],
                            ["问题来源", "检查", 1, 0, 0, 1, 1], ["问题来源", "巡察", 1, 1, 1, 0, 0]]
    assert summary[6:] == [["单位", "星光党支部", 3, 2, 1, 1, 0.3333], ["单位", "阳光党支部", 2, 1, 1, 1, 0.5]]
    assert wb["汇总"]["G2"].number_format == "0.00%"
    bad = runner.invoke(args=["export", "ledger", "--committee", "99999", "--out", str(tmp_path / "x.xlsx")])
    assert bad.exit_code == 1 and not (tmp_path / "x.xlsx").exists()


def _notes(db: Session, kind: str) -> list[Notification]:
    found = list(db.scalars(select(Notification).where(Notification.kind == kind).order_by(Notification.id)))
    db.commit()
    return found


def test_reminders_through_the_sweep(app: Flask, db: Session, world: dict[str, Any]) -> None:
    """7 and 1 days before: the owner (an owner-less item: the branch's secretary); overdue: them and the
    committee's admins; each once."""
    c, a = world["top"], world["a"]
    soon = f.rectification(db, c.id, world["owner"].id, TODAY + timedelta(days=7), branch_id=a.id, problem="七天后到期")
    nobody = f.rectification(db, c.id, None, TODAY + timedelta(days=1), branch_id=a.id, problem="明天到期")
    late = f.rectification(db, c.id, None, TODAY - timedelta(days=1), branch_id=a.id, problem="昨天到期")
    settings = settings_of(app.config)
    with app.extensions["db"].transaction() as s:
        written = sweep_rectification(s, NOW, settings)
    with app.extensions["db"].transaction() as s:
        assert sweep_rectification(s, NOW + timedelta(hours=1), settings) == 0
    due = {(n.subject_id, n.recipient_id, n.slot) for n in _notes(db, "rectification_due")}
    assert due == {(soon.id, world["owner"].id, "d7"), (nobody.id, world["sec_a"].id, "d1")}
    overdue = {(n.subject_id, n.recipient_id) for n in _notes(db, "rectification_overdue")}
    # The item of 11-20 (owner 张三, in_progress) is 3 days late: still within the look-back; 11-10's is not.
    assert overdue == {(late.id, world["sec_a"].id), (late.id, world["admin"].id),
                       (world["items"][1].id, world["owner"].id), (world["items"][1].id, world["admin"].id)}
    assert written == len(due) + len(overdue)
    [week] = [n for n in _notes(db, "rectification_due") if n.slot == "d7"]
    said = render("rectification_due", week.payload, settings)
    assert "七天后到期" in said.text and "7天" in said.text


def test_the_commands_are_listed(runner: Any) -> None:
    assert "ledger" in runner.invoke(args=["export", "--help"]).output
    listed = runner.invoke(args=["ledger", "--help"])
    assert listed.exit_code == 0 and "add" in listed.output and "figures" in listed.output
