"""`flask --app bot review open | close | results` and `flask --app bot export review`: 述职评议 rounds.

The operator's channel: each command acts as bot.services.authz.Operator (named after the OS user), applies
the same services chat uses, and logs who ran what. Refusals print their Chinese wording and exit 1."""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup
from openpyxl import Workbook

from bot.cli import cannot_write, operator, refused
from bot.cli.exports import export_cli
from bot.infra import web
from bot.services.errors import ServiceError
from bot.services.review import rounds
from bot.texts import review as T

review_cli = AppGroup("review", help="述职评议 open, close and read rounds. Acts with full rights as the server's "
                                     "operator; the OS user is logged with each command.")


def _ids(values: tuple[str, ...], option: str) -> list[int]:
    """BRANCH_ID,… (repeatable; full-width digits as typed on a Chinese keyboard): ids; anything else is a usage
    error (exit 2)."""
    ids: list[int] = []
    for value in values:
        for part in unicodedata.normalize("NFKC", value).split(","):
            part = part.strip().removeprefix("#")
            if not part:
                continue
            if not part.isascii() or not part.isdigit():
                raise click.BadParameter(f"{part!r} is not a branch id", param_hint=option)
            ids.append(int(part))
    return ids


def _phones(values: tuple[str, ...]) -> list[str]:
    return [p.strip() for value in values for p in unicodedata.normalize("NFKC", value).split(",") if p.strip()]


@review_cli.command("open")
@click.option("--committee", "committee_id", type=int, required=True, help="The committee whose branches report.")
@click.option("--year", type=int, required=True, help="The year reported on.")
@click.option("--deadline", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="Reports are due by the end of this local day (YYYY-MM-DD).")
@click.option("--scale", default=None, help="A REVIEW_SCALES name, or grades best first joined by / (好/较好/一般/差).")
@click.option("--onsite", multiple=True, help="Branch ids reporting on site (现场述职), comma-separated.")
@click.option("--reviewer", multiple=True, help="A reviewer's mobile number (repeatable, or comma-separated).")
@click.option("--branch", "branches", multiple=True,
              help="Only these branch ids report (default: every 党支部 under the committee).")
def open_cmd(committee_id: int, year: int, deadline: datetime, scale: str | None, onsite: tuple[str, ...],
             reviewer: tuple[str, ...], branches: tuple[str, ...]) -> None:
    """Open a round for a committee and a year; prints the round id last."""
    who = operator("review open", committee=committee_id, year=year)
    try:
        with web.get_db().transaction() as session:
            opened = rounds.open_round(session, actor=who, committee_id=committee_id, year=year,
                                       deadline=deadline.date(), scale=scale, onsite=_ids(onsite, "--onsite"),
                                       reviewer_phones=_phones(reviewer),
                                       branch_ids=_ids(branches, "--branch") if branches else None,
                                       title=T.ROUND_TITLE.format(year=year), now=web.now(), settings=web.settings())
    except ServiceError as exc:
        raise refused(exc) from exc
    if not opened.reviewers:
        click.echo(T.CLI_NO_REVIEWERS, err=True)
    click.echo(T.CLI_OPENED.format(year=opened.year, branches=opened.branches, onsite=opened.onsite,
                                   reviewers=opened.reviewers, scale="/".join(opened.scale),
                                   deadline=T.due_day(opened.deadline, web.settings()), id=opened.id))


@review_cli.command("close")
@click.argument("round_id", type=int)
def close_cmd(round_id: int) -> None:
    """Close a round: each submitted report gets its final grade (已评议)."""
    who = operator("review close", round=round_id)
    try:
        with web.get_db().transaction() as session:
            done = rounds.close_round(session, actor=who, round_id=round_id, now=web.now(), settings=web.settings())
    except ServiceError as exc:
        raise refused(exc) from exc
    click.echo(T.CLI_CLOSED.format(id=done.round_id, reviewed=done.reviewed, onsite=done.onsite,
                                   written=done.written, grades=T.grade_counts(done.grades)))


@review_cli.command("results")
@click.argument("round_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
def results_cmd(round_id: int, as_json: bool) -> None:
    """The round's table (reviewed, on site, in writing, count per grade) and each report's grades."""
    who = operator("review results", round=round_id)
    try:
        with web.get_db().Session() as session:
            res = rounds.results(session, actor=who, round_id=round_id, settings=web.settings())
    except ServiceError as exc:
        raise refused(exc) from exc
    if as_json:
        click.echo(json.dumps(res.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(T.CLI_RESULTS_HEAD.format(title=res.title, id=res.round_id,
                                         status=T.ROUND_STATUS_WORDS.get(res.status, res.status),
                                         reviewed=res.reviewed, onsite=res.onsite, written=res.written,
                                         grades=T.grade_counts(res.grades)))
    for r in res.reports:
        click.echo(T.CLI_RESULTS_LINE.format(branch_id=r.branch_id, branch=r.branch,
                                             mode=T.MODE_WORDS.get(r.mode, r.mode), status=T.status_word(r.status),
                                             grades=T.grade_counts(r.grades), final=r.final_grade or T.NO_FINAL))


def write_results(res: rounds.RoundResults, path: Path) -> None:
    """Sheet 1: the round's table; sheet 2: each report's grade counts, final grade and reviewers' grades."""
    wb = Workbook()
    summary = wb.active
    summary.title = T.SHEET_SUMMARY
    summary.append([*T.SUMMARY_HEADERS, *res.scale])
    summary.append([res.title, res.year, T.ROUND_STATUS_WORDS.get(res.status, res.status), res.reviewed,
                    res.onsite, res.written, *(res.grades[g] for g in res.scale)])
    sheet = wb.create_sheet(T.SHEET_REPORTS)
    sheet.append([*T.REPORT_HEADERS, *res.scale, T.REPORT_FINAL, T.REPORT_REVIEWERS])
    for r in res.reports:
        reviewers = "；".join(T.REVIEWER_CELL.format(name=g.reviewer, grade=g.grade,
                                                     comment=f"（{g.comment}）" if g.comment else "")
                             for g in r.by_reviewer)
        sheet.append([r.branch_id, r.branch, T.MODE_WORDS.get(r.mode, r.mode), T.status_word(r.status),
                      *(r.grades[g] for g in res.scale), r.final_grade or "", reviewers])
    wb.save(str(path))


@export_cli.command("review")
@click.argument("round_id", type=int)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the xlsx.")
def export_review_cmd(round_id: int, out: Path) -> None:
    """Export a round's table and each report's grades to xlsx."""
    who = operator("export review", round=round_id, out=out)
    try:
        with web.get_db().Session() as session:
            res = rounds.results(session, actor=who, round_id=round_id, settings=web.settings())
    except ServiceError as exc:
        raise refused(exc) from exc
    try:
        write_results(res, out)
    except OSError as exc:  # no such folder, no right to write there, a full disk
        raise cannot_write(out, exc) from exc
    click.echo(T.CLI_EXPORTED.format(id=res.round_id, n=len(res.reports), path=out))
