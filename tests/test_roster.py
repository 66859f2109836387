"""花名册 import/export: a generated 2,000-row xlsx with bad rows, all-or-nothing, idempotent re-import,
headers found by name, and masked export."""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bot import texts
from bot.models import Member, PartyGroup, RoleGrant
from bot.services.authz import Operator
from bot.services.errors import Invalid
from bot.services.org import roster
from bot.texts import org as T
from tests import factories as f

OPERATOR = Operator(who="test")

HEADER = ["序号", "姓名", "性别", "手机号", "党员状态", "入党日期", "所在党小组", "职务", "所在单位"]


def person(i: int) -> list[Any]:
    """Row i of a believable roster: mixed date and phone formats, as spreadsheets have them."""
    joined: Any = date(1990 + i % 30, 1 + i % 12, 1 + i % 28)
    if i % 3 == 1:
        joined = f"{joined.year}年{joined.month}月{joined.day}日"
    elif i % 3 == 2:
        joined = datetime(joined.year, joined.month, joined.day)
    digits = f"137{i:08d}"
    phone: Any = digits
    if i % 4 == 1:
        phone = int(digits)  # Excel keeps numbers as numbers
    elif i % 4 == 2:
        phone = f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    elif i % 4 == 3:
        phone = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    status = "预备党员" if i % 10 == 0 else "正式党员"
    title = "书记" if i == 1 else ("组织委员" if i == 2 else "")
    return [i, f"党员{i:04d}", "男" if i % 2 else "女", phone, status, joined, f"第{1 + i % 5}党小组", title,
            "示例行业协会" if i % 7 == 0 else ""]


def write_xlsx(path: Path, rows: list[list[Any]], *, title_row: bool = True) -> Path:
    wb = Workbook()
    ws = wb.active
    if title_row:
        ws.append(["示例行业协会党支部党员花名册（2026年）"])
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def branch(db: Any) -> Any:
    c = f.committee(db)
    b = f.branch(db, c.id, name="示例行业协会党支部")
    f.social_org(db, c.id, b.id, name="示例行业协会")
    return b


def count_members(db: Any, branch_id: int) -> int:
    n = int(db.scalar(select(func.count()).select_from(Member).where(Member.branch_id == branch_id)))
    db.commit()  # end the read (on SQLite every transaction holds the write lock); commit keeps objects loaded
    return n


def test_two_thousand_rows_with_bad_rows_then_fixed_then_reimported(db: Any, runner: Any, branch: Any,
                                                                    tmp_path: Path) -> None:
    rows = [person(i) for i in range(1, 2001)]
    good = [list(r) for r in rows]
    # Bad rows, each a different mistake; +2 for the title and header rows.
    rows[9][1] = ""  # row 12: no name
    rows[99][3] = "1381234"  # row 102: short phone
    rows[499][4] = "入党积极分子"  # row 502: not a member status
    rows[999][3] = rows[998][3]  # row 1002: the same person as row 1001
    rows[1499][5] = "去年七月"  # row 1502: unreadable date
    rows[1799][8] = "不存在的协会"  # row 1802: an organization this branch does not cover
    rows[1999][5] = date(2099, 1, 1)  # row 2002: a join date in the future
    bad_file = write_xlsx(tmp_path / "bad.xlsx", rows)

    result = runner.invoke(args=["import-roster", str(bad_file), "--branch", str(branch.id)])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "花名册有 7 行有误，未导入任何数据" in out
    for line in ("第 12 行：缺少姓名",
                 "第 102 行：手机号“1381234”格式不正确",
                 "第 502 行：党员状态“入党积极分子”无法识别",
                 "第 1002 行：与第 1001 行是同一人",
                 "第 1502 行：入党日期“去年七月”无法识别",
                 "第 1802 行：所在单位“不存在的协会”不是本支部覆盖的社会组织",
                 "第 2002 行：入党日期 2099-01-01 晚于今天"):
        assert line in out, line
    assert "以下列不导入：序号、性别" in out
    assert count_members(db, branch.id) == 0  # nothing written
    assert db.scalar(select(func.count()).select_from(PartyGroup)) == 0
    db.commit()

    good_file = write_xlsx(tmp_path / "good.xlsx", good)
    first = runner.invoke(args=["import-roster", str(good_file), "--branch", str(branch.id)])
    assert first.exit_code == 0, first.output
    assert "新增 2000 人，更新 0 人，未变 0 人，新建党小组 5 个" in first.output
    assert count_members(db, branch.id) == 2000

    again = runner.invoke(args=["import-roster", str(good_file), "--branch", str(branch.id)])
    assert again.exit_code == 0, again.output
    assert "新增 0 人，更新 0 人，未变 2000 人，新建党小组 0 个" in again.output
    assert count_members(db, branch.id) == 2000

    m = db.scalars(select(Member).where(Member.name == "党员0001")).one()
    assert (m.phone, m.status, m.joined_on, m.title, m.is_committee_member) == (
        "13700000001", "full", date(1991, 2, 2), "书记", True)
    assert db.scalars(select(Member).where(Member.name == "党员0010")).one().status == "probationary"
    assert db.scalars(select(Member).where(Member.name == "党员0007")).one().org_id is not None
    roles = {(g.member_id, g.role) for g in db.scalars(select(RoleGrant))}
    assert (m.id, "secretary") in roles and len(roles) == 2


