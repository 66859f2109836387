"""operator codes: a binding code may be issued by the server's operator (`org invite`), who is no member.

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bind_code") as batch:
        batch.alter_column("issued_by_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM bind_code WHERE issued_by_id IS NULL")
    with op.batch_alter_table("bind_code") as batch:
        batch.alter_column("issued_by_id", existing_type=sa.Integer(), nullable=False)
