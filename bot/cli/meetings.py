"""`flask --app bot attendance MEETING_ID [--json]` and `flask --app bot minutes-fetch`: meetings commands.

The operator's channel: these act with full rights as bot.services.authz.Operator (the OS user), logged.
"""

from __future__ import annotations

import json
import logging

import click
from flask.cli import with_appcontext

from bot.cli import operator, refused
from bot.infra import web
from bot.infra.wechat import media_fetcher
from bot.services import attachments
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
    who = operator("attendance", meeting_id=meeting_id)
    with web.get_db().Session() as session:
        try:
            meeting = meetings.get_meeting(session, meeting_id)
            summary = attendance.summarize(session, actor=who, meeting=meeting, now=web.now())
        except ServiceError as exc:
            raise refused(exc) from exc
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(T.attendance_summary(summary, web.settings()))


@click.command("minutes-fetch")
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def minutes_fetch_cmd(limit: int) -> None:
    """Fetch photos (minutes, 述职 reports, 整改 evidence) whose download from WeChat failed earlier."""
    operator("minutes-fetch", limit=limit)
    source = media_fetcher()
    fetched = minutes.fetch_missing(source, limit, now=web.now()) + attachments.fetch_missing(source, limit,
                                                                                               now=web.now())
    click.echo(f"fetched {fetched}")
