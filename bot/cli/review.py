"""`flask --app bot review …`: 述职评议 open, close and read rounds."""

from __future__ import annotations

from flask.cli import AppGroup

review_cli = AppGroup("review", help="述职评议 open, close and read rounds.")
