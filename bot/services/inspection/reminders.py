"""What is due for 年检: 30, 7 and 1 days before each deadline not yet filed (the supervising unit's step
counts as done once the registrar has the report), the organization's branch secretary and its liaison
(active members) are reminded; 换届 (board_terms_due) to the branch's secretary, else the liaison. The days
a notice states count from the day it goes out (held over a holiday: fewer). Returns outbox.Due items;
writes nothing (the year's rows are opened by years.open_season, which the sweep calls first; filing.record
drops a step's reminders still waiting once that step is filed)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import local, today
from bot.models import AnnualInspection, Member, Notification, RoleGrant, SocialOrg
from bot.services.notify.outbox import Due
from bot.services.notify.timing import daily_due, step_for, step_ranges

INSPECTION_STEPS = (30, 7, 1)


def reminders_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    day = today(now, settings)
    at = daily_due(now, settings)
    sent_on = local(at, settings).date()  # a reminder held over a holiday counts the days from when it goes out
    due: list[Due] = []
    horizon = day + timedelta(days=max(INSPECTION_STEPS))
    ai = AnnualInspection
    for which, deadline_col, filed_col in (("supervisor", ai.supervisor_deadline, ai.supervisor_filed_on),
                                           ("registrar", ai.registrar_deadline, ai.registrar_filed_on)):
        found = session.execute(
            select(ai.id, ai.year, deadline_col, SocialOrg.id, SocialOrg.name, SocialOrg.branch_id)
            .join(SocialOrg, SocialOrg.id == ai.organization_id)
            .where(deadline_col >= day, deadline_col <= horizon, filed_col.is_(None),
                   ai.registrar_filed_on.is_(None), ai.result.is_(None),  # the registrar has it: nothing due
                   or_(*(and_(deadline_col >= day + timedelta(days=first),
                              deadline_col <= day + timedelta(days=last),
                              ~exists().where(Notification.subject_type == "inspection",
                                              Notification.subject_id == ai.id,
                                              Notification.slot == f"{which}:d{step}"))
                         for step, first, last in step_ranges(INSPECTION_STEPS))))
        ).all()
        if not found:
            continue
        org_ids = [f[3] for f in found]
        branch_ids = [f[5] for f in found if f[5] is not None]
        by_branch: dict[int, list[int]] = defaultdict(list)
        by_org: dict[int, list[int]] = defaultdict(list)
        for member_id, scope_type, scope_id in session.execute(
            select(RoleGrant.member_id, RoleGrant.scope_type, RoleGrant.scope_id)
            .join(Member, Member.id == RoleGrant.member_id).where(Member.active.is_(True))
            .where(or_(and_(RoleGrant.role == "secretary", RoleGrant.scope_type == "branch",
                            RoleGrant.scope_id.in_(branch_ids)),
                       and_(RoleGrant.role == "liaison", RoleGrant.scope_type == "organization",
                            RoleGrant.scope_id.in_(org_ids))))
        ):
            (by_branch if scope_type == "branch" else by_org)[scope_id].append(member_id)
        for aid, year, deadline, org_id, org_name, branch_id in found:
            days_left = (deadline - day).days
            step = step_for(days_left, INSPECTION_STEPS)
            if step is None:
                continue
            params = {"organization_id": org_id, "org": org_name, "year": year, "which": which,
                      "deadline": deadline.isoformat(), "days": (deadline - sent_on).days}
            recipients = set(by_org.get(org_id, [])) | set(by_branch.get(branch_id, []) if branch_id else [])
            due += [Due("inspection_due", rid, "inspection", aid, f"{which}:d{step}", at, params)
                    for rid in sorted(recipients)]
    return due


def board_terms_due(session: Session, now: datetime, settings: Settings) -> list[Due]:
    """换届: organizations whose board term ends within BOARD_TERM_WARN_DAYS, or has ended, are reminded to
    their branch's secretary (an organization without one: its liaison), once per organization per term end
    (the slot names the day the term ends: a new term, a new reminder)."""
    day = today(now, settings)
    horizon = day + timedelta(days=int(settings["BOARD_TERM_WARN_DAYS"]))
    found = session.execute(
        select(SocialOrg.id, SocialOrg.name, SocialOrg.branch_id, SocialOrg.board_term_ends)
        .where(SocialOrg.board_term_ends.is_not(None), SocialOrg.board_term_ends <= horizon)
        .order_by(SocialOrg.id)).all()
    if not found:
        return []
    at = daily_due(now, settings)
    sent_on = local(at, settings).date()
    org_ids = [f[0] for f in found]
    branch_ids = [f[2] for f in found if f[2] is not None]
    secretaries: dict[int, list[int]] = defaultdict(list)
    liaisons: dict[int, list[int]] = defaultdict(list)
    sent = {(int(sid), str(slot), int(rid)) for sid, slot, rid in session.execute(
        select(Notification.subject_id, Notification.slot, Notification.recipient_id)
        .where(Notification.kind == "board_term_due", Notification.subject_type == "organization",
               Notification.subject_id.in_(org_ids)))
        if sid is not None and rid is not None}
    for member_id, scope_type, scope_id in session.execute(
        select(RoleGrant.member_id, RoleGrant.scope_type, RoleGrant.scope_id)
        .join(Member, Member.id == RoleGrant.member_id).where(Member.active.is_(True))
        .where(or_(and_(RoleGrant.role == "secretary", RoleGrant.scope_type == "branch",
                        RoleGrant.scope_id.in_(branch_ids)),
                   and_(RoleGrant.role == "liaison", RoleGrant.scope_type == "organization",
                        RoleGrant.scope_id.in_(org_ids))))
        .order_by(RoleGrant.member_id)
    ):
        (secretaries if scope_type == "branch" else liaisons)[scope_id].append(member_id)
    due: list[Due] = []
    for org_id, name, branch_id, ends in found:
        assert ends is not None
        recipients = (secretaries.get(branch_id, []) if branch_id is not None else []) or liaisons.get(org_id, [])
        slot = f"term:{ends.isoformat()}"
        params = {"organization_id": org_id, "org": name, "term_ends": ends.isoformat(),
                  "days": (ends - sent_on).days}
        due += [Due("board_term_due", rid, "organization", org_id, slot, at, params)
                for rid in sorted(set(recipients)) if (org_id, slot, rid) not in sent]
    return due
