"""服务队 (teams) with their leaders, and activities members log against.

A team belongs to a branch and is made by its secretary, an admin above it or the operator (MANAGE_VOLUNTEER);
its leaders are members named by mobile number, each told once what a leader may do (volunteer_leader_named).
An activity (`活动 12月6日 社区义诊 先锋志愿服务队`) is created by a leader of the named team or by the branch's
secretary; members then log `志愿 3小时 活动#4` and take its day, content, place and team from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.infra.clock import today
from bot.infra.db import added
from bot.models import Member, VolunteerActivity, VolunteerTeam, VolunteerTeamLeader
from bot.services import authz
from bot.services.authz import Action, Actor
from bot.services.errors import Invalid, NotFound, PermissionDenied
from bot.services.notify.outbox import enqueue
from bot.services.org.structure import get_branch, log_phone_lookup, member_by_phone, normalize_phone

NAME_MAX = 100
ACTIVITY_AHEAD_DAYS = 366


@dataclass(frozen=True)
class TeamInfo:
    id: int
    branch_id: int
    name: str
    leaders: list[str]  # names
    created: bool


@dataclass(frozen=True)
class ActivityInfo:
    id: int
    branch_id: int
    held_on: date
    title: str
    place: str
    team_id: int | None
    team_name: str


def _team_info(session: Session, team: VolunteerTeam, created: bool) -> TeamInfo:
    names = list(session.scalars(select(Member.name)
                                 .join(VolunteerTeamLeader, VolunteerTeamLeader.member_id == Member.id)
                                 .where(VolunteerTeamLeader.team_id == team.id).order_by(VolunteerTeamLeader.id)))
    return TeamInfo(id=team.id, branch_id=team.branch_id, name=team.name, leaders=names, created=created)


def create_team(session: Session, *, actor: Actor | None, branch_id: int, name: str, leader_phones: list[str],
                now: datetime) -> TeamInfo:
    """A team of the branch (or the existing one of that name) with these leaders added. Each phone must be
    an active member's of the branch or of an organization below or above it."""
    branch = get_branch(session, branch_id)
    authz.require(session, actor, Action.MANAGE_VOLUNTEER, branch)
    name = " ".join((name or "").split())[:NAME_MAX]
    if not name:
        raise Invalid("volunteer_team_name_missing")
    leaders: list[Member] = []
    for phone in leader_phones:
        try:
            number = normalize_phone(phone)
        except Invalid:
            raise Invalid("volunteer_leader_phone", phone=phone[:20]) from None
        member = member_by_phone(session, number)
        log_phone_lookup(actor, number, member, "volunteer_leader")
        if member is None or not member.active or member.branch_id is None:
            raise NotFound("volunteer_leader_not_found", phone=phone)
        leaders.append(member)
    team = session.scalar(select(VolunteerTeam).where(VolunteerTeam.branch_id == branch.id, VolunteerTeam.name == name))
    created = team is None
    if team is None:
        team = VolunteerTeam(branch_id=branch.id, name=name, created_at=now)
        if not added(session, team):  # made by someone else meanwhile
            team = session.scalar(select(VolunteerTeam).where(VolunteerTeam.branch_id == branch.id,
                                                              VolunteerTeam.name == name))
            created = False
    assert team is not None
    have = set(session.scalars(select(VolunteerTeamLeader.member_id).where(VolunteerTeamLeader.team_id == team.id)))
    for member in leaders:
        if member.id not in have:
            if added(session, VolunteerTeamLeader(team_id=team.id, member_id=member.id, created_at=now)):
                # leaders hold no role, so the help menu cannot single them out: tell them what they may do
                enqueue(session, kind="volunteer_leader_named", recipient_id=member.id, due_at=now, now=now,
                        params={"team_id": team.id, "team": team.name}, subject_type="volunteer_team",
                        subject_id=team.id, slot="leader")
            have.add(member.id)
    return _team_info(session, team, created)


def teams_for(session: Session, *, actor: Member) -> list[TeamInfo]:
    """The teams of the actor's branch and above, and those they lead, with their leaders."""
    chain = authz.branch_chain(session, actor.branch_id) if actor.branch_id else []
    led = list(session.scalars(select(VolunteerTeamLeader.team_id).where(VolunteerTeamLeader.member_id == actor.id)))
    found = session.scalars(select(VolunteerTeam).where(
        VolunteerTeam.branch_id.in_(chain) | VolunteerTeam.id.in_(led)).order_by(VolunteerTeam.id))
    return [_team_info(session, t, False) for t in found]


