"""`flask --app bot …` commands that belong to the foundation: the schema."""

from __future__ import annotations

import os

import click
from alembic import command
from alembic.config import Config
from flask import Flask, current_app
from flask.cli import AppGroup

from bot import ROOT

db_cli = AppGroup("db", help="Database schema (Alembic underneath).")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", os.path.join(ROOT, "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_cmd(revision: str) -> None:
    """Bring the database to REVISION (default: the current schema)."""
    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_cmd(revision: str) -> None:
    """Take the database back to REVISION."""
    command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_cli.command("current")
def current_cmd() -> None:
    """Show the database's revision."""
    command.current(alembic_config(current_app.config["DATABASE_URL"]))


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def revision_cmd(message: str, autogenerate: bool) -> None:
    """Write a new migration (developers)."""
    command.revision(alembic_config(current_app.config["DATABASE_URL"]), message=message, autogenerate=autogenerate)


def register(app: Flask) -> None:
    app.cli.add_command(db_cli)
    from bot.cli.scheduler import scheduler_command

    app.cli.add_command(scheduler_command)
    from bot.cli import meetings as meetings_cli

    meetings_cli.register(app)
    from bot.cli import org as org_cli

    org_cli.register(app)
    from bot.devtools.synthetic import seed_synthetic_cmd

    app.cli.add_command(seed_synthetic_cmd)
