"""整改台账's figures and file: open, overdue, closed and 整改率 (closed / total) for a committee subtree or a
branch, overall, per branch and per source, in one call; the ledger's rows as the committees' sheets have
them (序号, 单位, 问题来源, …) and the xlsx with one sheet per source and a summary sheet.

整改率 of no items is None (nothing to rectify is no rate at all; channels show "—", JSON null)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import local, today
from bot.models import Branch, Member, RectificationItem, SocialOrg
from bot.models.rectification import RECTIFICATION_SOURCES, RECTIFICATION_STATUSES
from bot.services import attachments, authz
from bot.services.authz import Action, Actor
from bot.services.errors import Invalid
from bot.services.org.structure import branch_ids_under, committee_subtree, get_branch, get_committee
from bot.services.rectification.ledger import BEFORE_PHASE, EVIDENCE_PHASE, SUBJECT, unit_label


@dataclass(frozen=True)
class Figures:
    total: int
    open: int  # not closed (待整改, 整改中, 待验收)
    overdue: int  # past the deadline and not closed
    closed: int
    rate: float | None  # closed / total; None when there are no items

    def as_json(self) -> dict[str, Any]:
        return {"total": self.total, "open": self.open, "overdue": self.overdue, "closed": self.closed,
                "rate": self.rate}


@dataclass(frozen=True)
class UnitFigures:
    """One 单位's figures: a branch, or a social organization that belongs to no branch (年检 items)."""

    branch_id: int | None  # None: items of an organization without a branch
    name: str
    figures: Figures
    organization_id: int | None = None  # set for an organization without a branch


@dataclass(frozen=True)
class SourceFigures:
    source: str  # a key of RECTIFICATION_SOURCES
    label: str
    figures: Figures


@dataclass(frozen=True)
class LedgerFigures:
    scope: str  # committee | branch
    scope_id: int
    scope_name: str
    overall: Figures
    by_branch: list[UnitFigures]
    by_source: list[SourceFigures]


def _figures(items: Iterable[tuple[str, date]], day: date) -> Figures:
    total = closed = overdue = 0
    for status, deadline in items:
        total += 1
        if status == "closed":
            closed += 1
        elif deadline < day:
            overdue += 1
    return Figures(total=total, open=total - closed, overdue=overdue, closed=closed,
                   rate=round(closed / total, 4) if total else None)


def _scoped_items(session: Session, *, actor: Actor | None, committee_id: int | None,
                  branch_id: int | None) -> tuple[str, int, str, list[RectificationItem]]:
    if (committee_id is None) == (branch_id is None):
        raise Invalid("ledger_scope_needed")
    query = select(RectificationItem).order_by(RectificationItem.id)
    if committee_id is not None:
        committee = get_committee(session, committee_id)
        authz.require(session, actor, Action.VIEW_RECTIFICATION, committee)
        query = query.where(RectificationItem.committee_id.in_(committee_subtree(committee.id)))
        return "committee", committee.id, committee.name, list(session.scalars(query))
    assert branch_id is not None
    branch = get_branch(session, branch_id)
    authz.require(session, actor, Action.VIEW_RECTIFICATION, branch)
    query = query.where(RectificationItem.branch_id.in_(branch_ids_under(session, branch.id)))
    return "branch", branch.id, branch.name, list(session.scalars(query))


