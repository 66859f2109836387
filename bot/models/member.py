"""Members, their roles with scope, mobile-member registrations and binding codes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class Member(Base):
    """A person: a party member, or committee staff (branch_id None)."""

    __tablename__ = "member"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="full")  # full (正式) | probationary (预备)
    joined_on: Mapped[date | None]
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("party_group.id"), index=True)
    # The social organization the member works in (所在单位), e.g. one of a 联合支部's associations.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("social_org.id"), index=True)
    # 支委 of the branch: counts for the 支委会 quorum.
    is_committee_member: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str] = mapped_column(String(50), default="")  # 职务 as written on the roster
    # 志愿者编号 in the national volunteer system (志愿中国), for exports and certificates
    volunteer_no: Mapped[str | None] = mapped_column(String(40), unique=True)
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    wxa_openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    unionid: Mapped[str | None] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoleGrant(Base):
    """A role held with a scope: secretary of a branch, admin of a committee, instructor of an org."""

    __tablename__ = "role_grant"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))  # secretary|committee_member|liaison|instructor|admin
    scope_type: Mapped[str] = mapped_column(String(20))  # branch|committee|organization
    scope_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("member_id", "role", "scope_type", "scope_id"),)


class MobileRegistration(Base):
    """流动党员 registered with a host branch (一方隶属、多重管理)."""

    __tablename__ = "mobile_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    host_branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("member_id", "host_branch_id"),)


class BindCode(Base):
    """A 6-digit code a secretary issues so a member can bind their WeChat."""

    __tablename__ = "bind_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id"), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))  # None: the operator (CLI)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_openid: Mapped[str | None] = mapped_column(String(64))
    # Set when a newer invitation for the same member replaces this one, or an expired code is retired.
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # At most one live code with a given value: the database, not luck, keeps 6 digits unambiguous.
    __table_args__ = (
        Index(
            "uq_bind_code_live",
            "code",
            unique=True,
            sqlite_where=text("used_at IS NULL AND revoked_at IS NULL"),
            postgresql_where=text("used_at IS NULL AND revoked_at IS NULL"),
        ),
    )
