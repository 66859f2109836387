"""Factories for arranging data in tests: each returns the committed object."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.models import Branch, Committee, Meeting, Member, PartyGroup, RoleGrant, SocialOrg

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def committee(db: Session, **kw: Any) -> Committee:
    obj = Committee(name=kw.pop("name", f"测试综合党委{_n()}"), **kw)
    db.add(obj)
    db.commit()
    return obj


def branch(db: Session, committee_id: int | None = None, **kw: Any) -> Branch:
    if committee_id is None:
        committee_id = committee(db).id
    obj = Branch(committee_id=committee_id, name=kw.pop("name", f"测试支部{_n()}"), **kw)
    db.add(obj)
    db.commit()
    return obj


def group(db: Session, branch_id: int, **kw: Any) -> PartyGroup:
    obj = PartyGroup(branch_id=branch_id, name=kw.pop("name", f"第{_n()}党小组"), **kw)
    db.add(obj)
    db.commit()
    return obj


def member(db: Session, branch_id: int | None, *, roles: tuple[tuple[str, str, int], ...] = (), **kw: Any) -> Member:
    """A member; roles are (role, scope_type, scope_id) triples."""
    n = _n()
    kw.setdefault("name", f"党员{n}")
    kw.setdefault("phone", f"139{n:08d}")
    kw.setdefault("openid", f"o_member_{n}")
    obj = Member(branch_id=branch_id, **kw)
    db.add(obj)
    db.flush()
    for role, scope_type, scope_id in roles:
        db.add(RoleGrant(member_id=obj.id, role=role, scope_type=scope_type, scope_id=scope_id))
    db.commit()
    return obj


def secretary(db: Session, branch_id: int, **kw: Any) -> Member:
    kw.setdefault("is_committee_member", True)
    return member(db, branch_id, roles=(("secretary", "branch", branch_id),), **kw)


def admin(db: Session, committee_id: int, **kw: Any) -> Member:
    return member(db, None, roles=(("admin", "committee", committee_id),), **kw)


def social_org(db: Session, committee_id: int, branch_id: int | None = None, **kw: Any) -> SocialOrg:
    n = _n()
    kw.setdefault("name", f"测试协会{n}")
    kw.setdefault("credit_code", valid_credit_code(n))
    kw.setdefault("org_type", "social_group")
    obj = SocialOrg(committee_id=committee_id, branch_id=branch_id, **kw)
    db.add(obj)
    db.commit()
    return obj


def valid_credit_code(n: int, category: str = "1") -> str:
    """A 统一社会信用代码 with a correct check character (GB 32100-2015)."""
    from bot.services.org.structure import credit_code_check_char

    first17 = f"5{category}339901MJ{n:07d}"
    return first17 + credit_code_check_char(first17)


def instructor(db: Session, org_id: int, **kw: Any) -> Member:
    """A 党建指导员 assigned to one organization (committee staff: no branch)."""
    return member(db, None, roles=(("instructor", "organization", org_id),), **kw)


def meeting(db: Session, branch_id: int, starts_at: datetime, **kw: Any) -> Meeting:
    n = _n()
    kw.setdefault("type", "general_meeting")
    kw.setdefault("ends_at", starts_at + timedelta(hours=2))
    kw.setdefault("checkin_scene", f"mtg_test_{n}")
    obj = Meeting(branch_id=branch_id, starts_at=starts_at, **kw)
    db.add(obj)
    db.commit()
    return obj


# -- meetings work -------------------------------------------------------------------------------
def committee_member(db: Session, branch_id: int, **kw: Any) -> Member:
    """A 支委 with the committee_member role on the branch."""
    kw.setdefault("is_committee_member", True)
    return member(db, branch_id, roles=(("committee_member", "branch", branch_id),), **kw)


def mobile_registration(db: Session, member_id: int, host_branch_id: int) -> Any:
    from bot.models import MobileRegistration

    obj = MobileRegistration(member_id=member_id, host_branch_id=host_branch_id)
    db.add(obj)
    db.commit()
    return obj


def attendance(db: Session, meeting_id: int, member_id: int, at: datetime, **kw: Any) -> Any:
    from bot.models import Attendance

    kw.setdefault("channel", "scan")
    obj = Attendance(meeting_id=meeting_id, member_id=member_id, checked_in_at=at, **kw)
    db.add(obj)
    db.commit()
    return obj


# -- scheduler work --------------------------------------------------------------------------------
def _add(db: Session, obj: Any) -> Any:
    db.add(obj)
    db.commit()
    return obj


def leave_request(db: Session, meeting_id: int, member_id: int, **kw: Any) -> Any:
    from bot.models import LeaveRequest

    kw.setdefault("reason", "出差")
    return _add(db, LeaveRequest(meeting_id=meeting_id, member_id=member_id, **kw))


def rectification(db: Session, committee_id: int, owner_id: int | None, deadline: Any, **kw: Any) -> Any:
    from bot.models import RectificationItem

    kw.setdefault("source", "review")
    kw.setdefault("problem", f"整改问题{_n()}")
    return _add(db, RectificationItem(committee_id=committee_id, owner_id=owner_id, deadline=deadline, **kw))


def inspection(db: Session, organization_id: int, year: int, supervisor_deadline: Any, registrar_deadline: Any,
               **kw: Any) -> Any:
    from bot.models import AnnualInspection

    return _add(db, AnnualInspection(organization_id=organization_id, year=year,
                                     supervisor_deadline=supervisor_deadline,
                                     registrar_deadline=registrar_deadline, **kw))


def review_round(db: Session, committee_id: int, deadline: datetime, **kw: Any) -> Any:
    from bot.models import ReviewRound

    kw.setdefault("year", deadline.year - 1)
    kw.setdefault("title", f"{kw['year']}年度书记抓基层党建述职")
    return _add(db, ReviewRound(committee_id=committee_id, deadline=deadline, **kw))


def volunteer_record(db: Session, member_id: int, leader_id: int | None, served_on: Any, **kw: Any) -> Any:
    from decimal import Decimal

    from bot.models import VolunteerRecord

    kw.setdefault("content", "社区防疫宣传")
    kw.setdefault("hours", Decimal("2.5"))
    return _add(db, VolunteerRecord(member_id=member_id, leader_id=leader_id, served_on=served_on, **kw))
