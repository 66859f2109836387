"""述职评议 rounds: an admin opens a round for a committee and a year (which branches report, on site or in
writing, the deadline, the grade scale, the reviewers), closes it (each submitted report gets its final grade)
and reads its results (the table committees publish)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import at_local, today
from bot.infra.db import added
from bot.infra.text import in_id_range
from bot.models import Branch, Member, ReviewGrade, ReviewReviewer, ReviewRound, ReviewSubmission, RoleGrant
from bot.services import authz
from bot.services.authz import Action, Actor
from bot.services.errors import Conflict, Invalid, NotFound
from bot.services.org.structure import (
    committee_ids_under,
    get_committee,
    log_phone_lookup,
    mask_phone,
    member_by_phone,
    mobile_number,
)

MAX_SCALE_CHARS = 100  # review_round.scale
MAX_GRADE_CHARS = 10
DRAFT_STATUSES = ("not_submitted", "returned")
DONE_STATUSES = ("submitted", "reviewed")


# -- scales and final grades -----------------------------------------------------------------------------
def scale_of(given: str | None, settings: Settings) -> list[str]:
    """The grades of a scale, best first: a REVIEW_SCALES name, grades joined by / , ， or 、, or None (the
    REVIEW_SCALE setting). Refused: fewer than two different grades, or one longer than 10 characters."""
    scales = settings["REVIEW_SCALES"]
    if given is None or not given.strip():
        return list(scales[settings["REVIEW_SCALE"]])
    name = given.strip()
    if name in scales:
        return list(scales[name])
    grades = [g.strip() for g in re.split(r"[/,，、]", name) if g.strip()]
    if (len(grades) < 2 or len(set(grades)) != len(grades) or any(len(g) > MAX_GRADE_CHARS for g in grades)
            or len("/".join(grades)) > MAX_SCALE_CHARS):
        raise Invalid("review_bad_scale", scale=name, known="、".join(scales))
    return grades


def final_grade(counts: Counter[str] | dict[str, int], scale: list[str], tie_rule: str) -> str | None:
    """The most frequent grade; between grades given equally often the lower one (tie_rule "lower") or the
    higher one ("higher"). None when nobody graded."""
    given = {g: n for g, n in counts.items() if n > 0 and g in scale}
    if not given:
        return None
    top = max(given.values())
    tied = [g for g in scale if given.get(g) == top]  # best first
    return tied[-1] if tie_rule == "lower" else tied[0]


def deadline_moment(day: date, settings: Settings) -> datetime:
    """Reports are due by the end of the local day `day`: the first moment of the next local day."""
    return at_local(day + timedelta(days=1), time(0, 0), settings)


def last_day(deadline: datetime, settings: Settings) -> date:
    """The local day a round's deadline moment ends (what people were told)."""
    from bot.infra.clock import local

    return (local(deadline, settings) - timedelta(microseconds=1)).date()


def current_secretary(session: Session, branch_id: int) -> int | None:
    """The branch's secretary now (the lowest member id if several hold the role), or None."""
    return session.scalar(select(RoleGrant.member_id).join(Member, Member.id == RoleGrant.member_id)
                          .where(RoleGrant.role == "secretary", RoleGrant.scope_type == "branch",
                                 RoleGrant.scope_id == branch_id, Member.active.is_(True))
                          .order_by(RoleGrant.member_id).limit(1))


# -- opening --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenedRound:
    id: int
    committee_id: int
    year: int
    deadline: datetime
    scale: list[str]
    branches: int
    onsite: int
    reviewers: int