def find_team(session: Session, actor: Member, name: str) -> VolunteerTeam | None:
    """A team named so in the actor's branch or above it, or one the actor leads."""
    chain = authz.branch_chain(session, actor.branch_id) if actor.branch_id else []
    led = list(session.scalars(select(VolunteerTeamLeader.team_id).where(VolunteerTeamLeader.member_id == actor.id)))
    return session.scalar(select(VolunteerTeam).where(
        VolunteerTeam.name == name, VolunteerTeam.branch_id.in_(chain) | VolunteerTeam.id.in_(led))
        .order_by(VolunteerTeam.id))


def team_names_for(session: Session, actor: Member) -> list[str]:
    """The names a sender's activity may name: teams of their branch (and above) and those they lead."""
    chain = authz.branch_chain(session, actor.branch_id) if actor.branch_id else []
    led = list(session.scalars(select(VolunteerTeamLeader.team_id).where(VolunteerTeamLeader.member_id == actor.id)))
    return list(session.scalars(select(VolunteerTeam.name).where(
        VolunteerTeam.branch_id.in_(chain) | VolunteerTeam.id.in_(led)).order_by(VolunteerTeam.id)))


def create_activity(session: Session, *, actor: Member | None, held_on: date, title: str, team_name: str | None,
                    place: str, now: datetime, settings: Settings) -> ActivityInfo:
    """活动: by a leader of the named team (the activity is the team's branch's) or by the secretary of the
    branch (their own, or the team's)."""
    if actor is None:
        raise PermissionDenied("volunteer_unbound")
    title = " ".join((title or "").split())[:NAME_MAX]
    if not title:
        raise Invalid("volunteer_activity_title_missing")
    day = today(now, settings)
    if held_on > day + timedelta(days=ACTIVITY_AHEAD_DAYS) or \
            held_on < day - timedelta(days=int(settings["VOLUNTEER_MAX_AGE_DAYS"])):
        raise Invalid("volunteer_activity_day", day=held_on)
    team: VolunteerTeam | None = None
    if team_name:
        team = find_team(session, actor, team_name)
        if team is None:
            raise NotFound("volunteer_team_not_found", name=team_name)
        branch = get_branch(session, team.branch_id)
        leader = session.scalar(select(VolunteerTeamLeader.id).where(
            VolunteerTeamLeader.team_id == team.id, VolunteerTeamLeader.member_id == actor.id)) is not None
        if not leader:
            authz.require(session, actor, Action.MANAGE_VOLUNTEER, branch)
    else:
        if actor.branch_id is None:
            raise PermissionDenied("volunteer_no_branch")
        branch = get_branch(session, actor.branch_id)
        if not authz.can(session, actor, Action.MANAGE_VOLUNTEER, branch):
            raise PermissionDenied("volunteer_activity_forbidden")
    activity = VolunteerActivity(branch_id=branch.id, team_id=team.id if team else None, held_on=held_on,
                                 title=title, place=(place or "")[:200], created_by_id=actor.id, created_at=now)
    session.add(activity)
    session.flush()
    return ActivityInfo(id=activity.id, branch_id=branch.id, held_on=held_on, title=title, place=activity.place,
                        team_id=activity.team_id, team_name=team.name if team else "")


def recent_activities(session: Session, *, actor: Member | None, now: datetime, settings: Settings,
                      limit: int = 10) -> list[ActivityInfo]:
    """The activities a member may log against, latest first (their branch and above, within the max age)."""
    if actor is None:
        raise PermissionDenied("volunteer_unbound")
    if actor.branch_id is None:
        return []
    chain = authz.branch_chain(session, actor.branch_id)
    since = today(now, settings) - timedelta(days=int(settings["VOLUNTEER_MAX_AGE_DAYS"]))
    rows = session.execute(select(VolunteerActivity, VolunteerTeam.name)
                           .outerjoin(VolunteerTeam, VolunteerTeam.id == VolunteerActivity.team_id)
                           .where(VolunteerActivity.branch_id.in_(chain), VolunteerActivity.held_on >= since)
                           .order_by(VolunteerActivity.held_on.desc(), VolunteerActivity.id.desc()).limit(limit))
    return [ActivityInfo(id=a.id, branch_id=a.branch_id, held_on=a.held_on, title=a.title, place=a.place,
                         team_id=a.team_id, team_name=name or "") for a, name in rows]