def _figures_of(session: Session, scope: str, scope_id: int, scope_name: str, items: list[RectificationItem],
                day: date) -> LedgerFigures:
    names = _branch_names(session, items)
    orgs = _org_names(session, [i for i in items if i.branch_id is None])
    # A unit: (branch id, None), or (None, organization id) for an organization without a branch.
    per_unit: dict[tuple[int | None, int | None], list[tuple[str, date]]] = defaultdict(list)
    per_source: dict[str, list[tuple[str, date]]] = defaultdict(list)
    for item in items:
        unit = (item.branch_id, None) if item.branch_id is not None else (None, item.organization_id)
        per_unit[unit].append((item.status, item.deadline))
        per_source[item.source].append((item.status, item.deadline))
    by_branch = [UnitFigures(bid, names.get(bid, "") if bid is not None else orgs.get(oid, ""), _figures(rows, day),
                             organization_id=oid)
                 for (bid, oid), rows in sorted(per_unit.items(),
                                                key=lambda kv: (kv[0][0] is None, kv[0][0] or 0, kv[0][1] or 0))]
    sources = [*RECTIFICATION_SOURCES, *sorted(s for s in per_source if s not in RECTIFICATION_SOURCES)]
    by_source = [SourceFigures(s, RECTIFICATION_SOURCES.get(s, s), _figures(per_source.get(s, []), day))
                 for s in sources]
    return LedgerFigures(scope=scope, scope_id=scope_id, scope_name=scope_name,
                         overall=_figures(((i.status, i.deadline) for i in items), day),
                         by_branch=by_branch, by_source=by_source)


def figures(session: Session, *, actor: Actor | None, now: datetime, settings: Settings,
            committee_id: int | None = None, branch_id: int | None = None) -> LedgerFigures:
    """台账 / `ledger figures`: total, open, overdue, closed and 整改率 for a committee's subtree or a branch
    (and those below it), overall, per branch and per source (every source listed, empty ones with 0)."""
    scope, scope_id, name, items = _scoped_items(session, actor=actor, committee_id=committee_id,
                                                 branch_id=branch_id)
    return _figures_of(session, scope, scope_id, name, items, today(now, settings))


def _branch_names(session: Session, items: list[RectificationItem]) -> dict[int | None, str]:
    ids = {i.branch_id for i in items if i.branch_id is not None}
    if not ids:
        return {}
    return {b.id: b.name for b in session.scalars(select(Branch).where(Branch.id.in_(ids)))}


def _org_names(session: Session, items: list[RectificationItem]) -> dict[int | None, str]:
    ids = {i.organization_id for i in items if i.organization_id is not None}
    if not ids:
        return {}
    return {o.id: o.name for o in session.scalars(select(SocialOrg).where(SocialOrg.id.in_(ids)))}


# -- the ledger's rows and its xlsx --------------------------------------------------------------
COLUMNS = ("序号", "单位", "问题来源", "问题类别", "发现时间", "问题", "整改措施", "责任人", "整改时限", "状态",
           "完成情况", "佐证材料", "验收人", "销号日期")
SUMMARY_SHEET = "汇总"
SUMMARY_COLUMNS = ("类别", "名称", "问题总数", "未销号", "逾期", "已销号", "整改率")
SUMMARY_OVERALL, SUMMARY_SOURCE, SUMMARY_BRANCH = "合计", "问题来源", "单位"
OVERDUE_MARK = "（逾期）"
PHOTOS = "照片{n}张"
PHOTOS_BEFORE = "整改前照片{n}张"


@dataclass(frozen=True)
class LedgerRow:
    """One item as the committees' sheets have it (dates as dates, status as its word)."""

    id: int  # 序号
    unit: str
    source: str  # the key; `source_label` its word
    source_label: str
    category: str
    found_on: date | None
    problem: str
    measures: str
    owner: str
    deadline: date
    status: str  # the key
    status_label: str
    overdue: bool
    progress: str
    evidence: str
    photos: int
    verifier: str
    closed_on: date | None
    photos_before: int = 0

    def cells(self) -> list[Any]:
        status = self.status_label + (OVERDUE_MARK if self.overdue else "")
        evidence = "；".join(p for p in (self.evidence.replace("\n", "；"),
                                         PHOTOS_BEFORE.format(n=self.photos_before) if self.photos_before else "",
                                         PHOTOS.format(n=self.photos) if self.photos else "") if p)
        return [self.id, self.unit, self.source_label, self.category, self.found_on, self.problem, self.measures,
                self.owner, self.deadline, status, self.progress, evidence, self.verifier, self.closed_on]


