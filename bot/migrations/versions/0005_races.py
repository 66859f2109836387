"""races: one scheduled meeting per branch, type and moment (a partial unique index).

Meetings doubled by concurrent 确认 before this revision are kept on record: of each set of scheduled
meetings sharing branch, type and start, the first stays scheduled and the later ones are marked cancelled
(their notices were already sent as duplicates), so the index can be built.

Revision ID: 0005
Revises: 0004
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEDULED = sa.text("status = 'scheduled'")


def upgrade() -> None:
    op.execute(
        "UPDATE meeting SET status = 'cancelled' "
        "WHERE status = 'scheduled' AND EXISTS (SELECT 1 FROM meeting AS earlier "
        "WHERE earlier.branch_id = meeting.branch_id AND earlier.type = meeting.type "
        "AND earlier.starts_at = meeting.starts_at AND earlier.status = 'scheduled' AND earlier.id < meeting.id)"
    )
    op.create_index("uq_meeting_scheduled_slot", "meeting", ["branch_id", "type", "starts_at"], unique=True,
                    postgresql_where=SCHEDULED, sqlite_where=SCHEDULED)


def downgrade() -> None:
    op.drop_index("uq_meeting_scheduled_slot", table_name="meeting")
