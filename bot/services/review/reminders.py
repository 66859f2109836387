"""What is due for 述职: 7 and 1 days before an open round's deadline, the secretaries of the reporting branches
whose report is not in (未提交 or 已退回, never submitted since) are reminded; a report returned after a step's
window began is not reminded of that step (the return told its secretary the deadline at once). The reporting
branches are the round's report rows; a round without any (one arranged before rounds were opened with their
rows) falls back to every branch under the round's committee. Returns outbox.Due items; writes nothing."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import at_local, local, today
from bot.models import Branch, ReviewRound, ReviewSubmission, RoleGrant
from bot.services.notify.outbox import Due, not_written
from bot.services.notify.recipients import role_holders
from bot.services.notify.timing import daily_due, step_for
from bot.services.org.structure import committee_ids_under

REVIEW_STEPS = (7, 1)
DUE_STATUSES = ("not_submitted", "returned")


def reminders_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    day = today(now, settings)
    rounds = session.execute(
        select(ReviewRound.id, ReviewRound.committee_id, ReviewRound.title, ReviewRound.deadline)
        .where(ReviewRound.status == "open", ReviewRound.deadline > now,
               ReviewRound.deadline <= now + timedelta(days=max(REVIEW_STEPS) + 1))
    ).all()
    due: list[Due] = []
    at = daily_due(now, settings)
    for rid, committee_id, title, deadline in rounds:
        # A round due "by the end of" a day is stored as the next day's first moment: count and show that day.
        at_midnight = local(deadline, settings).time() == time(0, 0)
        shown = deadline - timedelta(minutes=1) if at_midnight else deadline
        days_left = (local(shown, settings).date() - day).days
        step = step_for(days_left, REVIEW_STEPS)
        if step is None:
            continue
        slot = f"d{step}"
        has_rows = session.scalar(select(ReviewSubmission.id).where(ReviewSubmission.round_id == rid).limit(1))
        q = select(Branch.id, Branch.name, RoleGrant.member_id).join(RoleGrant, role_holders("secretary", "branch",
                                                                                           Branch.id))
        if has_rows is not None:
            # A report returned since this step's window began was told of its deadline with the return
            # (review_returned): no catch-up reminder of the same step on top of it.
            window = at_local(local(shown, settings).date() - timedelta(days=step), time(0, 0), settings)
            q = q.join(ReviewSubmission, ReviewSubmission.branch_id == Branch.id).where(
                ReviewSubmission.round_id == rid, ReviewSubmission.status.in_(DUE_STATUSES),
                ReviewSubmission.submitted_at.is_(None),
                or_(ReviewSubmission.returned_at.is_(None), ReviewSubmission.returned_at < window))
        else:
            q = q.where(Branch.committee_id.in_(committee_ids_under(session, committee_id)),
                        ~exists().where(ReviewSubmission.round_id == rid, ReviewSubmission.branch_id == Branch.id,
                                        ReviewSubmission.submitted_at.is_not(None)))
        q = q.where(not_written("review_due", "review_round", rid, slot, RoleGrant.member_id)).order_by(Branch.id)
        for branch_id, branch, secretary in session.execute(q):
            due.append(Due("review_due", secretary, "review_round", rid, slot, at,
                           {"round_id": rid, "title": title, "deadline": shown.isoformat(),
                            "days": max(days_left, 0), "branch_id": branch_id, "branch": branch}))
    return due
