"""`flask --app bot attendance MEETING_ID [--json]` and `flask --app bot minutes-fetch`: meetings commands.

The operator's channel: these act with full rights as bot.services.authz.Operator (the OS user), logged.
"""

from __future__ import annotations

import getpass
import json
import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from bot import texts
from bot.infra import clock
from bot.infra.db import get_db
from bot.infra.wechat import media_fetcher
from bot.services.authz import Operator
from bot.services.errors import ServiceError
from bot.services.meetings import attendance, minutes
from bot.services.meetings import scheduling as meetings
from bot.texts import meetings as T

log = logging.getLogger("zhibu.cli")


@click.command("attendance")
@click.argument("meeting_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@with_appcontext
def attendance_cmd(meeting_id: int, as_json: bool) -> None:
    """应到/实到/请假/缺席/迟到 and the quorum of one meeting (the same figures as 签到情况).

    Runs as the server's operator, with full rights (logged)."""
    operator = Operator(who=getpass.getuser())
    log.info("operator %s ran attendance meeting_id=%s", operator.who, meeting_id)
    with get_db().Session() as session:
        try:
            meeting = meetings.get_meeting(session, meeting_id)
            summary = attendance.summarize(session, actor=operator, meeting=meeting, now=clock.now())
        except ServiceError as exc:
            raise click.ClickException(texts.refusal(exc, current_app.config)) from exc
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(T.attendance_summary(summary, current_app.config))


@click.command("minutes-fetch")
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def minutes_fetch_cmd(limit: int) -> None:
    """Fetch minutes photos whose download from WeChat failed earlier."""
    fetched = minutes.fetch_missing(media_fetcher(), limit, now=clock.now())
    click.echo(f"fetched {fetched}")
