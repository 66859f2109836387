"""志愿服务 records: who served, when, where, what and for how long, and who confirmed it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class VolunteerRecord(Base):
    __tablename__ = "volunteer_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    served_on: Mapped[date]
    content: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(200), default="")
    organizer: Mapped[str] = mapped_column(String(200), default="")
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))  # who is asked to confirm
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|confirmed|rejected
    confirmed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_volunteer_record_status_leader", "status", "leader_id"),)
