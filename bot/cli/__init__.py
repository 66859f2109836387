"""The operator's channel: every `flask --app bot …` command, one module per capability, registered here.

Whoever can run these commands can already read the database, so they act with full rights as the
server's operator (bot.services.authz.Operator, named after the OS user) and each logs who ran what.
"""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    from bot.cli import db, devtools, meetings, org, scheduler

    for command in (db.db_cli, scheduler.scheduler_command, meetings.attendance_cmd, meetings.minutes_fetch_cmd,
                    org.import_roster_cmd, org.export_roster_cmd, org.seed_demo_cmd,
                    devtools.seed_synthetic_cmd):
        app.cli.add_command(command)
