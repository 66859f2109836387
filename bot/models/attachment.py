"""Photos and files attached to a record by chat (a 述职 report, 整改 evidence before and after): the WeChat
media id at once, the file once fetched (like minutes photos, fetched outside the webhook's 5 seconds)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class Attachment(Base):
    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(30))  # review_submission | rectification_item
    subject_id: Mapped[int]
    phase: Mapped[str] = mapped_column(String(20), default="")  # rectification: before | after; else ""
    media_id: Mapped[str] = mapped_column(String(128))
    path: Mapped[str | None] = mapped_column(String(500))
    fetched_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_attachment_subject", "subject_type", "subject_id"),)
