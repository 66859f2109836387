"""志愿服务证明 (民发〔2015〕149号): a numbered certificate of a member's final records of a year.

Only final records count (confirmed, 公示 over). The number is ZYFW-<issue year>-<six digits>, one series per
issuing year, unique (a number taken meanwhile is retried). Issuing again for the same member and year while
the hours are unchanged returns the certificate already issued (same number); changed hours get a new one.
The issuing organization is VOLUNTEER_CERT_ISSUER or the member's branch; the contact VOLUNTEER_CERT_CONTACT
or the branch secretary's name and masked phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.infra.db import added
from bot.infra.text import in_id_range
from bot.models import Branch, Member, RoleGrant, VolunteerCertificate, VolunteerRecord
from bot.services import authz
from bot.services.authz import Action, Actor
from bot.services.errors import Conflict, NotFound
from bot.services.org.structure import mask_phone
from bot.services.volunteer.totals import check_year, final_clause

CENT = Decimal("0.01")
NUMBER_PREFIX = "ZYFW"


@dataclass(frozen=True)
class CertifiedRecord:
    served_on: date
    content: str
    organizer: str
    hours: Decimal


@dataclass(frozen=True)
class Certificate:
    id: int
    number: str
    member_name: str
    volunteer_no: str
    year: int
    hours: Decimal
    contents: list[str]  # the distinct services, in order of first service
    records: list[CertifiedRecord]
    issuer: str
    contact: str
    issued_on: date
    reissued: bool  # the same certificate as before (hours unchanged)


def _contact(session: Session, branch: Branch | None, settings: Settings) -> str:
    if settings["VOLUNTEER_CERT_CONTACT"]:
        return str(settings["VOLUNTEER_CERT_CONTACT"])
    if branch is None:
        return ""
    secretary = session.scalar(select(Member).join(RoleGrant, RoleGrant.member_id == Member.id).where(
        RoleGrant.role == "secretary", RoleGrant.scope_type == "branch", RoleGrant.scope_id == branch.id)
        .order_by(RoleGrant.id))
    if secretary is None:
        return ""
    return f"{secretary.name} {mask_phone(secretary.phone)}"


def issue_certificate(session: Session, *, actor: Actor | None, member_id: int, year: int, now: datetime,
                      settings: Settings) -> Certificate:
    member = session.get(Member, member_id) if in_id_range(member_id) else None
    if member is None:
        raise NotFound("member_not_found", id=member_id)
    authz.require(session, actor, Action.MANAGE_VOLUNTEER, member)
    check_year(year)
    day = today(now, settings)
    records = list(session.scalars(select(VolunteerRecord).where(
        VolunteerRecord.member_id == member.id, VolunteerRecord.served_on >= date(year, 1, 1),
        VolunteerRecord.served_on <= date(year, 12, 31), final_clause(day))
        .order_by(VolunteerRecord.served_on, VolunteerRecord.id)))
    if not records:
        raise NotFound("volunteer_cert_nothing", name=member.name, year=year)
    hours = sum((Decimal(r.hours) for r in records), Decimal(0)).quantize(CENT)
    contents: list[str] = []
    for r in records:
        if r.content not in contents:
            contents.append(r.content)
    branch = session.get(Branch, member.branch_id) if member.branch_id else None
    issuer = str(settings["VOLUNTEER_CERT_ISSUER"]) or (branch.name if branch else "")
    cert = session.scalar(select(VolunteerCertificate).where(
        VolunteerCertificate.member_id == member.id, VolunteerCertificate.year == year,
        VolunteerCertificate.hours == hours).order_by(VolunteerCertificate.id.desc()))
    reissued = cert is not None
    if cert is None:
        prefix = f"{NUMBER_PREFIX}-{day.year}-"
        for _ in range(5):
            taken = int(session.scalar(select(func.count(VolunteerCertificate.id))
                                       .where(VolunteerCertificate.number.like(prefix + "%"))) or 0)
            candidate = VolunteerCertificate(number=f"{prefix}{taken + 1:06d}", member_id=member.id, year=year,
                                             hours=hours, issued_on=day, created_at=now)
            if added(session, candidate):
                cert = candidate
                break
        if cert is None:
            raise Conflict("volunteer_cert_busy")
    return Certificate(
        id=cert.id, number=cert.number, member_name=member.name, volunteer_no=member.volunteer_no or "", year=year,
        hours=hours, contents=contents,
        records=[CertifiedRecord(served_on=r.served_on, content=r.content, organizer=r.organizer or "",
                                 hours=Decimal(r.hours).quantize(CENT)) for r in records],
        issuer=issuer, contact=_contact(session, branch, settings), issued_on=cert.issued_on, reissued=reissued)
