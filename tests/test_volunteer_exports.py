"""志愿服务 by the operator's CLI: teams with leaders, volunteer numbers, the year's final records exported in
民政部's fields (xlsx read back with openpyxl, CSV with csv) and a numbered 志愿服务证明 (docx read back with
python-docx); only final records count; nothing to certify is refused with exit 1."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.infra.clock import FrozenClock
from bot.models import Member, VolunteerCertificate, VolunteerRecord, VolunteerTeam, VolunteerTeamLeader
from bot.services.volunteer.exports import FIELDS
from tests import factories as f

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
CONFIRMED_AT = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    clock.set(NOW)
    c = f.committee(db, name="区社会组织综合党委")
    b = f.branch(db, c.id, name="阳光党支部")
    b2 = f.branch(db, c.id, name="星光党支部")
    sec = f.secretary(db, b.id, name="李书记", phone="13812345678")
    m1 = f.member(db, b.id, name="王五", phone="13900000011")
    m2 = f.member(db, b2.id, name="赵六")
    m3 = f.member(db, b.id, name="孙七")

    def rec(member: Member, served: date, content: str, hours: str, **kw: Any) -> VolunteerRecord:
        kw.setdefault("status", "confirmed")
        kw.setdefault("confirmed_by_id", sec.id)
        kw.setdefault("confirmed_at", CONFIRMED_AT)
        kw.setdefault("public_until", date(2026, 11, 17))
        kw.setdefault("organizer", "阳光党支部")
        r: VolunteerRecord = f.volunteer_record(db, member.id, sec.id, served, content=content,
                                                hours=Decimal(hours), branch_id=member.branch_id,
                                                place="幸福社区", **kw)
        return r

    rec(m1, date(2026, 11, 5), "社区助老", "3")
    rec(m1, date(2026, 11, 8), "文明交通劝导", "2.5")
    rec(m2, date(2026, 11, 6), "社区义诊", "4", organizer="星光党支部")
    rec(m1, date(2026, 11, 20), "在公示中", "1", public_until=date(2026, 12, 5))
    rec(m1, date(2026, 11, 21), "待确认的", "1", status="pending", confirmed_by_id=None, confirmed_at=None,
        public_until=None)
    rec(m1, date(2025, 11, 5), "去年的", "6")
    return {"c": c, "b": b, "b2": b2, "sec": sec, "m1": m1, "m2": m2, "m3": m3}


def test_export_xlsx_of_a_branch_holds_final_records_only(runner: Any, tmp_path: Path,
                                                         world: dict[str, Any]) -> None:
    out = tmp_path / "b.xlsx"
    result = runner.invoke(args=["volunteer", "export", "--branch", str(world["b"].id), "--year", "2026",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "已导出 2 条" in result.output
    ws = load_workbook(out).active
    assert ws is not None
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert tuple(values[0]) == FIELDS
    assert values[1:] == [
        ["王五", None, "2026-11-05", "社区助老", "幸福社区", "阳光党支部", 3, "李书记", "2026-11-10"],
        ["王五", None, "2026-11-08", "文明交通劝导", "幸福社区", "阳光党支部", 2.5, "李书记", "2026-11-10"],
    ]


def test_export_csv_of_a_committee_and_volunteer_numbers(runner: Any, db: Session, tmp_path: Path,
                                                        world: dict[str, Any]) -> None:
    m1 = world["m1"]
    result = runner.invoke(args=["volunteer", "number", "--member", str(m1.id), "--no", "ZY-44010012345"])
    assert result.exit_code == 0 and result.output.strip().endswith(str(m1.id))
    taken = runner.invoke(args=["volunteer", "number", "--member", str(world["m2"].id), "--no", "ZY-44010012345"])
    assert taken.exit_code == 1 and "已被其他党员使用" in taken.output
    out = tmp_path / "c.csv"
    result = runner.invoke(args=["volunteer", "export", "--committee", str(world["c"].id), "--year", "2026",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8-sig", newline="") as fh:
        found = list(csv.reader(fh))
    assert tuple(found[0]) == FIELDS
    assert [(r[0], r[1], r[2], r[6]) for r in found[1:]] == [
        ("王五", "ZY-44010012345", "2026-11-05", "3.00"), ("赵六", "", "2026-11-06", "4.00"),
        ("王五", "ZY-44010012345", "2026-11-08", "2.50")]


def test_export_options(runner: Any, tmp_path: Path, world: dict[str, Any]) -> None:
    both = runner.invoke(args=["volunteer", "export", "--branch", "1", "--committee", "1", "--year", "2026",
                               "--out", str(tmp_path / "x.csv")])
    neither = runner.invoke(args=["volunteer", "export", "--year", "2026", "--out", str(tmp_path / "x.csv")])
    pdf = runner.invoke(args=["volunteer", "export", "--branch", str(world["b"].id), "--year", "2026",
                              "--out", str(tmp_path / "x.pdf")])
    assert (both.exit_code, neither.exit_code, pdf.exit_code) == (2, 2, 2)
    missing = runner.invoke(args=["volunteer", "export", "--branch", "99999", "--year", "2026",
                                  "--out", str(tmp_path / "x.csv")])
    assert missing.exit_code == 1


def test_certificate_docx(runner: Any, db: Session, tmp_path: Path, world: dict[str, Any]) -> None:
    m1 = world["m1"]
    runner.invoke(args=["volunteer", "number", "--member", str(m1.id), "--no", "ZY-44010012345"])
    out = tmp_path / "cert.docx"
    result = runner.invoke(args=["volunteer", "certificate", "--member", str(m1.id), "--year", "2026",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ZYFW-2026-000001" in result.output
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert "志愿服务证明" in text and "证明编号：ZYFW-2026-000001" in text
    assert "兹证明 王五（志愿者编号：ZY-44010012345）于2026年" in text and "累计志愿服务时长 5.5 小时" in text
    assert "服务内容：社区助老、文明交通劝导" in text
    assert "出具单位：阳光党支部" in text and "联系人及电话：李书记 138****5678" in text
    assert "出具日期：2026年12月2日" in text
    assert "在公示中" not in text and "待确认的" not in text and "去年的" not in text
    assert cells[1:] == [["2026-11-05", "社区助老", "阳光党支部", "3"],
                         ["2026-11-08", "文明交通劝导", "阳光党支部", "2.5"]]
    # again with the same hours: the same certificate; another member: the next number
    again = runner.invoke(args=["volunteer", "certificate", "--member", str(m1.id), "--year", "2026",
                                "--out", str(tmp_path / "again.docx")])
    assert again.exit_code == 0 and "ZYFW-2026-000001" in again.output
    other = runner.invoke(args=["volunteer", "certificate", "--member", str(world["m2"].id), "--year", "2026",
                                "--out", str(tmp_path / "m2.docx")])
    assert other.exit_code == 0 and "ZYFW-2026-000002" in other.output
    certs = [(c.number, c.member_id, c.hours) for c in db.scalars(select(VolunteerCertificate)
                                                                    .order_by(VolunteerCertificate.id))]
    db.commit()
    assert certs == [("ZYFW-2026-000001", m1.id, Decimal("5.50")), ("ZYFW-2026-000002", world["m2"].id,
                                                                     Decimal("4.00"))]


def test_certificate_with_settings_and_nothing_to_certify(app: Flask, runner: Any, tmp_path: Path,
                                                          world: dict[str, Any]) -> None:
    none = runner.invoke(args=["volunteer", "certificate", "--member", str(world["m3"].id), "--year", "2026",
                               "--out", str(tmp_path / "n.docx")])
    assert none.exit_code == 1 and "没有已生效" in none.output and not (tmp_path / "n.docx").exists()
    app.config["VOLUNTEER_CERT_ISSUER"] = "某区志愿服务联合会"
    app.config["VOLUNTEER_CERT_CONTACT"] = "张干事 020-12345678"
    out = tmp_path / "s.docx"
    ok = runner.invoke(args=["volunteer", "certificate", "--member", str(world["m2"].id), "--year", "2026",
                             "--out", str(out)])
    assert ok.exit_code == 0, ok.output
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "出具单位：某区志愿服务联合会" in text and "联系人及电话：张干事 020-12345678" in text
    assert "志愿者编号：未登记" in text


def test_team_with_leaders(runner: Any, db: Session, world: dict[str, Any]) -> None:
    sec = world["sec"]
    result = runner.invoke(args=["volunteer", "team", "--branch", str(world["b"].id), "--name", "先锋志愿服务队",
                                 "--leader", "13812345678", "--leader", "13900000011"])
    assert result.exit_code == 0, result.output
    team = db.scalar(select(VolunteerTeam))
    assert team is not None and result.output.strip().endswith(str(team.id)) and "已创建" in result.output
    leaders = set(db.scalars(select(VolunteerTeamLeader.member_id)))
    db.commit()
    assert leaders == {sec.id, world["m1"].id}
    again = runner.invoke(args=["volunteer", "team", "--branch", str(world["b"].id), "--name", "先锋志愿服务队",
                                "--leader", "13812345678"])
    assert again.exit_code == 0 and "已存在" in again.output
    assert len(list(db.scalars(select(VolunteerTeamLeader)))) == 2
    db.commit()
    nobody = runner.invoke(args=["volunteer", "team", "--branch", str(world["b"].id), "--name", "二队",
                                 "--leader", "13600000000"])
    assert nobody.exit_code == 1 and "没有找到手机号" in nobody.output
    assert db.scalar(select(VolunteerTeam).where(VolunteerTeam.name == "二队")) is None


def test_the_export_group_has_it_too(runner: Any, tmp_path: Path, world: dict[str, Any]) -> None:
    out = tmp_path / "e.csv"
    result = runner.invoke(args=["export", "volunteer", "--branch", str(world["b"].id), "--year", "2025",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, encoding="utf-8-sig", newline="") as fh:
        found = list(csv.reader(fh))
    assert [r[3] for r in found[1:]] == ["去年的"]
