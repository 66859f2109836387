"""The authorization matrix: six kinds of actor × every action of the organization work, checked on the
one function (authz.can) and through the channels that call it (chat, roster import/export)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pytest

from bot import texts
from bot.models import Branch, Committee, Member, SocialOrg
from bot.services.authz import Action, can, require
from bot.services.errors import PermissionDenied
from bot.services.org import roster
from tests import factories as f

ACTORS = ("member", "secretary_a", "secretary_b", "admin_a", "admin_other", "instructor")
ACTIONS = (Action.VIEW_MEMBER, Action.INVITE_MEMBER, Action.VIEW_BRANCH, Action.IMPORT_ROSTER,
           Action.EXPORT_ROSTER, Action.VIEW_COMMITTEE)

# Expected answers; targets: a member of branch A, branch A, A's committee.
T, F = True, False
MATRIX: dict[str, dict[Action, bool]] = {
    "member":      dict(zip(ACTIONS, (F, F, F, F, F, F), strict=True)),
    "secretary_a": dict(zip(ACTIONS, (T, T, T, T, T, F), strict=True)),
    "secretary_b": dict(zip(ACTIONS, (F, F, F, F, F, F), strict=True)),
    "admin_a":     dict(zip(ACTIONS, (T, T, T, T, T, T), strict=True)),
    "admin_other": dict(zip(ACTIONS, (F, F, F, F, F, F), strict=True)),
    "instructor":  dict(zip(ACTIONS, (F, F, T, F, F, F), strict=True)),
}


@dataclass
class World:
    committee: Committee
    other_committee: Committee
    a: Branch
    b: Branch
    org: SocialOrg
    target: Member
    actors: dict[str, Member]


@pytest.fixture
def world(db: Any) -> World:
    c = f.committee(db, name="甲区综合党委")
    other = f.committee(db, name="乙区综合党委")
    a = f.branch(db, c.id, name="A支部")
    b = f.branch(db, c.id, name="B支部")  # same committee: only the admin's scope reaches both
    org = f.social_org(db, c.id, a.id, name="A支部覆盖的协会")
    target = f.member(db, a.id, name="目标党员", phone="13912345678", openid=None)
    actors = {
        "member": f.member(db, a.id, name="普通党员", openid="o_member"),
        "secretary_a": f.secretary(db, a.id, name="A书记", openid="o_secretary_a"),
        "secretary_b": f.secretary(db, b.id, name="B书记", openid="o_secretary_b"),
        "admin_a": f.admin(db, c.id, name="甲区管理员", openid="o_admin_a"),
        "admin_other": f.admin(db, other.id, name="乙区管理员", openid="o_admin_other"),
        "instructor": f.instructor(db, org.id, name="指导员", openid="o_instructor"),
    }
    return World(c, other, a, b, org, target, actors)


def _target(world: World, action: Action) -> Member | Branch | Committee:
    if action in (Action.VIEW_MEMBER, Action.INVITE_MEMBER):
        return world.target
    if action == Action.VIEW_COMMITTEE:
        return world.committee
    return world.a


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.value)
@pytest.mark.parametrize("actor", ACTORS)
def test_matrix(db: Any, world: World, actor: str, action: Action) -> None:
    allowed = MATRIX[actor][action]
    assert can(db, world.actors[actor], action, _target(world, action)) is allowed
    if not allowed:
        with pytest.raises(PermissionDenied) as exc:
            require(db, world.actors[actor], action, _target(world, action))
        assert texts.refusal(exc.value, {}).startswith("你没有权限")


def test_everyone_reads_their_own_record(db: Any, world: World) -> None:
    for m in world.actors.values():
        assert can(db, m, Action.VIEW_MEMBER, m)


def test_nobody_and_inactive_members_may_do_nothing(db: Any, world: World) -> None:
    sec = world.actors["secretary_a"]
    sec.active = False
    db.commit()
    assert not any(can(db, sec, a, _target(world, a)) for a in ACTIONS)
    assert not any(can(db, None, a, _target(world, a)) for a in ACTIONS)


def test_secretary_of_a_party_committee_reaches_its_branches(db: Any, world: World) -> None:
    parent = f.branch(db, world.committee.id, name="行业党委", level="party_committee")
    child = f.branch(db, world.committee.id, name="下属支部", parent_id=parent.id)
    boss = f.secretary(db, parent.id)
    someone = f.member(db, child.id)
    assert can(db, boss, Action.VIEW_BRANCH, child) and can(db, boss, Action.INVITE_MEMBER, someone)
    child_sec = f.secretary(db, child.id)
    assert not can(db, child_sec, Action.VIEW_BRANCH, parent)


def test_admin_of_a_parent_committee_reaches_sub_committees(db: Any, world: World) -> None:
    sub = f.committee(db, name="律师行业党委", parent_id=world.committee.id)
    branch = f.branch(db, sub.id)
    assert can(db, world.actors["admin_a"], Action.VIEW_BRANCH, branch)
    assert can(db, world.actors["admin_a"], Action.VIEW_COMMITTEE, sub)
    assert not can(db, world.actors["admin_other"], Action.VIEW_COMMITTEE, sub)


# -- through the chat channel ---------------------------------------------------------------------
CHAT: dict[Action, str] = {
    Action.INVITE_MEMBER: "邀请 目标党员",
    Action.VIEW_MEMBER: "党员 目标党员",
    Action.VIEW_BRANCH: "支部 {a}",
    Action.VIEW_COMMITTEE: "党委 {c}",
}
ALLOWED_REPLY = {
    Action.INVITE_MEMBER: "已为 目标党员 生成绑定码",
    Action.VIEW_MEMBER: "【党员信息】",
    Action.VIEW_BRANCH: "【A支部】",
    Action.VIEW_COMMITTEE: "【甲区综合党委 覆盖情况】",
}


@pytest.mark.parametrize("action", list(CHAT), ids=lambda a: a.value)
@pytest.mark.parametrize("actor", ACTORS)
def test_matrix_in_chat(db: Any, chat: Any, world: World, actor: str, action: Action, caplog: Any) -> None:
    openid = world.actors[actor].openid
    with caplog.at_level(logging.WARNING, logger="zhibu.authz"):
        reply = chat.say(openid, CHAT[action].format(a=world.a.id, c=world.committee.id))
    denials = [r for r in caplog.records if r.name == "zhibu.authz" and "denied" in r.getMessage()]
    if MATRIX[actor][action]:
        assert ALLOWED_REPLY[action] in reply
        assert not denials
    else:
        assert reply.startswith("你没有权限"), reply
        assert len(denials) == 1 and action.value in denials[0].getMessage()


def test_member_view_masks_the_phone_and_logs_the_read(db: Any, chat: Any, world: World, caplog: Any) -> None:
    with caplog.at_level(logging.INFO, logger="zhibu.personal_data"):
        reply = chat.say("o_secretary_a", "党员 目标党员")
    assert "139****5678" in reply and "13912345678" not in reply
    reads = [r.getMessage() for r in caplog.records if r.name == "zhibu.personal_data"]
    assert reads == [f"personal data read: reader={world.actors['secretary_a'].id} member={world.target.id} "
                     "fields=record"]


def test_unknown_member_is_named(chat: Any, world: World) -> None:
    assert chat.say("o_admin_a", "党委 777") == "没有找到 ID 为 777 的党委。"
    reply = chat.say("o_secretary_a", "党员 不存在的人")
    assert reply == "没有找到名叫“不存在的人”的党员，请核对姓名，或先导入支部花名册。"


# -- through the roster service -------------------------------------------------------------------
@pytest.mark.parametrize("actor", ACTORS)
def test_roster_import_and_export_ask_authz(db: Any, world: World, actor: str, tmp_path: Any, clock: Any) -> None:
    rows = [roster.RosterRow(2, {"name": "新党员", "phone": "13700001234"})]
    who = world.actors[actor]
    if MATRIX[actor][Action.IMPORT_ROSTER]:
        result = roster.import_roster(db, branch_id=world.a.id, rows=rows, now=clock(), actor=who)
        assert result.created == 1
    else:
        with pytest.raises(PermissionDenied):
            roster.import_roster(db, branch_id=world.a.id, rows=rows, now=clock(), actor=who)
    db.rollback()
    path = tmp_path / "out.xlsx"
    if MATRIX[actor][Action.EXPORT_ROSTER]:
        assert roster.export_roster(db, branch_id=world.a.id, full=True, path=path, actor=who) >= 2
    else:
        with pytest.raises(PermissionDenied):
            roster.export_roster(db, branch_id=world.a.id, full=True, path=path, actor=who)
        assert not path.exists()


def test_host_branch_reads_a_mobile_member_but_does_not_manage_them(db: Any, world: World) -> None:
    from bot.models import MobileRegistration

    mobile = f.member(db, world.a.id, name="流动党员")
    sec_b = world.actors["secretary_b"]
    assert not can(db, sec_b, Action.VIEW_MEMBER, mobile)
    db.add(MobileRegistration(member_id=mobile.id, host_branch_id=world.b.id))
    db.commit()
    assert can(db, sec_b, Action.VIEW_MEMBER, mobile)
    assert not can(db, sec_b, Action.INVITE_MEMBER, mobile)  # the home branch binds and manages
    assert can(db, world.actors["secretary_a"], Action.INVITE_MEMBER, mobile)
