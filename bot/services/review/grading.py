"""Grading: a reviewer named for a round grades each submitted report once (a second grade replaces the first
until the round closes), never their own branch's; each problem a reviewer or an admin names becomes a ledger
item (source 述职评议) linked to the report, owned by the branch's secretary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.infra.db import added
from bot.models import Branch, Member, RectificationItem, ReviewGrade, ReviewReviewer, ReviewRound, ReviewSubmission
from bot.services import authz
from bot.services.authz import Action, Actor
from bot.services.errors import Conflict, Invalid, NotFound, PermissionDenied
from bot.services.org.structure import get_committee
from bot.services.rectification.ledger import NewItem, add_item
from bot.services.review.rounds import current_secretary

MAX_COMMENT_CHARS = 500
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class Graded:
    submission_id: int
    round_id: int
    branch_id: int
    branch: str
    grade: str | None  # None: only problems were named (an admin)
    replaced: bool  # a grade by the same reviewer was there and is replaced
    previous: str | None
    item_ids: list[int]  # the ledger items the named problems became


def _context(session: Session, submission_id: int, round_id: int | None) -> tuple[ReviewSubmission, ReviewRound,
                                                                                 Branch]:
    sub = session.get(ReviewSubmission, submission_id)
    if sub is None or (round_id is not None and sub.round_id != round_id):
        raise NotFound("review_report_not_found")
    rnd = session.get(ReviewRound, sub.round_id)
    branch = session.get(Branch, sub.branch_id)
    assert rnd is not None and branch is not None
    return sub, rnd, branch


def _problems(problems: list[str]) -> list[str]:
    named = [" ".join(p.split()) for p in problems if p and p.strip()]
    if len(named) > MAX_PROBLEMS:
        raise Invalid("review_too_many_problems", limit=MAX_PROBLEMS)
    return list(dict.fromkeys(named))


def _add_items(session: Session, *, actor: Actor, sub: ReviewSubmission, branch: Branch, problems: list[str],
               now: datetime, settings: Settings, authorized: bool) -> list[int]:
    """Each problem one ledger item (once per report and problem text: naming it again adds nothing)."""
    if not problems:
        return []
    owner = current_secretary(session, branch.id) or sub.secretary_id
    deadline = today(now, settings) + timedelta(days=settings["REVIEW_RECTIFY_DAYS"])
    known = set(session.scalars(select(RectificationItem.problem).where(
        RectificationItem.source == "review", RectificationItem.source_id == sub.id)))
    ids: list[int] = []
    for problem in problems:
        if problem in known:
            continue
        row = add_item(session, actor=actor, item=NewItem(source="review", source_id=sub.id, branch_id=branch.id,
                                                          problem=problem, deadline=deadline, owner_id=owner),
                       now=now, settings=settings, authorized=authorized)
        ids.append(row.id)
    return ids


def grade(session: Session, *, actor: Member | None, submission_id: int, grade: str, comment: str = "",
          problems: list[str] | None = None, now: datetime, settings: Settings, round_id: int | None = None) -> Graded:
    """评议: only a reviewer named for the round, not of their own branch, a grade on the round's scale, the
    round open and the report submitted. One grade per reviewer and report (the unique key): a second one
    replaces the first and says so; of concurrent copies one inserts and the rest replace."""
    if actor is None:
        raise PermissionDenied("unbound")
    sub, rnd, branch = _context(session, submission_id, round_id)
    if session.scalar(select(ReviewReviewer.id).where(ReviewReviewer.round_id == rnd.id,
                                                      ReviewReviewer.member_id == actor.id)) is None:
        raise PermissionDenied("review_not_reviewer")
    if rnd.status != "open":
        raise Conflict("review_round_closed", id=rnd.id)
    if actor.branch_id is not None and actor.branch_id == sub.branch_id:
        raise Invalid("review_own_branch", branch=branch.name)
    scale = rnd.scale.split("/")
    given = (grade or "").strip()
    if given not in scale:
        raise Invalid("review_grade_not_on_scale", grade=given, scale="/".join(scale))
    if sub.status != "submitted":
        raise Conflict("review_not_submitted", status=sub.status)
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise Invalid("review_comment_too_long", limit=MAX_COMMENT_CHARS)
    named = _problems(problems or [])
    # Lock the report while it is still submitted: a withdrawal (or a return) at the same moment either
    # waits for this grade and then sees it, or went first and this grade is refused.
    held = session.execute(update(ReviewSubmission).where(ReviewSubmission.id == sub.id,
                                                          ReviewSubmission.status == "submitted")
                           .values(updated_at=now).execution_options(synchronize_session=False))
    if int(getattr(held, "rowcount", 0) or 0) != 1:
        raise Conflict("review_not_submitted", status="not_submitted")
    previous = session.scalar(select(ReviewGrade.grade).where(ReviewGrade.submission_id == sub.id,
                                                              ReviewGrade.reviewer_id == actor.id))
    replaced = previous is not None
    if not replaced:
        row = ReviewGrade(submission_id=sub.id, reviewer_id=actor.id, grade=given, comment=comment, created_at=now,
                          updated_at=now)
        replaced = not added(session, row)  # another copy of this reviewer's grade got there first
    if replaced:
        session.execute(update(ReviewGrade).where(ReviewGrade.submission_id == sub.id,
                                                  ReviewGrade.reviewer_id == actor.id)
                        .values(grade=given, comment=comment, updated_at=now)
                        .execution_options(synchronize_session=False))
    ids = _add_items(session, actor=actor, sub=sub, branch=branch, problems=named, now=now, settings=settings,
                     authorized=True)
    session.flush()
    return Graded(sub.id, rnd.id, branch.id, branch.name, given, replaced, previous, ids)


def name_problems(session: Session, *, actor: Actor | None, submission_id: int, problems: list[str], now: datetime,
                  settings: Settings, round_id: int | None = None) -> Graded:
    """An admin of the round's committee names problems of a report without grading it: each a ledger item."""
    sub, rnd, branch = _context(session, submission_id, round_id)
    authz.require(session, actor, Action.MANAGE_REVIEW, get_committee(session, rnd.committee_id))
    assert actor is not None
    named = _problems(problems)
    if not named:
        raise Invalid("review_no_problems")
    if sub.status not in ("submitted", "reviewed"):
        raise Conflict("review_not_submitted", status=sub.status)
    # Hold the report: problems named at the same moment are compared with what the other one added.
    held = session.execute(update(ReviewSubmission).where(ReviewSubmission.id == sub.id,
                                                          ReviewSubmission.status.in_(("submitted", "reviewed")))
                           .values(updated_at=now).execution_options(synchronize_session=False))
    if int(getattr(held, "rowcount", 0) or 0) != 1:
        raise Conflict("review_not_submitted", status="not_submitted")
    ids = _add_items(session, actor=actor, sub=sub, branch=branch, problems=named, now=now, settings=settings,
                     authorized=False)
    session.flush()
    return Graded(sub.id, rnd.id, branch.id, branch.name, None, False, None, ids)