def test_changed_row_updates_only_that_member(db: Any, branch: Any, tmp_path: Path, clock: Any) -> None:
    rows = [person(i) for i in range(1, 21)]

    def load(path: Path) -> list[roster.RosterRow]:
        return roster.read_roster(path)[0]

    roster.import_roster(db, branch_id=branch.id, rows=load(write_xlsx(tmp_path / "a.xlsx", rows)), now=clock(),
                          actor=OPERATOR)
    db.commit()
    rows[4][4] = "预备党员" if rows[4][4] == "正式党员" else "正式党员"
    result = roster.import_roster(db, branch_id=branch.id, rows=load(write_xlsx(tmp_path / "b.xlsx", rows)),
                                  now=clock(), actor=OPERATOR)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 19)


def test_person_registered_with_another_branch_is_refused(db: Any, branch: Any, tmp_path: Path, clock: Any) -> None:
    elsewhere = f.branch(db, name="别的支部")
    f.member(db, elsewhere.id, name="王五", phone="13700000003")
    rows, _ = roster.read_roster(write_xlsx(tmp_path / "r.xlsx", [person(i) for i in range(1, 5)]))
    with pytest.raises(roster.RosterInvalid) as exc:
        roster.import_roster(db, branch_id=branch.id, rows=rows, now=clock(), actor=OPERATOR)
    assert [(e.row, T.roster_problem(e.reason, e.params)) for e in exc.value.errors] == [
        (5, "手机号 137****0003 已登记在“别的支部”（王五），同一人不能重复登记")]


