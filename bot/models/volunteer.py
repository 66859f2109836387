"""志愿服务: teams (服务队) with their leaders, activities, and the records: who served, when, where, what and
for how long, who confirmed it, its 公示 and the certificates issued from final records."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow

# pending (待确认) → confirmed (公示中, final once public_until has passed) | returned (已退回) | withdrawn (已撤销);
# an objection (异议) during 公示 sends a confirmed record back to pending, to its confirmer.
VOLUNTEER_STATUSES = {"pending": "待确认", "confirmed": "已确认", "returned": "已退回", "withdrawn": "已撤销"}
LIVE_STATUSES = ("pending", "confirmed")  # records that count against duplicates and the 24-hour day


class VolunteerTeam(Base):
    __tablename__ = "volunteer_team"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("branch_id", "name"),)


class VolunteerTeamLeader(Base):
    __tablename__ = "volunteer_team_leader"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("volunteer_team.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("team_id", "member_id"),)


class VolunteerActivity(Base):
    __tablename__ = "volunteer_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_team.id"), index=True)
    held_on: Mapped[date]
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VolunteerRecord(Base):
    __tablename__ = "volunteer_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), index=True)  # the member's, when logged
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_activity.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_team.id"), index=True)
    served_on: Mapped[date]
    content: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(200), default="")
    organizer: Mapped[str] = mapped_column(String(200), default="")
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))  # who is asked to confirm
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # VOLUNTEER_STATUSES
    confirmed_at: Mapped[datetime | None]
    public_until: Mapped[date | None]  # 公示 runs through this local day; final from the day after
    return_reason: Mapped[str | None] = mapped_column(String(500))
    objection: Mapped[str | None] = mapped_column(String(500))  # the last 异议 raised during 公示
    objected_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_volunteer_record_status_leader", "status", "leader_id"),
        Index("ix_volunteer_record_member_day", "member_id", "served_on"),
        # the same member, day and content once among live records (a duplicate is refused)
        Index("uq_volunteer_record_live", "member_id", "served_on", "content", unique=True,
              postgresql_where=text("status IN ('pending', 'confirmed')"),
              sqlite_where=text("status IN ('pending', 'confirmed')")),
    )


class VolunteerCertificate(Base):
    """A numbered 志愿服务证明 issued for a member's final records of a year."""

    __tablename__ = "volunteer_certificate"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    year: Mapped[int]
    hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    issued_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
