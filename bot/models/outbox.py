"""The outbox: every notice the app means to send, with a unique key so none is doubled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    # kind|recipient|subject|slot, unique: a sweep run twice writes nothing new.
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(30), default="")
    subject_id: Mapped[int | None]
    slot: Mapped[str] = mapped_column(String(50), default="")
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urgent: Mapped[bool] = mapped_column(default=False)
    due_at: Mapped[datetime]
    # pending|sending|sent|failed|undeliverable|redirected
    status: Mapped[str] = mapped_column(String(20), default="pending")
    channel: Mapped[str | None] = mapped_column(String(20))  # template|subscribe|custom|fallback
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    wechat_msgid: Mapped[str | None] = mapped_column(String(64), index=True)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_notification_status_due", "status", "due_at"),)
