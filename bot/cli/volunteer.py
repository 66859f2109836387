"""`flask --app bot volunteer …`: 志愿服务 exports and certificates."""

from __future__ import annotations

from flask.cli import AppGroup

volunteer_cli = AppGroup("volunteer", help="志愿服务 exports and certificates.")
