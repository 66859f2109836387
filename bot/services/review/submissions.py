"""A secretary's 述职 report: the draft (text appended, photos attached), read back, submitted, withdrawn until
the deadline; an admin returns a submitted report with a reason (the secretary is told and may resubmit).

A report must answer every open rectification item of its branch found before the round's year ended (the
rule "next year's report says how last year's problems were fixed"): it names each by its number, as #12,
12号, 第12项 or 问题12."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.models import Branch, Member, ReviewRound, ReviewSubmission, RoleGrant
from bot.services import attachments, authz
from bot.services.authz import Action, Actor
from bot.services.errors import Conflict, Invalid, NotFound, PermissionDenied
from bot.services.notify.outbox import enqueue
from bot.services.org.structure import get_committee
from bot.services.rectification.ledger import open_items_of_branch
from bot.services.review.rounds import DRAFT_STATUSES, current_secretary

SUBJECT = "review_submission"
MAX_REPORT_CHARS = 20000
MAX_REASON_CHARS = 500


@dataclass(frozen=True)
class OpenItem:
    id: int
    problem: str
    deadline: date
    status: str


@dataclass(frozen=True)
class ReportView:
    """A report as its secretary (or an admin) reads it."""

    submission_id: int
    round_id: int
    round_title: str
    year: int
    deadline: datetime
    round_status: str
    branch_id: int
    branch: str
    mode: str
    status: str  # SUBMISSION_STATUSES key
    text: str
    photos: int
    submitted_at: datetime | None
    return_reason: str | None
    open_items: list[OpenItem]  # what the report must answer by number
    unanswered: list[int]  # the numbers of those the text does not name yet


# -- which report ---------------------------------------------------------------------------------------
def _secretary_branch_ids(session: Session, member: Member) -> list[int]:
    return list(session.scalars(select(RoleGrant.scope_id).where(
        RoleGrant.member_id == member.id, RoleGrant.role == "secretary", RoleGrant.scope_type == "branch")))


def _own_submission(session: Session, actor: Member | None) -> ReviewSubmission:
    """The sender's branch's report in an open round: a draft first, then the soonest deadline."""
    if actor is None:
        raise PermissionDenied("unbound")
    branch_ids = _secretary_branch_ids(session, actor)
    if not branch_ids:
        raise PermissionDenied("review_not_secretary")
    rows = list(session.execute(
        select(ReviewSubmission, ReviewRound.deadline).join(ReviewRound, ReviewRound.id == ReviewSubmission.round_id)
        .where(ReviewSubmission.branch_id.in_(branch_ids), ReviewRound.status == "open")
        .order_by(ReviewRound.deadline, ReviewSubmission.id)))
    if not rows:
        raise NotFound("review_no_round")
    drafts = [s for s, _ in rows if s.status in DRAFT_STATUSES]
    return drafts[0] if drafts else rows[0][0]


def _round_of(session: Session, sub: ReviewSubmission) -> ReviewRound:
    rnd = session.get(ReviewRound, sub.round_id)
    assert rnd is not None
    return rnd


def _authorize_secretary(session: Session, actor: Member | None, sub: ReviewSubmission) -> Branch:
    branch = session.get(Branch, sub.branch_id)
    assert branch is not None
    authz.require(session, actor, Action.SUBMIT_REVIEW, branch)
    return branch


def mentioned(text: str, number: int) -> bool:
    """Does `text` name item `number` as #12, 12号, 第12项 or 问题12 (not as part of a longer number)?"""
    folded = unicodedata.normalize("NFKC", text or "")
    n = str(number)
    pattern = (rf"#\s*{n}(?!\d)|(?<!\d){n}\s*号|第\s*{n}\s*项|问题\s*(?:#\s*)?{n}(?!\d)")
    return re.search(pattern, folded) is not None


def items_to_answer(session: Session, sub: ReviewSubmission, rnd: ReviewRound) -> list[OpenItem]:
    """The branch's open ledger items found before the round's year ended, except those this round's own
    reports produced (a problem named while grading this year's report is next year's to answer)."""
    own = set(session.scalars(select(ReviewSubmission.id).where(ReviewSubmission.round_id == rnd.id)))
    return [OpenItem(i.id, i.problem, i.deadline, i.status)
            for i in open_items_of_branch(session, sub.branch_id, found_before=date(rnd.year + 1, 1, 1))
            if not (i.source == "review" and i.source_id in own)]


