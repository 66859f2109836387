"""`flask --app bot export …`: files made from the records (the ledger, a review round), one command per
export, each added to this group by its capability's CLI module."""

from __future__ import annotations

from flask.cli import AppGroup

export_cli = AppGroup("export", help="Export records to files (xlsx).")
