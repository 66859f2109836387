"""`flask --app bot inspection …`: 年检 record filings and results, read the status, draft the party-work section.

The operator's channel: each command acts as bot.services.authz.Operator (named after the OS user) and
applies the same service functions chat uses."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click
from docx import Document
from flask.cli import AppGroup

from bot.cli import cannot_write, operator, refused
from bot.infra import web
from bot.models.inspection import INSPECTION_RESULTS
from bot.services.errors import ServiceError
from bot.services.inspection import draft as drafting
from bot.services.inspection import filing
from bot.texts import inspection as T
from bot.texts.rectification import rate_word

inspection_cli = AppGroup("inspection", help="年检: record filings and results, read the status, draft the "
                                               "party-work section.")

DAY = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@inspection_cli.command("record")
@click.argument("org_id", type=int)
@click.option("--year", type=int, required=True, help="The year reported on (filed in the next year).")
@click.option("--filed-supervisor", type=DAY, default=None, help="Day filed with the supervising unit (YYYY-MM-DD).")
@click.option("--filed-registrar", type=DAY, default=None, help="Day filed with the registrar (YYYY-MM-DD).")
@click.option("--party-section-filed/--no-party-section-filed", default=None,
              help="双提交: the party-work section (党建工作情况) was filed with the report.")
@click.option("--result", type=click.Choice(list(INSPECTION_RESULTS.values())), default=None,
              help="The registrar's conclusion: 合格 | 基本合格 | 不合格.")
def record_cmd(org_id: int, year: int, filed_supervisor: datetime | None, filed_registrar: datetime | None,
               party_section_filed: bool | None, result: str | None) -> None:
    """Record an organization's filings and result for YEAR (opens its row if needed); prints the row's id last.
    A 基本合格 or 不合格 result adds one 整改台账 item (source 年检)."""
    who = operator("inspection record", org=org_id, year=year)
    try:
        with web.get_db().transaction() as session:
            done = filing.record(session, actor=who, organization_id=org_id, year=year,
                                 filed_supervisor=_day(filed_supervisor), filed_registrar=_day(filed_registrar),
                                 party_section_filed=party_section_filed, result=result, now=web.now(),
                                 settings=web.settings())
    except ServiceError as exc:
        raise refused(exc) from exc
    s = done.state
    if done.opened:
        click.echo(T.CLI_OPENED.format(org=s.name, year=s.year, sup=T.full_day(s.supervisor_deadline),
                                       reg=T.full_day(s.registrar_deadline)))
    if done.ledger_item_created and done.ledger_deadline is not None:
        click.echo(T.CLI_LEDGER_ADDED.format(result=T.result_word(s.result), item=done.ledger_item_id,
                                             deadline=T.full_day(done.ledger_deadline)))
    elif result is not None and done.ledger_item_id is not None and s.result in filing.POOR_RESULTS:
        click.echo(T.CLI_LEDGER_KEPT.format(item=done.ledger_item_id))
    click.echo(T.CLI_RECORDED.format(
        org=s.name, org_id=s.organization_id, year=s.year, status=T.status_word_of(s.status),
        sup=T.filed_word(s.supervisor_filed_on, s.supervisor_deadline),
        reg=T.filed_word(s.registrar_filed_on, s.registrar_deadline),
        party=T.PARTY_FILED if s.party_section_filed else T.PARTY_NOT_FILED, id=s.inspection_id))


def status_json(found: filing.CommitteeStatus) -> dict[str, Any]:
    """The contract of `inspection status --json` (rates as fractions, null without a denominator)."""
    return {
        "required": found.required, "filed": found.filed, "participation_rate": found.participation_rate,
        "passed": found.passed, "pass_rate": found.pass_rate, "overdue": found.overdue,
        "organizations": [{
            "id": s.organization_id, "name": s.name, "status": T.status_word_of(s.status),
            "result": T.result_word(s.result), "party_section_filed": s.party_section_filed,
            "term_ends": s.term_ends.isoformat() if s.term_ends else None,
            "board_term_due": s.board_term_due, "status_key": s.status, "filed": s.filed, "passed": s.passed,
            "overdue": s.overdue, "supervisor_deadline": s.supervisor_deadline.isoformat(),
            "registrar_deadline": s.registrar_deadline.isoformat(),
            "supervisor_filed_on": s.supervisor_filed_on.isoformat() if s.supervisor_filed_on else None,
            "registrar_filed_on": s.registrar_filed_on.isoformat() if s.registrar_filed_on else None,
        } for s in found.organizations],
    }


@inspection_cli.command("status")
@click.option("--committee", "committee_id", type=int, required=True,
              help="The committee (its organizations and those of the committees below it).")
@click.option("--year", type=int, required=True, help="The year reported on.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures and organizations as JSON.")
def status_cmd(committee_id: int, year: int, as_json: bool) -> None:
    """参检率 (filed / required) and 合格率 (passed / filed) of a committee's organizations for YEAR, with each
    organization's status and the 换届 flag. filed = filed with the registrar; passed = 合格."""
    who = operator("inspection status", committee=committee_id, year=year)
    try:
        with web.get_db().transaction(lazy=True) as session:
            found = filing.status(session, actor=who, committee_id=committee_id, year=year, now=web.now(),
                                  settings=web.settings())
    except ServiceError as exc:
        raise refused(exc) from exc
    if as_json:
        click.echo(json.dumps(status_json(found), ensure_ascii=False, indent=2))
        return
    click.echo(T.CLI_STATUS_HEADER.format(
        committee=found.committee_name, year=found.year, required=found.required, filed=found.filed,
        participation=rate_word(found.participation_rate), passed=found.passed,
        pass_rate=rate_word(found.pass_rate), overdue=found.overdue))
    for s in found.organizations:
        click.echo(T.CLI_STATUS_LINE.format(
            id=s.organization_id, name=s.name, status=T.status_word_of(s.status),
            party=T.PARTY_FILED if s.party_section_filed else T.PARTY_NOT_FILED,
            term=T.term_word(s.term_ends, s.board_term_due)))


def write_docx(found: drafting.PartyWorkDraft, path: Path) -> None:
    """The drafted party-work section as a Word document (the same words as 年检材料 by chat)."""
    title, sections = T.draft_sections(found)
    doc = Document()
    doc.add_heading(title, level=1)
    doc.add_paragraph(T.DRAFT_SOURCE.format(year=found.year))
    for heading, paragraphs in sections:
        doc.add_heading(heading, level=2)
        for text in paragraphs:
            doc.add_paragraph(text)
    doc.save(str(path))


@inspection_cli.command("draft")
@click.argument("org_id", type=int)
@click.option("--year", type=int, required=True, help="The year reported on.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the .docx.")
def draft_cmd(org_id: int, year: int, out: Path) -> None:
    """Draft the party-work section (党建工作情况) of an organization's report on YEAR from the records."""
    who = operator("inspection draft", org=org_id, year=year, out=out)
    if out.suffix.lower() != ".docx":
        raise click.BadParameter(T.CLI_NOT_DOCX, param_hint="--out")
    try:
        with web.get_db().transaction(lazy=True) as session:
            found = drafting.draft(session, actor=who, organization_id=org_id, year=year, now=web.now(),
                                   settings=web.settings())
    except ServiceError as exc:
        raise refused(exc) from exc
    try:
        write_docx(found, out)
    except OSError as exc:  # no such folder, no right to write there, a full disk
        raise cannot_write(out, exc) from exc
    click.echo(T.CLI_DRAFT_WRITTEN.format(org=found.organization_name, year=year, path=out))