def _view(session: Session, sub: ReviewSubmission) -> ReportView:
    rnd = _round_of(session, sub)
    branch = session.get(Branch, sub.branch_id)
    assert branch is not None
    items = items_to_answer(session, sub, rnd)
    return ReportView(submission_id=sub.id, round_id=rnd.id, round_title=rnd.title, year=rnd.year,
                      deadline=rnd.deadline, round_status=rnd.status, branch_id=branch.id, branch=branch.name,
                      mode=sub.mode, status=sub.status, text=sub.text or "",
                      photos=attachments.count(session, SUBJECT, sub.id), submitted_at=sub.submitted_at,
                      return_reason=sub.return_reason, open_items=items,
                      unanswered=[i.id for i in items if not mentioned(sub.text or "", i.id)])


def _writable(session: Session, sub: ReviewSubmission, now: datetime) -> ReviewRound:
    """A draft the secretary may still change: the round open, the deadline not passed, not submitted."""
    rnd = _round_of(session, sub)
    if rnd.status != "open":
        raise Conflict("review_round_closed", id=rnd.id)
    if now >= rnd.deadline:
        raise Invalid("review_deadline_passed", deadline=rnd.deadline)
    if sub.status not in DRAFT_STATUSES:
        raise Conflict("review_already_submitted", status=sub.status)
    return rnd


# -- the secretary's operations -------------------------------------------------------------------------
def start_draft(session: Session, *, actor: Member | None, now: datetime, settings: Settings) -> ReportView:
    """述职: the sender's report to write (a new or returned draft), with the items it must answer."""
    sub = _own_submission(session, actor)
    _authorize_secretary(session, actor, sub)
    _writable(session, sub, now)
    return _view(session, sub)


def draft_of(session: Session, *, actor: Member | None, now: datetime) -> ReportView | None:
    """The sender's report still being written (a draft with text or photos) in an open round, or None."""
    try:
        sub = _own_submission(session, actor)
    except (NotFound, PermissionDenied):
        return None
    if sub.status not in DRAFT_STATUSES:
        return None
    return _view(session, sub)


def read_own(session: Session, *, actor: Member | None, now: datetime, settings: Settings) -> ReportView:
    """查看述职: the sender's draft or submitted report."""
    sub = _own_submission(session, actor)
    _authorize_secretary(session, actor, sub)
    return _view(session, sub)


def append_text(session: Session, *, actor: Member | None, submission_id: int, text: str, now: datetime,
                settings: Settings) -> ReportView:
    """Add a paragraph to the draft (one UPDATE appending in SQL: paragraphs sent at once are all kept)."""
    sub = _get(session, submission_id)
    _authorize_secretary(session, actor, sub)
    _writable(session, sub, now)
    paragraph = (text or "").strip()
    if not paragraph:
        raise Invalid("review_empty_text")
    if len(sub.text or "") + len(paragraph) + 1 > MAX_REPORT_CHARS:
        raise Invalid("review_report_too_long", limit=MAX_REPORT_CHARS)
    joined = case((ReviewSubmission.text == "", paragraph), else_=ReviewSubmission.text + "\n" + paragraph)
    done = session.execute(update(ReviewSubmission)
                           .where(ReviewSubmission.id == sub.id, ReviewSubmission.status.in_(DRAFT_STATUSES))
                           .values(text=joined, updated_at=now).execution_options(synchronize_session=False))
    if int(getattr(done, "rowcount", 0) or 0) != 1:
        raise Conflict("review_already_submitted", status="submitted")
    session.refresh(sub)
    return _view(session, sub)


def attach_image(session: Session, *, actor: Member | None, submission_id: int, media_id: str, now: datetime,
                 settings: Settings) -> attachments.Attached:
    """Keep a photo for the draft (fetched after the commit by the channel)."""
    sub = _get(session, submission_id)
    _authorize_secretary(session, actor, sub)
    _writable(session, sub, now)
    return attachments.add(session, subject_type=SUBJECT, subject_id=sub.id, media_id=media_id,
                           created_by_id=actor.id if actor is not None else None, now=now)


def submit(session: Session, *, actor: Member | None, now: datetime, settings: Settings,
           submission_id: int | None = None) -> ReportView:
    """提交: refused after the deadline, in a closed round, for an empty report, and until the text names
    every item it must answer. Submitted by one conditional UPDATE of the draft."""
    sub = _get(session, submission_id) if submission_id is not None else _own_submission(session, actor)
    _authorize_secretary(session, actor, sub)
    _writable(session, sub, now)
    if not (sub.text or "").strip():
        raise Invalid("review_empty_report")
    view = _view(session, sub)
    if view.unanswered:
        raise Invalid("review_items_unanswered", ids="、".join(f"#{i}" for i in view.unanswered))
    done = session.execute(update(ReviewSubmission)
                           .where(ReviewSubmission.id == sub.id, ReviewSubmission.status.in_(DRAFT_STATUSES))
                           .values(status="submitted", submitted_at=now, updated_at=now,
                                   secretary_id=actor.id if actor is not None else sub.secretary_id)
                           .execution_options(synchronize_session=False))
    if int(getattr(done, "rowcount", 0) or 0) != 1:
        raise Conflict("review_already_submitted", status="submitted")
    session.refresh(sub)
    return _view(session, sub)


