"""`flask --app bot import-roster | export-roster | seed-demo`: the organization work's commands.

These are the server operator's channel (whoever can run them can already read the database): they act
with full rights as bot.services.authz.Operator, named after the OS user, apply the same service functions
chat uses, and log who ran what.
"""

from __future__ import annotations

import getpass
import json
import logging
import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bot import texts
from bot.devtools import seed
from bot.infra import clock
from bot.infra.db import get_db
from bot.services.authz import Operator
from bot.services.errors import ServiceError
from bot.services.org import roster
from bot.texts import org as T

log = logging.getLogger("zhibu.cli")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment and no passwd entry (a bare container)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def _operator(command: str, **ids: object) -> Operator:
    """The operator running `command`, logged with the ids it acts on."""
    who = Operator(who=_os_user())
    log.info("operator %s ran %s %s", who.who, command, " ".join(f"{k}={v}" for k, v in ids.items()))
    return who


def _fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def _refused(exc: ServiceError) -> click.ClickException:
    return _fail(texts.refusal(exc, current_app.config))


@click.command("import-roster")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--branch", "branch_id", type=int, required=True, help="The branch (party organization) id.")
def import_roster_cmd(file: Path, branch_id: int) -> None:
    """Import a 花名册 (xlsx): all rows or none; re-importing the same file changes nothing.

    Acts with full rights as the server's operator; the OS user is logged with the command and the ids.
    """
    operator = _operator("import-roster", file=file, branch=branch_id)
    if not file.exists():
        raise _fail(T.CLI_FILE_MISSING.format(path=file))
    try:
        rows, unknown = roster.read_roster(file)
        with get_db().transaction() as session:
            branch = roster.import_target(session, branch_id=branch_id, actor=operator)
            click.echo(T.CLI_IMPORT_INTO.format(branch=branch.name, id=branch.id, n=len(rows)))
            if unknown:
                click.echo(T.CLI_IMPORT_SKIPPED.format(names="、".join(unknown)))
            with click.progressbar(length=len(rows) * 2, label=T.CLI_IMPORT_PROGRESS, show_pos=True) as bar:
                result = roster.import_roster(session, branch_id=branch_id, rows=rows, now=clock.now(),
                                              actor=operator, progress=bar.update)
    except ServiceError as exc:
        raise _refused(exc) from exc
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
    operator = _operator("export-roster", branch=branch_id or "all", output=path, full=full)
    try:
        with get_db().transaction() as session:
            count = roster.export_roster(session, branch_id=branch_id, full=full, path=path, actor=operator)
    except ServiceError as exc:
        raise _refused(exc) from exc
    current_app.logger.info("export-roster wrote %s members to %s (full phones: %s)", count, path, full)
    click.echo(T.CLI_EXPORTED.format(n=count, path=path) + (T.CLI_EXPORTED_FULL if full else T.CLI_EXPORTED_MASKED))


@click.command("seed-demo")
@with_appcontext
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the demo's ids, openids and check-in scenes as JSON.")
@click.option("--if-empty", is_flag=True, help="Do nothing if any committee exists already.")
def seed_demo_cmd(export_path: Path | None, if_empty: bool) -> None:
    """Build the demo: a committee, its branches and organizations, people with roles, meetings.

    Acts with full rights as the server's operator; the OS user is logged with the command and the ids.
    """
    operator = _operator("seed-demo", export=export_path, if_empty=if_empty)
    with get_db().transaction() as session:
        committee_id = seed.demo_committee_id(session)
        if committee_id is not None or (if_empty and seed.has_any_committee(session)):
            if not if_empty:
                raise _fail(T.CLI_DEMO_EXISTS.format(name=seed.DEMO_COMMITTEE))
            click.echo(T.CLI_DEMO_SKIPPED)
        else:
            committee = seed.seed_demo(session, clock.now(), current_app.config["TZ"], actor=operator)
            committee_id = committee.id
            click.echo(T.CLI_DEMO_WRITTEN.format(name=committee.name, id=committee.id))
        if export_path is not None:
            if committee_id is None:
                raise _fail(T.CLI_DEMO_NONE)
            data = seed.export_demo(session, committee_id)
            export_path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
            click.echo(T.CLI_DEMO_EXPORTED.format(path=export_path))
