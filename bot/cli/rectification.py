"""`flask --app bot ledger …`: 整改台账 add items and read the figures; `export ledger`: the xlsx.

The operator's channel: each command acts with full rights as bot.services.authz.Operator (named after the
OS user), applies the same service functions chat uses, and logs who ran what."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from bot.cli import cannot_write, operator, refused
from bot.cli.exports import export_cli
from bot.infra import web
from bot.infra.clock import fmt_day
from bot.services.errors import ServiceError
from bot.services.rectification import figures as ledger_figures
from bot.services.rectification import ledger
from bot.texts import rectification as T

ledger_cli = AppGroup("ledger", help="整改台账 add items and read the figures.")

DAY = click.DateTime(formats=["%Y-%m-%d"])


@ledger_cli.command("add")
@click.option("--branch", "branch_id", type=int, default=None, help="The branch (单位) the problem is in.")
@click.option("--organization", "organization_id", type=int, default=None,
              help="Or the social organization (单位, e.g. for 年检); its branch, if any, is the branch.")
@click.option("--source", required=True, help="问题来源: 述职评议 | 年检 | 检查 | 巡察.")
@click.option("--problem", required=True, help="问题.")
@click.option("--deadline", type=DAY, required=True, help="整改时限, YYYY-MM-DD (today or later).")
@click.option("--owner", "owner_phone", default=None, help="责任人's mobile number (default: the branch secretary).")
@click.option("--measures", default="", help="整改措施.")
@click.option("--category", default="", help="问题类别.")
def add_cmd(branch_id: int | None, organization_id: int | None, source: str, problem: str, deadline: datetime,
            owner_phone: str | None, measures: str, category: str) -> None:
    """Add a problem to the ledger (of a branch, or of a social organization); prints the item id last. A
    述职评议 item is linked to the branch's report in its latest review round."""
    if branch_id is None and organization_id is None:
        raise click.UsageError(T.CLI_UNIT_NEEDED)
    who = operator("ledger add", branch=branch_id, organization=organization_id, source=source)
    try:
        with web.get_db().transaction() as session:
            item = ledger.add(session, actor=who, branch_id=branch_id, organization_id=organization_id,
                              source=source, problem=problem, deadline=deadline.date(), owner_phone=owner_phone,
                              measures=measures, category=category, now=web.now(), settings=web.settings())
            view = ledger.describe(session, item, web.now(), web.settings())
    except ServiceError as exc:
        raise refused(exc) from exc
    click.echo(T.CLI_ADDED.format(unit=view.unit, source=T.source_word(view.source),
                                  problem=view.problem, deadline=fmt_day(view.deadline), id=view.id))


@ledger_cli.command("figures")
@click.option("--committee", "committee_id", type=int, default=None, help="A committee (and those below it).")
@click.option("--branch", "branch_id", type=int, default=None, help="Or a branch (and those below it).")
@click.option("--json", "as_json", is_flag=True, help='Print {"total", "open", "overdue", "closed", "rate"}.')
def figures_cmd(committee_id: int | None, branch_id: int | None, as_json: bool) -> None:
    """整改台账 figures: total, open, overdue, closed and 整改率 (rate = closed / total; null without items)."""
    who = operator("ledger figures", committee=committee_id, branch=branch_id)
    try:
        with web.get_db().transaction() as session:
            found = ledger_figures.figures(session, actor=who, committee_id=committee_id, branch_id=branch_id,
                                           now=web.now(), settings=web.settings())
    except ServiceError as exc:
        raise refused(exc) from exc
    if as_json:
        click.echo(json.dumps(found.overall.as_json(), ensure_ascii=False))
    else:
        click.echo(T.figures_report(found))


@export_cli.command("ledger")
@click.option("--committee", "committee_id", type=int, required=True, help="A committee (and those below it).")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the xlsx.")
def export_ledger_cmd(committee_id: int, out: Path) -> None:
    """Export the 整改台账 to xlsx: a sheet per source (述职评议, 年检, 检查, 巡察) and a summary sheet."""
    who = operator("export ledger", committee=committee_id, out=out)
    try:
        with web.get_db().transaction() as session:
            done = ledger_figures.export_ledger(session, actor=who, committee_id=committee_id, path=out,
                                                now=web.now(), settings=web.settings())
    except ServiceError as exc:
        raise refused(exc) from exc
    except OSError as exc:  # no such folder, no right to write there, a full disk
        raise cannot_write(out, exc) from exc
    click.echo(T.CLI_EXPORTED.format(n=done.rows, path=out, rate=T.rate_word(done.figures.overall.rate)))
