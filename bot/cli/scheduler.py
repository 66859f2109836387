"""`flask --app bot scheduler [--once] [--now ISO]`."""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.cli import operator
from bot.infra.clock import FrozenClock


@click.command("scheduler")
@click.option("--once", is_flag=True, help="Run every sweep and the dispatcher once, then exit (cron, tests).")
@click.option("--now", "now_text", default=None, metavar="ISO",
              help="Act as if it were this moment, e.g. 2026-11-23T09:00+08:00 (tests, replays).")
@with_appcontext
def scheduler_command(once: bool, now_text: str | None) -> None:
    """Reminders and notification delivery: sweeps write the outbox, the dispatcher sends it."""
    operator("scheduler", once=once, now=now_text)
    from scheduler.runner import run_once, serve

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if now_text:
        try:
            moment = datetime.fromisoformat(now_text)
        except ValueError as exc:
            raise click.BadParameter(f"not an ISO time: {now_text!r}", param_hint="--now") from exc
        if moment.tzinfo is None:
            raise click.BadParameter("give a time zone, e.g. 2026-11-23T09:00+08:00", param_hint="--now")
        app.config["CLOCK"] = FrozenClock(moment)
    if once:
        click.echo(json.dumps(run_once(app), ensure_ascii=False, sort_keys=True))
        return
    serve(app)
