"""年检: an organization's annual report for a year, with its two deadlines, what was filed and the result.

The status (未提交 / 已提交主管单位 / 已提交登记机关 / 合格 / 基本合格 / 不合格 / 未参检) is read from these
facts by services.inspection, never stored twice."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow

INSPECTION_RESULTS = {"pass": "合格", "basic_pass": "基本合格", "fail": "不合格"}


class AnnualInspection(Base):
    __tablename__ = "annual_inspection"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("social_org.id"))
    year: Mapped[int]  # the year reported on; filed in year + 1
    supervisor_deadline: Mapped[date]  # 业务主管单位, default 3月31日
    registrar_deadline: Mapped[date]  # 登记管理机关, default 5月31日 (configurable per registrar)
    supervisor_filed_on: Mapped[date | None]
    registrar_filed_on: Mapped[date | None]
    party_section_filed: Mapped[bool] = mapped_column(default=False)  # 双提交: 党建工作情况 filed with the report
    result: Mapped[str | None] = mapped_column(String(20))  # pass|basic_pass|fail
    result_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        UniqueConstraint("organization_id", "year"),
        Index("ix_annual_inspection_supervisor_deadline", "supervisor_deadline"),
        Index("ix_annual_inspection_registrar_deadline", "registrar_deadline"),
    )
