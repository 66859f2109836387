"""整改台账: one row per problem found by a review, an inspection, a check or a patrol, closed one by one.

One table for every source (述职评议, 年检, 检查, 巡察): a capability that finds problems adds rows here."""

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
# 问题来源: stored key -> the ledger's word for it.
RECTIFICATION_SOURCES = {"review": "述职评议", "inspection": "年检", "check": "检查", "patrol": "巡察"}


class RectificationItem(Base):
    __tablename__ = "rectification_item"

    id: Mapped[int] = mapped_column(primary_key=True)  # 序号
    source: Mapped[str] = mapped_column(String(30))  # RECTIFICATION_SOURCES (or "other" on old rows)
    source_id: Mapped[int | None]  # e.g. the ReviewSubmission or AnnualInspection it came from
    committee_id: Mapped[int] = mapped_column(ForeignKey("committee.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("social_org.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), index=True)  # 单位
    category: Mapped[str] = mapped_column(String(50), default="")  # 问题类别
    found_on: Mapped[date | None]  # 发现时间
    problem: Mapped[str] = mapped_column(Text)  # 问题
    measures: Mapped[str] = mapped_column(Text, default="")  # 整改措施
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)  # 责任人
    deadline: Mapped[date]  # 整改时限
    status: Mapped[str] = mapped_column(String(30), default="pending")  # RECTIFICATION_STATUSES
    progress: Mapped[str] = mapped_column(Text, default="")  # 完成情况
    evidence: Mapped[str] = mapped_column(Text, default="")  # 佐证材料 (text; photos are Attachment rows)
    submitted_at: Mapped[datetime | None]  # moved to 待验收
    return_reason: Mapped[str | None] = mapped_column(String(500))  # 退回整改
    closed_at: Mapped[datetime | None]  # 销号日期
    verifier_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))  # 验收人
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))  # None: the operator (CLI)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_rectification_item_deadline_status", "deadline", "status"),
        Index("ix_rectification_item_source", "source", "source_id"),
    )
