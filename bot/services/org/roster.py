"""花名册: import a branch's member roster from the spreadsheet committees keep, export it back.

Columns are found by their Chinese header names, anywhere in the first rows (a title row above the
header is common). Import is all-or-nothing: every row is checked first, and one bad row means nothing
is written and every bad row is reported with its row number. A member is identified by phone number,
so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import logging
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, NamedTuple

from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import InvalidFileException
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Branch, Member, PartyGroup, RoleGrant, SocialOrg
from bot.services.authz import Action, Actor, Operator, deny, require
from bot.services.errors import Invalid
from bot.services.org.structure import branch_ids_under, get_branch, mask_phone

log = logging.getLogger("zhibu.roster")

# The spreadsheet's format (what import reads and export writes back, so that an export imports again
# unchanged): the words below are the file's vocabulary, not wording for a reader.
# Header name as written on rosters -> field. The first name of each field is the one export writes.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名",),
    "phone": ("手机号", "手机号码", "手机", "联系电话", "联系方式"),
    "status": ("党员状态", "党员类别", "状态"),
    "joined_on": ("入党日期", "入党时间"),
    "group": ("所在党小组", "党小组"),
    "title": ("职务", "党内职务"),
    "org": ("所在单位", "工作单位"),
}
REQUIRED = ("name", "phone")
EXPORT_COLUMNS = ("name", "phone", "status", "joined_on", "group", "title", "org")
HEADER_SEARCH_ROWS = 5
STATUS_WORDS = {"正式党员": "full", "正式": "full", "预备党员": "probationary", "预备": "probationary"}
STATUS_WRITTEN = {"full": "正式党员", "probationary": "预备党员"}  # how export writes a status (import reads it back)
SHEET_TITLE = "花名册"
BRANCH_COLUMN = "所在党组织"  # export's last column when it writes more than one party organization
TEXT_LIMITS = (("group", 100), ("title", 50))  # the longest 所在党小组 and 职务 a row may give
PHONE_RE = re.compile(r"1[3-9]\d{9}")
DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
SECRETARY_TITLES = {"书记", "支部书记", "党支部书记", "党委书记", "党总支书记"}
COMMITTEE_TITLE_WORDS = ("委员", "副书记")

Progress = Callable[[int], None]


@dataclass
class RosterRow:
    row: int  # the spreadsheet's row number, as the user sees it
    values: dict[str, Any]


@dataclass
class RowPlan:
    row: int
    name: str
    phone: str
    status: str
    joined_on: date | None
    group: str
    title: str
    org_id: int | None


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    groups_created: int = 0
    unknown_headers: list[str] = field(default_factory=list)


class RowProblem(NamedTuple):
    """What is wrong with one row: the spreadsheet's row number, a reason (name_missing, phone_bad, …) and
    the facts its wording needs."""

    row: int
    reason: str
    params: dict[str, Any]


def _problem(reason: str, **params: Any) -> tuple[str, dict[str, Any]]:
    return reason, params


class RosterInvalid(Invalid):
    """Bad rows: nothing was written. `errors` are the problems, by row (reason "roster_invalid";
    params: `rows`, how many rows are bad, and `problems`)."""

    def __init__(self, errors: list[RowProblem]) -> None:
        self.errors = errors
        super().__init__("roster_invalid", rows=len({e.row for e in errors}), problems=errors)


# -- reading -------------------------------------------------------------------------------------
def read_roster(source: str | Path | IO[bytes]) -> tuple[list[RosterRow], list[str]]:
    """The data rows of the first sheet, keyed by field; and the header names nobody reads."""
    try:
        wb = load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise Invalid("roster_unreadable", error=type(exc).__name__ + ": " + str(exc)[:100]) from exc
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        columns: dict[str, int] = {}
        unknown: list[str] = []
        header_row = 0
        for number, cells in enumerate(rows, start=1):
            if number > HEADER_SEARCH_ROWS:
                break
            names = [_cell_text(c) for c in cells]
            if "姓名" in names:
                columns, unknown = _columns(names)
                header_row = number
                break
        missing = [HEADERS[f][0] for f in REQUIRED if f not in columns]
        if not header_row or missing:
            raise Invalid("roster_headers_missing", names=missing or [HEADERS["name"][0]])
        data: list[RosterRow] = []
        for number, cells in enumerate(rows, start=header_row + 1):
            values = {f: (cells[i] if i < len(cells) else None) for f, i in columns.items()}
            if all(_cell_text(v) == "" for v in values.values()):
                continue
            data.append(RosterRow(number, values))
    finally:
        wb.close()
    return data, unknown


def _columns(names: list[str]) -> tuple[dict[str, int], list[str]]:
    by_header = {h: f for f, hs in HEADERS.items() for h in hs}
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for i, name in enumerate(names):
        f = by_header.get(name)
        if f and f not in columns:
            columns[f] = i
        elif name and not f:
            unknown.append(name)
    return columns, unknown


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


# -- checking ------------------------------------------------------------------------------------
def _phone(value: Any) -> str:
    text = _cell_text(value)
    digits = re.sub(r"[\s\-()（）]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _cell_text(value)
    if not text:
        return None
    m = DATE_RE.fullmatch(text)
    if not m:
        raise ValueError(text)
    return date(int(m[1]), int(m[2]), int(m[3]))


def _check_row(r: RosterRow, today: date,
               orgs: dict[str, int]) -> tuple[RowPlan | None, list[tuple[str, dict[str, Any]]]]:
    problems: list[tuple[str, dict[str, Any]]] = []
    name = _cell_text(r.values.get("name"))
    if not name:
        problems.append(_problem("name_missing"))
    elif len(name) > 50:
        problems.append(_problem("name_too_long"))
    phone_text = _cell_text(r.values.get("phone"))
    phone = _phone(r.values.get("phone"))
    if not phone_text:
        problems.append(_problem("phone_missing"))
    elif not PHONE_RE.fullmatch(phone):
        problems.append(_problem("phone_bad", value=phone_text))
    status_text = _cell_text(r.values.get("status"))
    status = STATUS_WORDS.get(status_text, "full" if not status_text else "")
    if not status:
        problems.append(_problem("status_bad", value=status_text))
    joined: date | None = None
    try:
        joined = _date(r.values.get("joined_on"))
    except ValueError:
        problems.append(_problem("date_bad", value=_cell_text(r.values.get("joined_on"))))
    if joined and joined > today:
        problems.append(_problem("date_future", value=joined))
    texts = {"group": _cell_text(r.values.get("group")), "title": _cell_text(r.values.get("title"))}
    for column, limit in TEXT_LIMITS:
        if len(texts[column]) > limit:
            problems.append(_problem("text_too_long", column=column, n=limit))
    group, title = texts["group"], texts["title"]
    org_name = _cell_text(r.values.get("org"))
    org_id = None
    if org_name:
        org_id = orgs.get(org_name)
        if org_id is None:
            problems.append(_problem("org_unknown", value=org_name))
    if problems:
        return None, problems
    return RowPlan(r.row, name, phone, status, joined, group, title, org_id), []


def check_rows(session: Session, branch: Branch, rows: list[RosterRow], today: date,
               progress: Progress | None = None) -> tuple[list[RowPlan], list[RowProblem]]:
    """Every row checked against the file and the database; returns plans and the problems, by row."""
    orgs = {o.name: o.id for o in session.scalars(select(SocialOrg).where(SocialOrg.branch_id == branch.id))}
    plans: list[RowPlan] = []
    errors: list[RowProblem] = []
    first_row_of: dict[str, int] = {}
    for r in rows:
        plan, problems = _check_row(r, today, orgs)
        if plan is not None:
            if plan.phone in first_row_of:
                problems.append(_problem("duplicate", row=first_row_of[plan.phone], phone=mask_phone(plan.phone)))
            else:
                first_row_of[plan.phone] = r.row
                plans.append(plan)
        errors += [RowProblem(r.row, reason, params) for reason, params in problems]
        if progress:
            progress(1)
    # The same person already registered with another branch (phone numbers are unique).
    phones = [p.phone for p in plans]
    elsewhere: dict[str, Member] = {}
    for chunk in _chunks(phones, 500):
        for m in session.scalars(select(Member).where(Member.phone.in_(chunk))):
            if m.branch_id != branch.id:
                elsewhere[m.phone or ""] = m
    for plan in plans:
        other = elsewhere.get(plan.phone)
        if other is not None:
            other_branch = session.get(Branch, other.branch_id) if other.branch_id else None
            errors.append(RowProblem(plan.row, "other_branch", {
                "phone": mask_phone(plan.phone), "branch": other_branch.name if other_branch else None,
                "name": other.name}))
    errors.sort(key=lambda e: e.row)
    return plans, errors


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# -- writing -------------------------------------------------------------------------------------
def import_target(session: Session, *, branch_id: int, actor: Actor) -> Branch:
    """The branch a roster would be imported into, if `actor` may import into it."""
    branch = get_branch(session, branch_id)
    require(session, actor, Action.IMPORT_ROSTER, branch)
    return branch


def import_roster(session: Session, *, branch_id: int, rows: list[RosterRow], now: datetime,
                  actor: Actor, progress: Progress | None = None) -> ImportResult:
    """Check every row, then write them all or none."""
    branch = import_target(session, branch_id=branch_id, actor=actor)
    if not rows:
        raise Invalid("roster_empty")
    plans, errors = check_rows(session, branch, rows, now.date(), progress)
    if errors:
        raise RosterInvalid(errors)
    result = ImportResult()
    groups = {g.name: g for g in session.scalars(select(PartyGroup).where(PartyGroup.branch_id == branch.id))}
    existing: dict[str, Member] = {}
    for chunk in _chunks([p.phone for p in plans], 500):
        existing.update({m.phone or "": m for m in session.scalars(select(Member).where(Member.phone.in_(chunk)))})
    grants = {(g.member_id, g.role) for g in session.scalars(
        select(RoleGrant).where(RoleGrant.scope_type == "branch", RoleGrant.scope_id == branch.id))}
    for plan in plans:
        group_id = None
        if plan.group:
            if plan.group not in groups:
                groups[plan.group] = PartyGroup(branch_id=branch.id, name=plan.group)
                session.add(groups[plan.group])
                session.flush()
                result.groups_created += 1
            group_id = groups[plan.group].id
        wanted = {"name": plan.name, "status": plan.status, "joined_on": plan.joined_on, "group_id": group_id,
                  "title": plan.title, "org_id": plan.org_id,
                  "is_committee_member": _is_committee_title(plan.title), "active": True}
        member = existing.get(plan.phone)
        if member is None:
            member = Member(phone=plan.phone, branch_id=branch.id, created_at=now, **wanted)
            session.add(member)
            session.flush()
            result.created += 1
        else:
            changed = {k: v for k, v in wanted.items() if getattr(member, k) != v}
            for k, v in changed.items():
                setattr(member, k, v)
            if changed:
                result.updated += 1
            else:
                result.unchanged += 1
        role = _role_for_title(plan.title)
        if role and (member.id, role) not in grants:
            session.add(RoleGrant(member_id=member.id, role=role, scope_type="branch", scope_id=branch.id,
                                  created_at=now))
            grants.add((member.id, role))
        if progress:
            progress(1)
    session.flush()
    log.info("roster imported into branch %s by %s: created=%s updated=%s unchanged=%s groups_created=%s",
             branch.id, _who(actor), result.created, result.updated, result.unchanged, result.groups_created)
    return result


def _is_committee_title(title: str) -> bool:
    return title in SECRETARY_TITLES or any(w in title for w in COMMITTEE_TITLE_WORDS)


def _role_for_title(title: str) -> str | None:
    if title in SECRETARY_TITLES:
        return "secretary"
    if any(w in title for w in COMMITTEE_TITLE_WORDS):
        return "committee_member"
    return None


# -- export --------------------------------------------------------------------------------------
def _who(actor: Actor) -> str:
    return f"operator {actor.who}" if isinstance(actor, Operator) else f"member {actor.id}"


def export_roster(session: Session, *, branch_id: int | None, full: bool, path: str | Path,
                  actor: Actor) -> int:
    """Write the roster of a branch (and the organizations below it) or, for the operator only, of every
    branch to xlsx. Phones are masked unless `full`. Returns the number of members written."""
    branch_ids: list[int] | None = None
    if branch_id is not None:
        branch = get_branch(session, branch_id)
        require(session, actor, Action.EXPORT_ROSTER, branch)
        branch_ids = branch_ids_under(session, branch.id)
    elif not isinstance(actor, Operator):  # every branch: no member's scope covers that
        deny(actor, Action.EXPORT_ROSTER, "Branch#*")
    query = select(Member).where(Member.branch_id.is_not(None), Member.active.is_(True))
    if branch_ids is not None:
        query = query.where(Member.branch_id.in_(branch_ids))
    members = list(session.scalars(query.order_by(Member.branch_id, Member.id)))
    branches = {b.id: b.name for b in session.scalars(select(Branch))}
    groups = {g.id: g.name for g in session.scalars(select(PartyGroup))}
    orgs = {o.id: o.name for o in session.scalars(select(SocialOrg))}

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    many = branch_ids is None or len(branch_ids) > 1
    ws.append([HEADERS[c][0] for c in EXPORT_COLUMNS] + ([BRANCH_COLUMN] if many else []))
    for m in members:
        row: list[Any] = [
            m.name,
            m.phone if full else mask_phone(m.phone),
            STATUS_WRITTEN.get(m.status, m.status),
            m.joined_on.isoformat() if m.joined_on else "",
            groups.get(m.group_id, "") if m.group_id else "",
            m.title,
            orgs.get(m.org_id, "") if m.org_id else "",
        ]
        if many:
            row.append(branches.get(m.branch_id or 0, ""))
        ws.append(row)
    wb.save(str(path))
    log.info("roster exported: branch=%s members=%s full_phones=%s by %s", branch_id, len(members), full,
             _who(actor))
    return len(members)