def withdraw(session: Session, *, actor: Member | None, now: datetime, settings: Settings) -> ReportView:
    """撤回述职: a submitted report back to a draft, until the deadline, while the round is open and nobody
    has graded it yet (a grade is of the text the reviewer read)."""
    from bot.models import ReviewGrade

    sub = _own_submission(session, actor)
    _authorize_secretary(session, actor, sub)
    rnd = _round_of(session, sub)
    if rnd.status != "open":
        raise Conflict("review_round_closed", id=rnd.id)
    if now >= rnd.deadline:
        raise Invalid("review_withdraw_too_late", deadline=rnd.deadline)
    if sub.status != "submitted":
        raise Conflict("review_not_submitted", status=sub.status)
    if session.scalar(select(ReviewGrade.id).where(ReviewGrade.submission_id == sub.id).limit(1)) is not None:
        raise Conflict("review_withdraw_graded")
    done = session.execute(update(ReviewSubmission)
                           .where(ReviewSubmission.id == sub.id, ReviewSubmission.status == "submitted")
                           .values(status="not_submitted", submitted_at=None, updated_at=now)
                           .execution_options(synchronize_session=False))
    if int(getattr(done, "rowcount", 0) or 0) != 1:
        raise Conflict("review_not_submitted", status=sub.status)
    # A grade given meanwhile held the row until it committed: read again now that this one holds it.
    if session.scalar(select(ReviewGrade.id).where(ReviewGrade.submission_id == sub.id).limit(1)) is not None:
        raise Conflict("review_withdraw_graded")
    session.refresh(sub)
    return _view(session, sub)


# -- finding a report by branch (admins and reviewers) --------------------------------------------------
def _get(session: Session, submission_id: int) -> ReviewSubmission:
    sub = session.get(ReviewSubmission, submission_id)
    if sub is None:
        raise NotFound("review_report_not_found")
    return sub


def find_report(session: Session, *, actor: Actor | None, branch: str | int, as_reviewer: bool,
                now: datetime) -> ReviewSubmission:
    """The report of a branch (its id, its exact name, or a part of its name found once) in an open round the
    actor reviews (`as_reviewer`) or manages (MANAGE_REVIEW on its committee)."""
    if actor is None:
        raise PermissionDenied("unbound")
    from bot.models import ReviewReviewer

    rounds = list(session.scalars(select(ReviewRound).where(ReviewRound.status == "open").order_by(ReviewRound.id)))
    if as_reviewer:
        mine = set(session.scalars(select(ReviewReviewer.round_id).where(ReviewReviewer.member_id == actor.id)))
        rounds = [r for r in rounds if r.id in mine]
        if not rounds and mine:  # named for rounds that are all closed now
            raise Conflict("review_round_closed", id=max(mine))
        if not rounds:
            raise PermissionDenied("review_not_reviewer")
    else:
        rounds = [r for r in rounds
                  if authz.can(session, actor, Action.MANAGE_REVIEW, get_committee(session, r.committee_id))]
        if not rounds:
            raise PermissionDenied("review_no_managed_round")
    rows = list(session.execute(select(ReviewSubmission, Branch.name)
                                .join(Branch, Branch.id == ReviewSubmission.branch_id)
                                .where(ReviewSubmission.round_id.in_([r.id for r in rounds]))
                                .order_by(ReviewSubmission.id)))
    if isinstance(branch, int):
        found = [s for s, _ in rows if s.branch_id == branch]
    else:
        name = branch.strip()
        found = [s for s, n in rows if n == name] or [s for s, n in rows if name and name in n]
        if len({s.branch_id for s in found}) > 1:
            names = "、".join(sorted({n for s, n in rows if name in n}))
            raise Invalid("review_branch_ambiguous", names=names)
    if not found:
        raise NotFound("review_branch_not_in_round", branch=f"#{branch}" if isinstance(branch, int) else branch)
    return found[0]


