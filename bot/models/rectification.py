"""整改台账: one row per problem found by a review, an inspection or a visit, closed one by one."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow

# Status flow 待整改 → 整改中 → 待验收 → 已销号; past the deadline and not closed reads 逾期.
RECTIFICATION_STATUSES = {
    "pending": "待整改",
    "in_progress": "整改中",
    "awaiting_verification": "待验收",
    "closed": "已销号",
}
OPEN_FOR_OWNER = ("pending", "in_progress")  # the owner still has work to do


class RectificationItem(Base):
    __tablename__ = "rectification_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(30))  # review|inspection|check|patrol|other
    source_id: Mapped[int | None]  # e.g. the ReviewSubmission or AnnualInspection it came from
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("social_org.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), index=True)
    problem: Mapped[str] = mapped_column(Text)
    measures: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    deadline: Mapped[date]
    status: Mapped[str] = mapped_column(String(30), default="pending")
    evidence: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None]
    verifier_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_rectification_item_deadline_status", "deadline", "status"),)
