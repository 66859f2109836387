"""`flask --app bot ledger …`: 整改台账 add items and read the figures."""

from __future__ import annotations

from flask.cli import AppGroup

ledger_cli = AppGroup("ledger", help="整改台账 add items and read the figures.")