def return_report(session: Session, *, actor: Actor | None, submission_id: int, reason: str, now: datetime,
                  settings: Settings) -> ReportView:
    """退回述职: an admin of the round's committee returns a submitted report with a reason, before the deadline
    (after it the report could not be submitted again); the branch's secretary is told at once (notice
    review_returned) and may resubmit until the deadline."""
    sub = _get(session, submission_id)
    rnd = _round_of(session, sub)
    authz.require(session, actor, Action.MANAGE_REVIEW, get_committee(session, rnd.committee_id))
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid("review_return_need_reason")
    if len(reason) > MAX_REASON_CHARS:
        raise Invalid("review_reason_too_long", limit=MAX_REASON_CHARS)
    if rnd.status != "open":
        raise Conflict("review_round_closed", id=rnd.id)
    if sub.status != "submitted":
        raise Conflict("review_not_submitted", status=sub.status)
    if now >= rnd.deadline:  # returned now, it could never be submitted again
        raise Invalid("review_return_too_late", deadline=rnd.deadline)
    done = session.execute(update(ReviewSubmission)
                           .where(ReviewSubmission.id == sub.id, ReviewSubmission.status == "submitted")
                           .values(status="returned", return_reason=reason, returned_at=now, submitted_at=None,
                                   updated_at=now)
                           .execution_options(synchronize_session=False))
    if int(getattr(done, "rowcount", 0) or 0) != 1:
        raise Conflict("review_not_submitted", status="returned")
    session.refresh(sub)
    branch = session.get(Branch, sub.branch_id)
    assert branch is not None
    recipient = current_secretary(session, sub.branch_id) or sub.secretary_id  # the secretary now
    enqueue(session, kind="review_returned", recipient_id=recipient, due_at=now, now=now,
            params={"round_id": rnd.id, "submission_id": sub.id, "title": rnd.title, "branch_id": branch.id,
                    "branch": branch.name, "reason": reason, "deadline": rnd.deadline.isoformat()},
            subject_type=SUBJECT, subject_id=sub.id, slot=now.isoformat())
    return _view(session, sub)


def read_branch_report(session: Session, *, actor: Actor | None, branch: str | int, now: datetime) -> ReportView:
    """查看述职 <branch>: a report of an open round, read by a reviewer named for the round or its admin."""
    try:
        sub = find_report(session, actor=actor, branch=branch, as_reviewer=True, now=now)
    except (PermissionDenied, Conflict):
        sub = find_report(session, actor=actor, branch=branch, as_reviewer=False, now=now)
    return _view(session, sub)


@dataclass(frozen=True)
class ReportLine:
    """A report in the list an admin or a reviewer reads (述职情况)."""

    round_id: int
    round_title: str
    deadline: datetime
    branch_id: int
    branch: str
    mode: str
    status: str
    graded: int  # how many reviewers graded it
    my_grade: str | None  # the reader's own grade, if they are a reviewer and graded it


def reports_for(session: Session, *, actor: Actor | None, now: datetime) -> list[ReportLine]:
    """The reports of the open rounds the actor reviews or manages, round by round, branch by branch."""
    from sqlalchemy import func

    from bot.models import ReviewGrade, ReviewReviewer

    if actor is None:
        raise PermissionDenied("unbound")
    mine = set(session.scalars(select(ReviewReviewer.round_id).where(ReviewReviewer.member_id == actor.id))) \
        if actor.id is not None else set()
    rounds = [r for r in session.scalars(select(ReviewRound).where(ReviewRound.status == "open")
                                         .order_by(ReviewRound.deadline, ReviewRound.id))
              if r.id in mine or authz.can(session, actor, Action.MANAGE_REVIEW,
                                           get_committee(session, r.committee_id))]
    if not rounds:
        raise PermissionDenied("review_no_managed_round")
    by_id = {r.id: r for r in rounds}
    subs = list(session.execute(select(ReviewSubmission, Branch.name)
                                .join(Branch, Branch.id == ReviewSubmission.branch_id)
                                .where(ReviewSubmission.round_id.in_(list(by_id)))
                                .order_by(ReviewSubmission.round_id, ReviewSubmission.branch_id)))
    ids = [s.id for s, _ in subs]
    counts: dict[int, int] = {}
    own: dict[int, str] = {}
    if ids:
        counts = {sid: int(n) for sid, n in session.execute(
            select(ReviewGrade.submission_id, func.count(ReviewGrade.id))
            .where(ReviewGrade.submission_id.in_(ids)).group_by(ReviewGrade.submission_id))}
        if actor.id is not None:
            own = {sid: g for sid, g in session.execute(
                select(ReviewGrade.submission_id, ReviewGrade.grade)
                .where(ReviewGrade.submission_id.in_(ids), ReviewGrade.reviewer_id == actor.id))}
    return [ReportLine(s.round_id, by_id[s.round_id].title, by_id[s.round_id].deadline, s.branch_id, name, s.mode,
                       s.status, int(counts.get(s.id, 0)), own.get(s.id)) for s, name in subs]
