"""The organization tree: committees, party organizations, groups, social organizations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class Committee(Base):
    """社会组织综合党委 / 行业党委 / "两新"工委."""

    __tablename__ = "committee"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="comprehensive")  # comprehensive|industry|two_new
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("committee.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Branch(Base):
    """A party organization (党委 / 党总支 / 党支部); most of the app calls it a branch."""

    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(20), default="branch")  # party_committee|general_branch|branch
    formation: Mapped[str] = mapped_column(String(20), default="single")  # single|joint|attached
    kind: Mapped[str] = mapped_column(String(20), default="full")  # full (建制型) | functional (功能性)
    has_committee: Mapped[bool] = mapped_column(default=True)  # holds 支委会 (has a branch committee)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("committee_id", "name"),)


class PartyGroup(Base):
    """党小组."""

    __tablename__ = "party_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("branch_id", "name"),)


class SocialOrg(Base):
    """社会团体 / 民办非企业单位 / 基金会, identified by its 统一社会信用代码."""

    __tablename__ = "social_org"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    org_type: Mapped[str] = mapped_column(String(30))  # social_group|private_nonenterprise|foundation
    registrar: Mapped[str] = mapped_column(String(100), default="")
    supervisor: Mapped[str] = mapped_column(String(100), default="")
    board_term_ends: Mapped[date | None]
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), index=True)
    full_member_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
