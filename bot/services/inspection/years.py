"""Opening a year's 年检: every organization gets its row for the year reported on, with its registrar's
deadlines (INSPECTION_DEADLINES, "default" for the rest)."""

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


def open_year(session: Session, year: int, now: datetime, settings: Settings) -> int:
    """Make sure every organization has its 年检 row for `year` (filed in year + 1), created at `now`.
    Set-based: one INSERT … SELECT per registrar; rows already there are left as they are. Returns how
    many rows were opened."""
    table: dict[str, dict[str, str]] = dict(settings["INSPECTION_DEADLINES"])
    named = [k for k in table if k != "default"]
    insert = insert_for(session)
    created_at = now.astimezone(UTC).replace(tzinfo=None)  # the column holds naive UTC
    written = 0
    for registrar, pair in table.items():
        sup_m, sup_d = (int(x) for x in pair["supervisor"].split("-"))
        reg_m, reg_d = (int(x) for x in pair["registrar"].split("-"))
        which = SocialOrg.registrar == registrar if registrar != "default" else SocialOrg.registrar.not_in(named)
        src = select(SocialOrg.id, literal(year), literal(date(year + 1, sup_m, sup_d)),
                     literal(date(year + 1, reg_m, reg_d)), literal(created_at)).where(
            which, ~exists().where(AnnualInspection.organization_id == SocialOrg.id, AnnualInspection.year == year))
        stmt = insert(AnnualInspection).from_select(
            ["organization_id", "year", "supervisor_deadline", "registrar_deadline", "created_at"], src
        ).on_conflict_do_nothing(index_elements=["organization_id", "year"])
        written += int(getattr(session.execute(stmt), "rowcount", 0) or 0)
    return written