def open_round(session: Session, *, actor: Actor | None, committee_id: int, year: int, deadline: date,
               scale: str | None, onsite: list[int], reviewer_phones: list[str], branch_ids: list[int] | None = None,
               title: str = "", now: datetime, settings: Settings) -> OpenedRound:
    """Open the round of `year` for a committee: one report row per reporting branch (default: every 党支部
    of the committee's subtree), on site for `onsite`, in writing for the rest; one reviewer row per phone.
    Refused (nothing written): a deadline in the past, a bad scale, an unknown phone, a branch outside the
    subtree, an on-site branch that does not report, a second round of the committee for the year."""
    committee = get_committee(session, committee_id)
    authz.require(session, actor, Action.MANAGE_REVIEW, committee)
    if not 2000 <= year <= 2100:
        raise Invalid("review_bad_year", year=year)
    if deadline < today(now, settings):
        raise Invalid("review_deadline_past", deadline=deadline)
    grades = scale_of(scale, settings)
    under = committee_ids_under(session, committee.id)
    if branch_ids is None:
        branches = list(session.scalars(select(Branch).where(Branch.committee_id.in_(under), Branch.level == "branch")
                                        .order_by(Branch.id)))
    else:
        branches = []
        for bid in dict.fromkeys(branch_ids):
            branch = session.get(Branch, bid) if in_id_range(bid) else None
            if branch is None:
                raise NotFound("branch_not_found", id=bid)
            if branch.committee_id not in under:
                raise Invalid("review_branch_outside", id=bid, branch=branch.name)
            branches.append(branch)
    if not branches:
        raise Invalid("review_no_branches")
    reporting = {b.id for b in branches}
    onsite_ids = set(onsite)
    outside = sorted(onsite_ids - reporting)
    if outside:
        raise Invalid("review_onsite_not_reporting", ids="、".join(f"#{i}" for i in outside))
    reviewers: list[int] = []
    for typed in reviewer_phones:
        phone = mobile_number(typed)
        if phone is None:
            raise Invalid("review_reviewer_phone", phone=typed)
        member = member_by_phone(session, phone)
        log_phone_lookup(actor, phone, member, "found" if member is not None else "nobody")
        if member is None or not member.active:
            raise NotFound("review_reviewer_unknown", phone=mask_phone(phone))
        if member.id not in reviewers:
            reviewers.append(member.id)
    existing = session.scalar(select(ReviewRound.id).where(ReviewRound.committee_id == committee.id,
                                                           ReviewRound.year == year))
    if existing is not None:
        raise Conflict("review_round_exists", year=year, id=existing)
    moment = deadline_moment(deadline, settings)
    rnd = ReviewRound(committee_id=committee.id, year=year, title=(title or str(year))[:100], deadline=moment,
                      status="open", scale="/".join(grades), created_at=now)
    if not added(session, rnd):  # another opening of the same round won the unique key
        raise Conflict("review_round_exists", year=year, id=session.scalar(
            select(ReviewRound.id).where(ReviewRound.committee_id == committee.id, ReviewRound.year == year)) or 0)
    for branch in branches:
        session.add(ReviewSubmission(round_id=rnd.id, branch_id=branch.id,
                                     secretary_id=current_secretary(session, branch.id),
                                     mode="onsite" if branch.id in onsite_ids else "written", text="",
                                     status="not_submitted", created_at=now, updated_at=now))
    for member_id in reviewers:
        session.add(ReviewReviewer(round_id=rnd.id, member_id=member_id, created_at=now))
    session.flush()
    return OpenedRound(id=rnd.id, committee_id=committee.id, year=year, deadline=moment, scale=grades,
                       branches=len(branches), onsite=len(onsite_ids), reviewers=len(reviewers))


def get_round(session: Session, round_id: int) -> ReviewRound:
    rnd = session.get(ReviewRound, round_id) if in_id_range(round_id) else None
    if rnd is None:
        raise NotFound("review_round_not_found", id=round_id)
    return rnd


# -- results --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReviewerGrade:
    reviewer_id: int
    reviewer: str
    grade: str
    comment: str


@dataclass(frozen=True)
class ReportResult:
    submission_id: int
    branch_id: int
    branch: str
    mode: str  # onsite | written
    status: str  # a key of SUBMISSION_STATUSES
    grades: dict[str, int]  # every grade of the scale, best first -> how many reviewers gave it
    final_grade: str | None
    by_reviewer: list[ReviewerGrade] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"branch_id": self.branch_id, "status": self.status, "grades": dict(self.grades),
                "final_grade": self.final_grade}


@dataclass(frozen=True)
class RoundResults:
    """The table a committee publishes: N reports reviewed (graded at least once), M of them on site and K in
    writing, and how many reviewed reports got each final grade; then each report's distribution."""

    round_id: int
    committee_id: int
    year: int
    title: str
    status: str  # open | closed
    scale: list[str]
    reviewed: int
    onsite: int
    written: int
    grades: dict[str, int]
    reports: list[ReportResult]

    def to_json(self) -> dict[str, Any]:
        return {"reviewed": self.reviewed, "onsite": self.onsite, "written": self.written,
                "grades": dict(self.grades), "reports": [r.to_json() for r in self.reports]}


