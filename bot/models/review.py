"""述职评议: a yearly round opened by a committee, the branches that report in it, their reports, the
reviewers named for it and each reviewer's grade of each report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow

# A report's status: 未提交 (a draft or nothing yet) / 已提交 / 已退回 / 已评议 (the round closed with grades).
SUBMISSION_STATUSES = {
    "not_submitted": "未提交",
    "submitted": "已提交",
    "returned": "已退回",
    "reviewed": "已评议",
}
REPORT_MODES = {"onsite": "现场述职", "written": "书面述职"}


class ReviewRound(Base):
    """A round of 书记抓基层党建工作述职 for the branches under a committee."""

    __tablename__ = "review_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"), index=True)
    year: Mapped[int]  # the year reported on
    title: Mapped[str] = mapped_column(String(100))
    deadline: Mapped[datetime]  # submissions are due by this moment
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|closed
    # The grade scale, best first, joined by "/" (e.g. 好/较好/一般/差): kept on the round, so a later change
    # of the REVIEW_SCALES setting does not change a round already open.
    scale: Mapped[str] = mapped_column(String(100), default="好/较好/一般/差")
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_review_round_status_deadline", "status", "deadline"),
        UniqueConstraint("committee_id", "year", name="uq_review_round_committee_year"),
    )


class ReviewReviewer(Base):
    """A reviewer named for a round (a committee member or a party representative)."""

    __tablename__ = "review_reviewer"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("round_id", "member_id"),)


class ReviewSubmission(Base):
    """One branch's report in a round (现场述职 or 书面述职): a row per reporting branch from the round's
    opening (status not_submitted), its draft text growing until 提交."""

    __tablename__ = "review_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("review_round.id"))
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    secretary_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    mode: Mapped[str] = mapped_column(String(20), default="written")  # onsite|written
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="not_submitted")  # SUBMISSION_STATUSES
    submitted_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(String(500))
    returned_at: Mapped[datetime | None]
    grade: Mapped[str | None] = mapped_column(String(20))  # the final grade, written when the round closes
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("round_id", "branch_id"),)


class ReviewGrade(Base):
    """One reviewer's grade of one report (a second grade replaces the first until the round closes)."""

    __tablename__ = "review_grade"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("review_submission.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    grade: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("submission_id", "reviewer_id"),)
