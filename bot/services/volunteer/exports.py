"""Files from the records: the year's final records of a branch or committee in the fields of 民政部's record
rules (for upload to the national volunteer system), as xlsx or CSV; a member's volunteer number.

Only final records are exported (confirmed, 公示 over): a record in 公示 may still be objected to, and the
national system takes records as true and complete. The column names are the upload format's, not sentences.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session, aliased

from bot.config import Settings
from bot.infra.clock import today
from bot.infra.text import in_id_range
from bot.models import Branch, Member, VolunteerRecord
from bot.services import authz
from bot.services.authz import Action, Actor
from bot.services.errors import Conflict, Invalid, NotFound
from bot.services.org.structure import branch_ids_under, committee_ids_under, get_branch, get_committee
from bot.services.volunteer.totals import check_year, final_clause

FIELDS = ("姓名", "志愿者编号", "服务日期", "服务内容", "服务地点", "组织单位", "服务时长（小时）", "确认人",
          "确认日期")
SHEET_TITLE = "志愿服务记录"
FORMATS = ("xlsx", "csv")
CENT = Decimal("0.01")
VOLUNTEER_NO = re.compile(r"[0-9A-Za-z\-]{4,40}")


@dataclass(frozen=True)
class ExportRow:
    name: str
    volunteer_no: str
    served_on: date
    content: str
    place: str
    organizer: str
    hours: Decimal
    confirmer: str
    confirmed_on: date | None

    def values(self) -> list[str | Decimal]:
        return [self.name, self.volunteer_no, self.served_on.isoformat(), self.content, self.place, self.organizer,
                self.hours, self.confirmer, self.confirmed_on.isoformat() if self.confirmed_on else ""]


def _scope(session: Session, actor: Actor | None, branch_id: int | None, committee_id: int | None) -> list[int]:
    if (branch_id is None) == (committee_id is None):
        raise Invalid("volunteer_scope_needed")
    if branch_id is not None:
        branch = get_branch(session, branch_id)
        authz.require(session, actor, Action.VIEW_VOLUNTEER, branch)
        return branch_ids_under(session, branch.id)
    assert committee_id is not None
    committee = get_committee(session, committee_id)
    authz.require(session, actor, Action.VIEW_VOLUNTEER, committee)
    return list(session.scalars(select(Branch.id).where(
        Branch.committee_id.in_(committee_ids_under(session, committee.id)))))


def export_rows(session: Session, *, actor: Actor | None, year: int, now: datetime, settings: Settings,
                branch_id: int | None = None, committee_id: int | None = None) -> list[ExportRow]:
    """The final records served in `year` of a branch (and those below) or a committee's subtree, by day."""
    check_year(year)
    ids = _scope(session, actor, branch_id, committee_id)
    confirmer = aliased(Member)
    rows = session.execute(
        select(VolunteerRecord, Member.name, Member.volunteer_no, confirmer.name)
        .join(Member, Member.id == VolunteerRecord.member_id)
        .outerjoin(confirmer, confirmer.id == VolunteerRecord.confirmed_by_id)
        .where(VolunteerRecord.branch_id.in_(ids), and_(VolunteerRecord.served_on >= date(year, 1, 1),
                                                        VolunteerRecord.served_on <= date(year, 12, 31)),
               final_clause(today(now, settings)))
        .order_by(VolunteerRecord.served_on, VolunteerRecord.id))
    return [ExportRow(name=name, volunteer_no=no or "", served_on=r.served_on, content=r.content,
                      place=r.place or "", organizer=r.organizer or "", hours=Decimal(r.hours).quantize(CENT),
                      confirmer=cname or "", confirmed_on=today(r.confirmed_at, settings) if r.confirmed_at else None)
            for r, name, no, cname in rows]


def export_format(path: str | Path) -> str:
    """xlsx or csv, from the file's extension; Invalid otherwise."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise Invalid("volunteer_export_format", suffix=suffix or "-")
    return suffix


def write_export(rows: list[ExportRow], path: str | Path) -> None:
    """The rows under FIELDS: xlsx (hours as numbers) or CSV (UTF-8 with a BOM, so Excel reads the Chinese)."""
    if export_format(path) == "csv":
        with open(path, "w", newline="", encoding="utf-8-sig") as out:
            writer = csv.writer(out)
            writer.writerow(FIELDS)
            for row in rows:
                writer.writerow([str(v) for v in row.values()])
        return
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET_TITLE
    ws.append(list(FIELDS))
    for row in rows:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in row.values()])
    wb.save(str(path))


def set_volunteer_no(session: Session, *, actor: Actor | None, member_id: int, number: str) -> Member:
    """A member's 志愿者编号 in the national volunteer system (empty clears it); unique."""
    member = session.get(Member, member_id) if in_id_range(member_id) else None
    if member is None:
        raise NotFound("member_not_found", id=member_id)
    authz.require(session, actor, Action.MANAGE_VOLUNTEER, member)
    number = (number or "").strip()
    if number and not VOLUNTEER_NO.fullmatch(number):
        raise Invalid("volunteer_no_format", no=number)
    if number:
        other = session.scalar(select(Member.id).where(Member.volunteer_no == number, Member.id != member.id))
        if other is not None:
            raise Conflict("volunteer_no_taken", no=number)
    session.execute(update(Member).where(Member.id == member.id).values(volunteer_no=number or None)
                    .execution_options(synchronize_session=False))
    session.refresh(member)
    return member
