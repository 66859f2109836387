"""Opening a year's 年检: every organization gets its row for the year reported on, with its registrar's
deadlines (INSPECTION_DEADLINES, "default" for the rest).

The season of year Y starts on 1 January of Y + 1 (local time): from then on the scheduler opens the rows of
every organization (`open_season`, called explicitly by the sweep), and `inspection record` opens one row on
demand (`open_one`). Rows are never opened for a year whose season has not started."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import exists, literal, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.infra.db import insert_for
from bot.models import AnnualInspection, SocialOrg


def filing_year(now: datetime, settings: Settings) -> int:
    """The year whose reports are filed this (local) year: last year."""
    return today(now, settings).year - 1


def season_started(year: int, now: datetime, settings: Settings) -> bool:
    """Has the inspection season of `year` begun (1 January of year + 1, local time)?"""
    return today(now, settings) >= date(year + 1, 1, 1)


def deadlines_for(registrar: str, year: int, settings: Settings) -> tuple[date, date]:
    """(to the supervising unit, to the registrar) for an organization of `registrar` reporting on `year`."""
    table: dict[str, dict[str, str]] = dict(settings["INSPECTION_DEADLINES"])
    pair = table.get(registrar) if registrar and registrar != "default" else None
    pair = pair or table["default"]
    sup_m, sup_d = (int(x) for x in pair["supervisor"].split("-"))
    reg_m, reg_d = (int(x) for x in pair["registrar"].split("-"))
    return date(year + 1, sup_m, sup_d), date(year + 1, reg_m, reg_d)


def _naive_utc(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(tzinfo=None)  # the column holds naive UTC


def open_year(session: Session, year: int, now: datetime, settings: Settings) -> int:
    """Make sure every organization has its 年检 row for `year` (filed in year + 1), created at `now`.
    Set-based: one INSERT … SELECT per registrar; rows already there are left as they are. Returns how
    many rows were opened."""
    table: dict[str, dict[str, str]] = dict(settings["INSPECTION_DEADLINES"])
    named = [k for k in table if k != "default"]
    insert = insert_for(session)
    created_at = _naive_utc(now)
    written = 0
    for registrar in table:
        supervisor_deadline, registrar_deadline = deadlines_for(registrar, year, settings)
        which = SocialOrg.registrar == registrar if registrar != "default" else SocialOrg.registrar.not_in(named)
        src = select(SocialOrg.id, literal(year), literal(supervisor_deadline),
                     literal(registrar_deadline), literal(created_at)).where(
            which, ~exists().where(AnnualInspection.organization_id == SocialOrg.id, AnnualInspection.year == year))
        stmt = insert(AnnualInspection).from_select(
            ["organization_id", "year", "supervisor_deadline", "registrar_deadline", "created_at"], src
        ).on_conflict_do_nothing(index_elements=["organization_id", "year"])
        written += int(getattr(session.execute(stmt), "rowcount", 0) or 0)
    return written


def open_season(session: Session, now: datetime, settings: Settings) -> int:
    """The scheduler's step: open the rows of the year being filed now (its season has started)."""
    return open_year(session, filing_year(now, settings), now, settings)


def open_one(session: Session, org: SocialOrg, year: int, now: datetime, settings: Settings) -> AnnualInspection:
    """The organization's row for `year`, opened now if missing (a unique key: concurrent openers make one).
    The caller has authorized and checked that the season has started."""
    supervisor_deadline, registrar_deadline = deadlines_for(org.registrar, year, settings)
    session.execute(insert_for(session)(AnnualInspection).values(
        organization_id=org.id, year=year, supervisor_deadline=supervisor_deadline,
        registrar_deadline=registrar_deadline, party_section_filed=False, created_at=now,
        updated_at=now).on_conflict_do_nothing(index_elements=["organization_id", "year"]))
    row = session.scalar(select(AnnualInspection).where(AnnualInspection.organization_id == org.id,
                                                        AnnualInspection.year == year)
                         .execution_options(populate_existing=True))
    assert row is not None
    return row
