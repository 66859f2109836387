"""述职评议: a yearly round opened by a committee, and each branch secretary's submission."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class ReviewRound(Base):
    """A round of 书记抓基层党建工作述职 for the branches under a committee."""

    __tablename__ = "review_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"), index=True)
    year: Mapped[int]  # the year reported on
    title: Mapped[str] = mapped_column(String(100))
    deadline: Mapped[datetime]  # submissions are due by this moment
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|closed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_review_round_status_deadline", "status", "deadline"),)


class ReviewSubmission(Base):
    """One branch's report in a round (现场述职 or 书面述职)."""

    __tablename__ = "review_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    secretary_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    mode: Mapped[str] = mapped_column(String(20), default="written")  # onsite|written
    text: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[datetime | None]
    grade: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("round_id", "branch_id"),)
