"""`flask --app bot seed-demo` and `seed-synthetic`: demo and benchmark data (never production data)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.cli import operator
from bot.devtools import seed
from bot.devtools.synthetic import CitySize, seed_city
from bot.infra import web
from bot.texts import org as T


@click.command("seed-demo")
@with_appcontext
@click.option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the demo's ids, openids and check-in scenes as JSON.")
@click.option("--if-empty", is_flag=True, help="Do nothing if any committee exists already.")
def seed_demo_cmd(export_path: Path | None, if_empty: bool) -> None:
    """Build the demo: a committee, its branches and organizations, people with roles, meetings.

    Acts with full rights as the server's operator; the OS user is logged with the command and the ids.
    """
    who = operator("seed-demo", export=export_path, if_empty=if_empty)
    with web.get_db().transaction() as session:
        committee_id = seed.demo_committee_id(session)
        if committee_id is not None or (if_empty and seed.has_any_committee(session)):
            if not if_empty:
                raise click.ClickException(T.CLI_DEMO_EXISTS.format(name=seed.DEMO_COMMITTEE))
            click.echo(T.CLI_DEMO_SKIPPED)
        else:
            committee = seed.seed_demo(session, web.now(), current_app.config["TZ"], actor=who, settings=web.settings())
            committee_id = committee.id
            click.echo(T.CLI_DEMO_WRITTEN.format(name=committee.name, id=committee.id))
        if export_path is not None:
            if committee_id is None:
                raise click.ClickException(T.CLI_DEMO_NONE)
            data = seed.export_demo(session, committee_id)
            export_path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
            click.echo(T.CLI_DEMO_EXPORTED.format(path=export_path))


@click.command("seed-synthetic")
@click.option("--committees", default=CitySize.committees, show_default=True, help="district committees")
@click.option("--branches", default=CitySize.branches, show_default=True)
@click.option("--members", default=CitySize.members, show_default=True)
@click.option("--meetings-per-branch", default=CitySize.meetings_per_branch, show_default=True,
              help="meetings each branch held over the past year")
@click.option("--attendance", default=CitySize.attendance, show_default=True, help="attendance rows in all")
@click.option("--upcoming-per-branch", default=0, show_default=True, help="meetings in the next 30 days")
@click.option("--rectifications", default=0, show_default=True, help="open rectification items")
@click.option("--live-per-branch", default=0, show_default=True, help="meetings under way now")
@click.option("--tag", default="syn", show_default=True, help="prefix of names, openids and scenes")
@with_appcontext
def seed_synthetic_cmd(committees: int, branches: int, members: int, meetings_per_branch: int, attendance: int,
                       upcoming_per_branch: int, live_per_branch: int, rectifications: int, tag: str) -> None:
    """Write a synthetic city (bulk inserts) for benchmarks; never use on a production database."""
    operator("seed-synthetic", branches=branches, members=members, tag=tag)
    if current_app.config["APP_MODE"] == "production":
        raise click.ClickException("seed-synthetic refuses to run with APP_MODE=production")
    size = CitySize(committees, branches, members, meetings_per_branch, attendance, upcoming_per_branch,
                    live_per_branch, rectifications)
    try:
        result = seed_city(current_app.extensions["db"].engine, size, datetime.now(UTC), tag=tag)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    rows = ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
    click.echo(f"synthetic city under committee {result.root_committee_id}: {rows} in {result.seconds:.1f}s")
