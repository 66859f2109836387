"""`flask --app bot import-roster | export-roster`: the organization work's commands.

These are the server operator's channel (whoever can run them can already read the database): they act
with full rights as bot.services.authz.Operator, named after the OS user, apply the same service functions
chat uses, and log who ran what.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.cli import operator, refused
from bot.infra import web
from bot.services.errors import ServiceError
from bot.services.org import roster
from bot.texts import org as T

log = logging.getLogger("zhibu.cli")




@click.command("import-roster")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--branch", "branch_id", type=int, required=True, help="The branch (party organization) id.")
def import_roster_cmd(file: Path, branch_id: int) -> None:
    """Import a 花名册 (xlsx): all rows or none; re-importing the same file changes nothing.

    Acts with full rights as the server's operator; the OS user is logged with the command and the ids.
    """
    who = operator("import-roster", file=file, branch=branch_id)
    if not file.exists():
        raise click.ClickException(T.CLI_FILE_MISSING.format(path=file))
    try:
        rows, unknown = roster.read_roster(file)
        with web.get_db().transaction() as session:
            branch = roster.import_target(session, branch_id=branch_id, actor=who)
            click.echo(T.CLI_IMPORT_INTO.format(branch=branch.name, id=branch.id, n=len(rows)))
            if unknown:
                click.echo(T.CLI_IMPORT_SKIPPED.format(names="、".join(unknown)))
            with click.progressbar(length=len(rows) * 2, label=T.CLI_IMPORT_PROGRESS, show_pos=True) as bar:
                result = roster.import_roster(session, branch_id=branch_id, rows=rows, now=web.now(),
                                              actor=who, progress=bar.update)
    except ServiceError as exc:
        raise refused(exc) from exc
    click.echo(T.ROSTER_DONE.format(created=result.created, updated=result.updated, unchanged=result.unchanged,
                                    groups=result.groups_created))


@click.command("export-roster")
@with_appcontext
@click.option("--branch", "branch_id", type=int, default=None, help="Only this branch and those below it.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the xlsx (default roster-<branch>.xlsx).")
@click.option("--full", is_flag=True, help="Write phone numbers in full (personal data: handle with care).")
def export_roster_cmd(branch_id: int | None, output: Path | None, full: bool) -> None:
    """Export the 花名册 to xlsx; phone numbers are masked unless --full.

    Acts with full rights as the server's operator; the OS user is logged with the command and the ids.
    """
    path = output or Path(f"roster-{branch_id or 'all'}.xlsx")
    who = operator("export-roster", branch=branch_id or "all", output=path, full=full)
    try:
        with web.get_db().transaction() as session:
            count = roster.export_roster(session, branch_id=branch_id, full=full, path=path, actor=who)
    except ServiceError as exc:
        raise refused(exc) from exc
    current_app.logger.info("export-roster wrote %s members to %s (full phones: %s)", count, path, full)
    click.echo(T.CLI_EXPORTED.format(n=count, path=path) + (T.CLI_EXPORTED_FULL if full else T.CLI_EXPORTED_MASKED))
