"""scheduler: 述职 rounds and submissions, the rectification ledger, 年检, volunteer records,
subscribe-message consent, and the indexes that keep every sweep an index range.

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.models.base.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "review_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("deadline", UTC(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["committee_id"], ["committee.id"], name=op.f("fk_review_round_committee_id_committee")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_round")),
    )
    op.create_index(op.f("ix_review_round_committee_id"), "review_round", ["committee_id"])
    op.create_index("ix_review_round_status_deadline", "review_round", ["status", "deadline"])

    op.create_table(
        "review_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("secretary_id", sa.Integer(), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("submitted_at", UTC(), nullable=True),
        sa.Column("grade", sa.String(length=20), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["review_round.id"], name=op.f("fk_review_submission_round_id_review_round")),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_review_submission_branch_id_branch")),
        sa.ForeignKeyConstraint(["secretary_id"], ["member.id"], name=op.f("fk_review_submission_secretary_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_submission")),
        sa.UniqueConstraint("round_id", "branch_id", name=op.f("uq_review_submission_round_id_branch_id")),
    )
    op.create_index(op.f("ix_review_submission_branch_id"), "review_submission", ["branch_id"])

    op.create_table(
        "rectification_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("branch_id", sa.Integer(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("closed_at", UTC(), nullable=True),
        sa.Column("verifier_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["committee_id"], ["committee.id"], name=op.f("fk_rectification_item_committee_id_committee")),
        sa.ForeignKeyConstraint(["organization_id"], ["social_org.id"], name=op.f("fk_rectification_item_organization_id_social_org")),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_rectification_item_branch_id_branch")),
        sa.ForeignKeyConstraint(["owner_id"], ["member.id"], name=op.f("fk_rectification_item_owner_id_member")),
        sa.ForeignKeyConstraint(["verifier_id"], ["member.id"], name=op.f("fk_rectification_item_verifier_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_item")),
    )
    op.create_index(op.f("ix_rectification_item_committee_id"), "rectification_item", ["committee_id"])
    op.create_index(op.f("ix_rectification_item_organization_id"), "rectification_item", ["organization_id"])
    op.create_index(op.f("ix_rectification_item_branch_id"), "rectification_item", ["branch_id"])
    op.create_index(op.f("ix_rectification_item_owner_id"), "rectification_item", ["owner_id"])
    op.create_index("ix_rectification_item_deadline_status", "rectification_item", ["deadline", "status"])

    op.create_table(
        "annual_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("supervisor_deadline", sa.Date(), nullable=False),
        sa.Column("registrar_deadline", sa.Date(), nullable=False),
        sa.Column("supervisor_filed_on", sa.Date(), nullable=True),
        sa.Column("registrar_filed_on", sa.Date(), nullable=True),
        sa.Column("result", sa.String(length=20), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["social_org.id"], name=op.f("fk_annual_inspection_organization_id_social_org")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annual_inspection")),
        sa.UniqueConstraint("organization_id", "year", name=op.f("uq_annual_inspection_organization_id_year")),
    )
    op.create_index("ix_annual_inspection_supervisor_deadline", "annual_inspection", ["supervisor_deadline"])
    op.create_index("ix_annual_inspection_registrar_deadline", "annual_inspection", ["registrar_deadline"])

    op.create_table(
        "volunteer_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("served_on", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("organizer", sa.String(length=200), nullable=False),
        sa.Column("hours", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("confirmed_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_volunteer_record_member_id_member")),
        sa.ForeignKeyConstraint(["leader_id"], ["member.id"], name=op.f("fk_volunteer_record_leader_id_member")),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["member.id"], name=op.f("fk_volunteer_record_confirmed_by_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_record")),
    )
    op.create_index(op.f("ix_volunteer_record_member_id"), "volunteer_record", ["member_id"])
    op.create_index("ix_volunteer_record_status_leader", "volunteer_record", ["status", "leader_id"])

    op.create_table(
        "subscribe_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribe_consent")),
        sa.UniqueConstraint("openid", "template_id", name=op.f("uq_subscribe_consent_openid_template_id")),
    )

    op.create_index("ix_notification_subject", "notification", ["subject_type", "subject_id", "slot", "recipient_id"])
    op.create_index("ix_role_grant_scope_role", "role_grant", ["scope_type", "scope_id", "role"])
    op.create_index("ix_leave_request_status_created", "leave_request", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_leave_request_status_created", table_name="leave_request")
    op.drop_index("ix_role_grant_scope_role", table_name="role_grant")
    op.drop_index("ix_notification_subject", table_name="notification")
    op.drop_table("subscribe_consent")
    op.drop_table("volunteer_record")
    op.drop_table("annual_inspection")
    op.drop_table("rectification_item")
    op.drop_table("review_submission")
    op.drop_table("review_round")
