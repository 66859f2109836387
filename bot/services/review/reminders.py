"""What is due for 述职: 7 and 1 days before an open round's deadline, the secretaries of branches under
the round's committee that have not submitted are reminded. Returns outbox.Due items; writes nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import local, today
from bot.models import Branch, ReviewRound, ReviewSubmission, RoleGrant
from bot.services.notify.outbox import Due, not_written
from bot.services.notify.recipients import role_holders
from bot.services.notify.timing import daily_due, step_for
from bot.services.org.structure import committee_ids_under

REVIEW_STEPS = (7, 1)


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
        days_left = (local(deadline, settings).date() - day).days
        step = step_for(days_left, REVIEW_STEPS)
        if step is None:
            continue
        slot = f"d{step}"
        q = (
            select(Branch.id, Branch.name, RoleGrant.member_id)
            .join(RoleGrant, role_holders("secretary", "branch", Branch.id))
            .where(Branch.committee_id.in_(committee_ids_under(session, committee_id)),
                   ~exists().where(ReviewSubmission.round_id == rid, ReviewSubmission.branch_id == Branch.id,
                                   ReviewSubmission.submitted_at.is_not(None)),
                   not_written("review_due", "review_round", rid, slot, RoleGrant.member_id))
        )
        for branch_id, branch, secretary in session.execute(q):
            due.append(Due("review_due", secretary, "review_round", rid, slot, at,
                           {"round_id": rid, "title": title, "deadline": deadline.isoformat(),
                            "days": max(days_left, 0), "branch_id": branch_id, "branch": branch}))
    return due
