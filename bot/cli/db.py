"""`flask --app bot db upgrade | downgrade | current | revision`: the schema (Alembic underneath)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from bot.cli import operator
from bot.infra import schema

db_cli = AppGroup("db", help="Database schema (Alembic underneath).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_cmd(revision: str) -> None:
    """Bring the database to REVISION (default: the current schema)."""
    operator("db upgrade", revision=revision)
    schema.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_cmd(revision: str) -> None:
    """Take the database back to REVISION."""
    operator("db downgrade", revision=revision)
    schema.downgrade(current_app.config["DATABASE_URL"], revision)


@db_cli.command("current")
def current_cmd() -> None:
    """Show the database's revision."""
    schema.current(current_app.config["DATABASE_URL"])


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def revision_cmd(message: str, autogenerate: bool) -> None:
    """Write a new migration (developers)."""
    schema.revision(current_app.config["DATABASE_URL"], message, autogenerate)
