"""`flask --app bot seed-demo` and `seed-synthetic`: demo and benchmark data (never production data)."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.devtools.synthetic import CitySize, seed_city


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
