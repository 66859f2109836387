"""三会一课 meetings, attendance, leave and minutes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class Meeting(Base):
    __tablename__ = "meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("party_group.id"))
    # general_meeting|committee_meeting|group_meeting|party_lecture|theme_day|life_meeting|member_appraisal
    type: Mapped[str] = mapped_column(String(30))
    topic: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="scheduled")  # scheduled|cancelled
    # Bumped on every change (改期), so notices about each version have their own outbox key.
    revision: Mapped[int] = mapped_column(default=1)
    # The EventKey a SCAN of the meeting's official-account QR carries.
    checkin_scene: Mapped[str] = mapped_column(String(64), unique=True)
    minutes_text: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_meeting_status_starts", "status", "starts_at"),
        # The compliance engine and 会议 read a branch's meetings by time.
        Index("ix_meeting_branch_starts", "branch_id", "starts_at"),
        # One scheduled meeting of a type per branch and moment: the last line against a doubled 确认
        # (the service's duplicate check answers first; this holds when two confirms race past it).
        Index("uq_meeting_scheduled_slot", "branch_id", "type", "starts_at", unique=True,
              postgresql_where=text("status = 'scheduled'"), sqlite_where=text("status = 'scheduled'")),
    )


class Attendance(Base):
    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    checked_in_at: Mapped[datetime]
    late: Mapped[bool] = mapped_column(default=False)
    channel: Mapped[str] = mapped_column(String(20))  # scan|rotating|manual|miniprogram
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    # The WeChat message that made this record, so a retry is recognised even without Redis.
    source_key: Mapped[str | None] = mapped_column(String(100))
    signed_out_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)


class LeaveRequest(Base):
    __tablename__ = "leave_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|approved|rejected
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)


class MinutesMedia(Base):
    """A photo sent with the minutes: the WeChat media id and, once fetched, the local file."""

    __tablename__ = "minutes_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id"), index=True)
    media_id: Mapped[str] = mapped_column(String(128))
    path: Mapped[str | None] = mapped_column(String(500))
    fetched_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("meeting_id", "media_id"),)
