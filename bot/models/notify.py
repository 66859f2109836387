"""Delivery bookkeeping: subscribe-message consent, and the indexes the scheduler's sweeps need on
tables other modules own (declared here so the sweeps' queries and migration 0004 stay together)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow
from bot.models.meeting import LeaveRequest
from bot.models.member import RoleGrant
from bot.models.outbox import Notification


class SubscribeConsent(Base):
    """A member's consent to one subscribe-message template: each accept allows one send."""

    __tablename__ = "subscribe_consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    template_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(20), default="accept")  # accept|reject
    remaining: Mapped[int] = mapped_column(default=0)  # sends still allowed
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("openid", "template_id"),)


# "Has this reminder been written?" without computing keys; "who is the secretary / admin of X?";
# "which leave requests are still waiting?" — each an index range, never a table scan.
Index("ix_notification_subject", Notification.subject_type, Notification.subject_id, Notification.slot,
      Notification.recipient_id)
Index("ix_role_grant_scope_role", RoleGrant.scope_type, RoleGrant.scope_id, RoleGrant.role)
Index("ix_leave_request_status_created", LeaveRequest.status, LeaveRequest.created_at)