def test_missing_headers_and_unreadable_files(db: Any, runner: Any, branch: Any, tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.append(["姓名", "性别"])
    wb.active.append(["张三", "男"])
    wb.save(tmp_path / "nophone.xlsx")
    out = runner.invoke(args=["import-roster", str(tmp_path / "nophone.xlsx"), "--branch", str(branch.id)])
    assert out.exit_code == 1 and "花名册缺少必需的列：手机号" in out.output

    (tmp_path / "notxlsx.xlsx").write_text("姓名,手机号\n张三,13700000000\n", encoding="utf-8")
    out = runner.invoke(args=["import-roster", str(tmp_path / "notxlsx.xlsx"), "--branch", str(branch.id)])
    assert out.exit_code == 1 and "无法读取花名册文件" in out.output

    out = runner.invoke(args=["import-roster", str(tmp_path / "absent.xlsx"), "--branch", str(branch.id)])
    assert out.exit_code == 1 and "找不到文件" in out.output

    empty = write_xlsx(tmp_path / "empty.xlsx", [])
    out = runner.invoke(args=["import-roster", str(empty), "--branch", str(branch.id)])
    assert out.exit_code == 1 and "花名册中没有党员数据" in out.output


def test_unknown_branch_is_named(runner: Any, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "r.xlsx", [person(1)])
    out = runner.invoke(args=["import-roster", str(path), "--branch", "4242"])
    assert out.exit_code == 1 and "没有找到 ID 为 4242 的党组织" in out.output
    out = runner.invoke(args=["export-roster", "--branch", "4242", "-o", str(tmp_path / "x.xlsx")])
    assert out.exit_code == 1 and "没有找到 ID 为 4242 的党组织" in out.output


def test_export_masks_phones_unless_full(db: Any, runner: Any, branch: Any, tmp_path: Path) -> None:
    source = write_xlsx(tmp_path / "in.xlsx", [person(i) for i in range(1, 11)])
    assert runner.invoke(args=["import-roster", str(source), "--branch", str(branch.id)]).exit_code == 0

    masked = tmp_path / "masked.xlsx"
    out = runner.invoke(args=["export-roster", "--branch", str(branch.id), "-o", str(masked)])
    assert out.exit_code == 0 and "已导出 10 名党员" in out.output and "手机号已脱敏" in out.output
    ws = load_workbook(masked).active
    header = [c.value for c in ws[1]]
    assert header == ["姓名", "手机号", "党员状态", "入党日期", "所在党小组", "职务", "所在单位"]
    phones = [ws.cell(row=r, column=2).value for r in range(2, 12)]
    assert phones[0] == "137****0001" and all("****" in p for p in phones)

    full = tmp_path / "full.xlsx"
    assert runner.invoke(args=["export-roster", "--branch", str(branch.id), "-o", str(full), "--full"]).exit_code == 0
    assert load_workbook(full).active.cell(row=2, column=2).value == "13700000001"
    # The full export reads back in as the same roster: nothing changes.
    again = runner.invoke(args=["import-roster", str(full), "--branch", str(branch.id)])
    assert "新增 0 人，更新 0 人，未变 10 人" in again.output
    # A masked export is refused as a source, row by row.
    refused = runner.invoke(args=["import-roster", str(masked), "--branch", str(branch.id)])
    assert refused.exit_code == 1 and "第 2 行：手机号“137****0001”格式不正确" in refused.output


def test_header_aliases_and_defaults(db: Any, branch: Any, tmp_path: Path, clock: Any) -> None:
    wb = Workbook()
    wb.active.append(["姓名", "联系电话", "党员类别"])
    wb.active.append(["赵六", "+86 137 0000 9999", "预备"])
    wb.active.append(["钱七", "13700008888", None])  # status left empty: a full member
    wb.save(tmp_path / "alias.xlsx")
    rows, unknown = roster.read_roster(tmp_path / "alias.xlsx")
    assert unknown == []
    result = roster.import_roster(db, branch_id=branch.id, rows=rows, now=clock(), actor=OPERATOR)
    assert result.created == 2
    zhao = db.scalars(select(Member).where(Member.name == "赵六")).one()
    assert (zhao.phone, zhao.status) == ("13700009999", "probationary")
    assert db.scalars(select(Member).where(Member.name == "钱七")).one().status == "full"


def test_empty_rows_are_skipped_and_row_numbers_stay_true(db: Any, branch: Any, tmp_path: Path,
                                                          clock: Any) -> None:
    rows = [person(1), [None] * len(HEADER), person(2)]
    rows[2][3] = "abc"
    parsed, _ = roster.read_roster(write_xlsx(tmp_path / "gap.xlsx", rows, title_row=False))
    with pytest.raises(Invalid) as exc:
        roster.import_roster(db, branch_id=branch.id, rows=parsed, now=clock(), actor=OPERATOR)
    assert "第 4 行：手机号“abc”格式不正确" in texts.refusal(exc.value, {})


def test_roster_commands_say_they_act_as_the_operator_and_log_who_ran_them(runner: Any, branch: Any,
                                                                          tmp_path: Path, caplog: Any) -> None:
    for command in ("import-roster", "export-roster", "seed-demo"):
        shown = runner.invoke(args=[command, "--help"])
        assert shown.exit_code == 0 and "Acts with full rights as the server's operator" in shown.output, command
    out = tmp_path / "x.xlsx"
    with caplog.at_level(logging.INFO, logger="zhibu.cli"):
        assert runner.invoke(args=["export-roster", "--branch", str(branch.id), "-o", str(out)]).exit_code == 0
    ran = [r.getMessage() for r in caplog.records if r.name == "zhibu.cli"]
    assert len(ran) == 1 and "ran export-roster" in ran[0] and f"branch={branch.id}" in ran[0], ran
