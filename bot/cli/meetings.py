"""`flask --app bot attendance MEETING_ID [--json]` and `flask --app bot minutes-fetch`: meetings commands."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from bot.infra import clock
from bot.infra.db import get_db
from bot.services.errors import ServiceError
from bot.services.meetings import attendance, minutes
from bot.services.meetings import scheduling as meetings


@click.command("attendance")
@click.argument("meeting_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@with_appcontext
def attendance_cmd(meeting_id: int, as_json: bool) -> None:
    """应到/实到/请假/缺席/迟到 and the quorum of one meeting (the same figures as 签到情况)."""
    with get_db().Session() as session:
        try:
            meeting = meetings.get_meeting(session, meeting_id)
        except ServiceError as exc:
            raise click.ClickException(exc.message) from exc
        summary = attendance.summarize(session, meeting, clock.now())
    if as_json:
        click.echo(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(attendance.summary_text(summary, current_app.config))


@click.command("minutes-fetch")
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def minutes_fetch_cmd(limit: int) -> None:
    """Fetch minutes photos whose download from WeChat failed earlier."""
    from bot.infra.wechat import media_fetcher

    fetched = minutes.fetch_missing(media_fetcher(), limit, now=clock.now())
    click.echo(f"fetched {fetched}")


def register(app: Flask) -> None:
    app.cli.add_command(attendance_cmd)
    app.cli.add_command(minutes_fetch_cmd)
