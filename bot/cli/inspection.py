"""`flask --app bot inspection …`: 年检 record filings and results, read the status, draft the party-work section."""

from __future__ import annotations

from flask.cli import AppGroup

inspection_cli = AppGroup("inspection", help="年检: record filings and results, read the status, draft the "
                                               "party-work section.")
