"""述职评议, 整改台账, 志愿服务 and 年检 become usable: reviewers and grades of a round, the reporting
branches' reports with their status, the ledger's columns, attachments (report photos, 整改 evidence),
volunteer teams, activities, 公示 and certificates, members' volunteer numbers, the 年检 party section.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = bot.models.base.UTCDateTime
EPOCH = sa.text("'1970-01-01 00:00:00'")  # rows already there: updated_at is filled from created_at below


def upgrade() -> None:
    op.create_table(
        "volunteer_team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_volunteer_team_branch_id_branch")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_team")),
        sa.UniqueConstraint("branch_id", "name", name=op.f("uq_volunteer_team_branch_id_name")),
    )
    with op.batch_alter_table("volunteer_team", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_team_branch_id"), ["branch_id"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=30), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("media_id", sa.String(length=128), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=True),
        sa.Column("fetched_at", UTC(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["member.id"], name=op.f("fk_attachment_created_by_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index("ix_attachment_subject", ["subject_type", "subject_id"], unique=False)

    op.create_table(
        "review_reviewer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_review_reviewer_member_id_member")),
        sa.ForeignKeyConstraint(
            ["round_id"], ["review_round.id"], name=op.f("fk_review_reviewer_round_id_review_round")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_reviewer")),
        sa.UniqueConstraint("round_id", "member_id", name=op.f("uq_review_reviewer_round_id_member_id")),
    )
    with op.batch_alter_table("review_reviewer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_reviewer_member_id"), ["member_id"], unique=False)

    op.create_table(
        "volunteer_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("branch_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["branch_id"], ["branch.id"], name=op.f("fk_volunteer_activity_branch_id_branch")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["member.id"], name=op.f("fk_volunteer_activity_created_by_id_member")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["volunteer_team.id"], name=op.f("fk_volunteer_activity_team_id_volunteer_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_activity")),
    )
    with op.batch_alter_table("volunteer_activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_activity_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_activity_team_id"), ["team_id"], unique=False)

    op.create_table(
        "volunteer_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_volunteer_certificate_member_id_member")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_certificate")),
        sa.UniqueConstraint("number", name=op.f("uq_volunteer_certificate_number")),
    )
    with op.batch_alter_table("volunteer_certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_certificate_member_id"), ["member_id"], unique=False)

    op.create_table(
        "volunteer_team_leader",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], name=op.f("fk_volunteer_team_leader_member_id_member")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["volunteer_team.id"], name=op.f("fk_volunteer_team_leader_team_id_volunteer_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_team_leader")),
        sa.UniqueConstraint("team_id", "member_id", name=op.f("uq_volunteer_team_leader_team_id_member_id")),
    )
    with op.batch_alter_table("volunteer_team_leader", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_team_leader_member_id"), ["member_id"], unique=False)

    op.create_table(
        "review_grade",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(["reviewer_id"], ["member.id"], name=op.f("fk_review_grade_reviewer_id_member")),
        sa.ForeignKeyConstraint(
            ["submission_id"], ["review_submission.id"], name=op.f("fk_review_grade_submission_id_review_submission")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_grade")),
        sa.UniqueConstraint("submission_id", "reviewer_id", name=op.f("uq_review_grade_submission_id_reviewer_id")),
    )
    with op.batch_alter_table("review_grade", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_grade_reviewer_id"), ["reviewer_id"], unique=False)

    with op.batch_alter_table("annual_inspection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("party_section_filed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("result_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UTC(), nullable=False, server_default=EPOCH))

    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(sa.Column("volunteer_no", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_member_volunteer_no"), ["volunteer_no"])

    with op.batch_alter_table("rectification_item", schema=None) as batch_op:
        batch_op.add_column(sa.Column("category", sa.String(length=50), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("found_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("progress", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("submitted_at", UTC(), nullable=True))
        batch_op.add_column(sa.Column("return_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UTC(), nullable=False, server_default=EPOCH))
        batch_op.create_index("ix_rectification_item_source", ["source", "source_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_rectification_item_created_by_id_member"), "member", ["created_by_id"], ["id"]
        )

    with op.batch_alter_table("review_round", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scale", sa.String(length=100), nullable=False, server_default="好/较好/一般/差"))
        batch_op.add_column(sa.Column("closed_at", UTC(), nullable=True))
        batch_op.create_unique_constraint("uq_review_round_committee_year", ["committee_id", "year"])

    with op.batch_alter_table("review_submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=20), nullable=False, server_default="not_submitted"))
        batch_op.add_column(sa.Column("return_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("returned_at", UTC(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UTC(), nullable=False, server_default=EPOCH))

    with op.batch_alter_table("volunteer_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("branch_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("activity_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("team_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("public_until", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("return_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("objection", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("objected_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", UTC(), nullable=False, server_default=EPOCH))
        batch_op.create_index(batch_op.f("ix_volunteer_record_activity_id"), ["activity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_record_branch_id"), ["branch_id"], unique=False)
        batch_op.create_index("ix_volunteer_record_member_day", ["member_id", "served_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_record_team_id"), ["team_id"], unique=False)
        batch_op.create_index(
            "uq_volunteer_record_live",
            ["member_id", "served_on", "content"],
            unique=True,
            postgresql_where=sa.text("status IN ('pending', 'confirmed')"),
            sqlite_where=sa.text("status IN ('pending', 'confirmed')"),
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_volunteer_record_activity_id_volunteer_activity"),
            "volunteer_activity",
            ["activity_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_volunteer_record_team_id_volunteer_team"), "volunteer_team", ["team_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_volunteer_record_objected_by_id_member"), "member", ["objected_by_id"], ["id"]
        )
        batch_op.create_foreign_key(batch_op.f("fk_volunteer_record_branch_id_branch"), "branch", ["branch_id"], ["id"])

    # Rows written before this revision: a submission with a submitted_at was submitted; every updated_at
    # starts at the row's creation.
    op.execute("UPDATE review_submission SET status = 'submitted' WHERE submitted_at IS NOT NULL")
    for table in ("review_submission", "rectification_item", "volunteer_record", "annual_inspection"):
        op.execute(f"UPDATE {table} SET updated_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("volunteer_record", schema=None) as batch_op:
        for fk in (
            "fk_volunteer_record_branch_id_branch",
            "fk_volunteer_record_objected_by_id_member",
            "fk_volunteer_record_activity_id_volunteer_activity",
            "fk_volunteer_record_team_id_volunteer_team",
        ):
            batch_op.drop_constraint(fk, type_="foreignkey")
        for ix in (
            "uq_volunteer_record_live",
            "ix_volunteer_record_team_id",
            "ix_volunteer_record_member_day",
            "ix_volunteer_record_branch_id",
            "ix_volunteer_record_activity_id",
        ):
            batch_op.drop_index(ix)
        for col in (
            "updated_at",
            "objected_by_id",
            "objection",
            "return_reason",
            "public_until",
            "team_id",
            "activity_id",
            "branch_id",
        ):
            batch_op.drop_column(col)
    with op.batch_alter_table("review_submission", schema=None) as batch_op:
        for col in ("updated_at", "returned_at", "return_reason", "status"):
            batch_op.drop_column(col)
    with op.batch_alter_table("review_round", schema=None) as batch_op:
        batch_op.drop_constraint("uq_review_round_committee_year", type_="unique")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("scale")
    with op.batch_alter_table("rectification_item", schema=None) as batch_op:
        batch_op.drop_constraint("fk_rectification_item_created_by_id_member", type_="foreignkey")
        batch_op.drop_index("ix_rectification_item_source")
        for col in ("updated_at", "created_by_id", "return_reason", "submitted_at", "progress", "found_on", "category"):
            batch_op.drop_column(col)
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_constraint("uq_member_volunteer_no", type_="unique")
        batch_op.drop_column("volunteer_no")
    with op.batch_alter_table("annual_inspection", schema=None) as batch_op:
        for col in ("updated_at", "result_on", "party_section_filed"):
            batch_op.drop_column(col)
    for table in (
        "review_grade",
        "volunteer_team_leader",
        "volunteer_certificate",
        "volunteer_activity",
        "review_reviewer",
        "attachment",
        "volunteer_team",
    ):
        op.drop_table(table)
