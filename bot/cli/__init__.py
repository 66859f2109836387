"""The operator's channel: every `flask --app bot …` command, one module per capability, registered here.

Whoever can run these commands can already read the database, so they act with full rights as the
server's operator (bot.services.authz.Operator, named after the OS user) and each logs who ran what.
"""

from __future__ import annotations

import getpass
import logging
import os

import click
from flask import Flask

from bot import texts
from bot.infra import web
from bot.services.authz import Operator
from bot.services.errors import ServiceError

log = logging.getLogger("zhibu.cli")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in the environment and no passwd entry (a bare container)
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def operator(command: str, **ids: object) -> Operator:
    """The operator running `command` (named after the OS user), logged with the ids it acts on."""
    who = Operator(who=_os_user())
    log.info("operator %s ran %s %s", who.who, command, " ".join(f"{k}={v}" for k, v in ids.items()))
    return who


def refused(exc: ServiceError) -> click.ClickException:
    """A service's refusal as the CLI's error: its Chinese wording and exit status 1."""
    return click.ClickException(texts.refusal(exc, web.settings()))


def cannot_write(path: object, exc: OSError) -> click.ClickException:
    """A file the operator asked for could not be written (no such folder, no right, a full disk): exit 1."""
    from bot.texts import general

    return click.ClickException(general.CLI_CANNOT_WRITE.format(path=path, error=exc.strerror or exc))


def register(app: Flask) -> None:
    from bot.cli import db, devtools, exports, inspection, meetings, org, rectification, review, scheduler, volunteer

    for command in (db.db_cli, scheduler.scheduler_command, meetings.attendance_cmd, meetings.minutes_fetch_cmd,
                    org.org_cli, org.import_roster_cmd, org.export_roster_cmd, devtools.seed_demo_cmd,
                    devtools.seed_synthetic_cmd, review.review_cli, rectification.ledger_cli, exports.export_cli,
                    volunteer.volunteer_cli, inspection.inspection_cli):
        app.cli.add_command(command)
