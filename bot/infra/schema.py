"""The schema: Alembic's migrations (bot/migrations, shipped inside the package) run against a database URL."""

from __future__ import annotations

import os

from alembic import command
from alembic.config import Config

PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # bot/, wherever it is installed
MIGRATIONS_DIR = os.path.join(PACKAGE, "migrations")
ROOT = os.path.dirname(PACKAGE)  # the checkout, when running from one (tests, bench)


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_DIR)
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current(url: str) -> None:
    command.current(alembic_config(url))


def revision(url: str, message: str, autogenerate: bool) -> None:
    command.revision(alembic_config(url), message=message, autogenerate=autogenerate)