def _results(session: Session, rnd: ReviewRound, settings: Settings) -> RoundResults:
    scale = rnd.scale.split("/")
    rows = list(session.execute(select(ReviewSubmission, Branch.name)
                                .join(Branch, Branch.id == ReviewSubmission.branch_id)
                                .where(ReviewSubmission.round_id == rnd.id).order_by(ReviewSubmission.branch_id)))
    ids = [s.id for s, _ in rows]
    by_sub: dict[int, list[ReviewerGrade]] = {i: [] for i in ids}
    if ids:
        for g, name in session.execute(select(ReviewGrade, Member.name)
                                       .join(Member, Member.id == ReviewGrade.reviewer_id)
                                       .where(ReviewGrade.submission_id.in_(ids)).order_by(ReviewGrade.id)):
            by_sub[g.submission_id].append(ReviewerGrade(g.reviewer_id, name, g.grade, g.comment))
    reports: list[ReportResult] = []
    for sub, branch in rows:
        counts = Counter(g.grade for g in by_sub[sub.id])
        dist = {grade: counts.get(grade, 0) for grade in scale}
        final = sub.grade if sub.status == "reviewed" and sub.grade else final_grade(
            counts, scale, settings["REVIEW_TIE_RULE"])
        reports.append(ReportResult(sub.id, sub.branch_id, branch, sub.mode, sub.status, dist, final, by_sub[sub.id]))
    reviewed = [r for r in reports if sum(r.grades.values()) > 0]
    totals = Counter(r.final_grade for r in reviewed if r.final_grade)
    return RoundResults(round_id=rnd.id, committee_id=rnd.committee_id, year=rnd.year, title=rnd.title,
                        status=rnd.status, scale=scale, reviewed=len(reviewed),
                        onsite=sum(1 for r in reviewed if r.mode == "onsite"),
                        written=sum(1 for r in reviewed if r.mode != "onsite"),
                        grades={grade: totals.get(grade, 0) for grade in scale}, reports=reports)


def results(session: Session, *, actor: Actor | None, round_id: int, settings: Settings) -> RoundResults:
    """The round's results (open: as graded so far; closed: the final grades written at closing)."""
    rnd = get_round(session, round_id)
    authz.require(session, actor, Action.VIEW_REVIEW, get_committee(session, rnd.committee_id))
    return _results(session, rnd, settings)


def close_round(session: Session, *, actor: Actor | None, round_id: int, now: datetime,
                settings: Settings) -> RoundResults:
    """Close an open round: grading and submitting stop; each submitted report becomes 已评议 with its final
    grade (None if nobody graded it). Closed once: a second close is refused."""
    rnd = get_round(session, round_id)
    authz.require(session, actor, Action.MANAGE_REVIEW, get_committee(session, rnd.committee_id))
    done = session.execute(update(ReviewRound).where(ReviewRound.id == rnd.id, ReviewRound.status == "open")
                           .values(status="closed", closed_at=now).execution_options(synchronize_session=False))
    if int(getattr(done, "rowcount", 0) or 0) != 1:
        raise Conflict("review_round_closed", id=rnd.id)
    session.refresh(rnd)
    live = _results(session, rnd, settings)
    for report in live.reports:
        if report.status == "submitted":
            session.execute(update(ReviewSubmission)
                            .where(ReviewSubmission.id == report.submission_id, ReviewSubmission.status == "submitted")
                            .values(status="reviewed", grade=report.final_grade, updated_at=now)
                            .execution_options(synchronize_session=False))
    session.flush()
    session.expire_all()
    return _results(session, get_round(session, round_id), settings)


def final_grade_of(session: Session, branch_id: int, year: int) -> str | None:
    """The final grade of the branch's report for `year` in a closed round (已评议), or None (no round,
    not reviewed yet, or nobody graded it). The 年检 draft quotes it."""
    return session.scalar(select(ReviewSubmission.grade).join(ReviewRound, ReviewRound.id == ReviewSubmission.round_id)
                          .where(ReviewSubmission.branch_id == branch_id, ReviewRound.year == year,
                                 ReviewSubmission.status == "reviewed")
                          .order_by(ReviewRound.id.desc()).limit(1))
