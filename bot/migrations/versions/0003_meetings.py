"""meetings: an index for reading a branch's meetings by time

Revision ID: 0003
Revises: 0002
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import bot.models.base  # noqa: F401

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The compliance engine and 会议 read a branch's meetings by time.
    op.create_index("ix_meeting_branch_starts", "meeting", ["branch_id", "starts_at"])


def downgrade() -> None:
    op.drop_index("ix_meeting_branch_starts", table_name="meeting")