def ledger_rows(session: Session, *, actor: Actor | None, now: datetime, settings: Settings,
                committee_id: int | None = None, branch_id: int | None = None) -> list[LedgerRow]:
    """The ledger of a committee subtree or a branch, one typed row per item, by id."""
    _scope, _id, _name, items = _scoped_items(session, actor=actor, committee_id=committee_id, branch_id=branch_id)
    return _rows(session, items, now, settings)


def _rows(session: Session, items: list[RectificationItem], now: datetime, settings: Settings) -> list[LedgerRow]:
    day = today(now, settings)
    branches = _branch_names(session, items)
    orgs = _org_names(session, items)
    people = {m for i in items for m in (i.owner_id, i.verifier_id) if m is not None}
    names = {m.id: m.name for m in session.scalars(select(Member).where(Member.id.in_(people)))} if people else {}
    photos = attachments.counts(session, SUBJECT, [i.id for i in items])
    rows = []
    for i in items:
        unit = unit_label(branches.get(i.branch_id, "") if i.branch_id is not None else "",
                          orgs.get(i.organization_id, "") if i.organization_id is not None else "")
        rows.append(LedgerRow(
            id=i.id, unit=unit, source=i.source, source_label=RECTIFICATION_SOURCES.get(i.source, i.source),
            category=i.category or "", found_on=i.found_on, problem=i.problem, measures=i.measures or "",
            owner=names.get(i.owner_id, "") if i.owner_id is not None else "", deadline=i.deadline,
            status=i.status, status_label=RECTIFICATION_STATUSES.get(i.status, i.status),
            overdue=i.status != "closed" and i.deadline < day, progress=i.progress or "",
            evidence=(i.evidence or "").strip(), photos=photos.get((i.id, EVIDENCE_PHASE), 0),
            verifier=names.get(i.verifier_id, "") if i.verifier_id is not None else "",
            closed_on=local(i.closed_at, settings).date() if i.closed_at is not None else None,
            photos_before=photos.get((i.id, BEFORE_PHASE), 0)))
    return rows


@dataclass(frozen=True)
class Exported:
    rows: int
    figures: LedgerFigures


def _summary_row(kind: str, name: str, f: Figures) -> list[Any]:
    return [kind, name, f.total, f.open, f.overdue, f.closed, f.rate]


def export_ledger(session: Session, *, actor: Actor | None, committee_id: int, path: str | Path, now: datetime,
                  settings: Settings) -> Exported:
    """`export ledger`: the committee subtree's ledger to xlsx, one sheet per source (述职评议, 年检, 检查, 巡察)
    in the sheets' columns, and a summary sheet with the figures (overall, per source, per branch); 整改率
    written as a fraction (the cell formatted as a percentage)."""
    scope, scope_id, name, items = _scoped_items(session, actor=actor, committee_id=committee_id, branch_id=None)
    found = _figures_of(session, scope, scope_id, name, items, today(now, settings))
    rows = _rows(session, items, now, settings)
    wb = Workbook()
    first = wb.active
    wb.remove(first)
    for source, label in RECTIFICATION_SOURCES.items():
        ws = wb.create_sheet(label)
        ws.append(list(COLUMNS))
        for row in rows:
            if row.source == source:
                ws.append(row.cells())
        for column in ("E", "I", "N"):
            for cell in ws[column][1:]:
                cell.number_format = "yyyy-mm-dd"
    ws = wb.create_sheet(SUMMARY_SHEET)
    ws.append(list(SUMMARY_COLUMNS))
    ws.append(_summary_row(SUMMARY_OVERALL, name, found.overall))
    for s in found.by_source:
        ws.append(_summary_row(SUMMARY_SOURCE, s.label, s.figures))
    for b in found.by_branch:
        ws.append(_summary_row(SUMMARY_BRANCH, b.name, b.figures))
    for cell in ws["G"][1:]:
        cell.number_format = "0.00%"
    wb.save(str(path))
    return Exported(rows=len(rows), figures=found)
