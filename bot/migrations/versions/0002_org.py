"""org: a member's social organization (所在单位); binding codes record who used them and which were
retired, and at most one live code has a given value.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "used_at IS NULL AND revoked_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("org_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_member_org_id"), ["org_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_member_org_id_social_org"), "social_org", ["org_id"], ["id"])

    with op.batch_alter_table("bind_code", schema=None) as batch_op:
        batch_op.add_column(sa.Column("used_by_openid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("revoked_at", bot.models.base.UTCDateTime(), nullable=True))
    op.create_index(
        "uq_bind_code_live", "bind_code", ["code"], unique=True,
        sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE),
    )


def downgrade() -> None:
    op.drop_index("uq_bind_code_live", table_name="bind_code")
    with op.batch_alter_table("bind_code", schema=None) as batch_op:
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("used_by_openid")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_member_org_id_social_org"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_member_org_id"))
        batch_op.drop_column("org_id")
