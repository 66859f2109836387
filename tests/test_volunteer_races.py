"""志愿服务 races: N concurrent copies of 确认志愿 / 确认全部 (the leader and the secretary at once) / 异议 / 撤销志愿
change a record once and tell its member (or confirmer) once; the others are told it is no longer pending."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.infra.clock import FrozenClock
from bot.models import Notification, VolunteerRecord, VolunteerTeam, VolunteerTeamLeader
from tests import factories as f
from tests.conftest import Chat
from tests.test_volunteer_logging import race

NOW = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def world(app: Flask, db: Session, clock: FrozenClock) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    clock.set(NOW)
    b = f.branch(db, name="阳光党支部")
    sec = f.secretary(db, b.id, name="李书记", openid="o_sec")
    lead = f.member(db, b.id, name="周队长", openid="o_lead")
    members = [f.member(db, b.id, name=f"党员{i}", openid=f"o_m{i}") for i in range(3)]
    team = VolunteerTeam(branch_id=b.id, name="先锋志愿服务队")
    db.add(team)
    db.flush()
    db.add(VolunteerTeamLeader(team_id=team.id, member_id=lead.id))
    db.commit()
    return {"b": b, "sec": sec, "lead": lead, "members": members, "team": team}


def _rows(db: Session, model: Any, *where: Any) -> list[Any]:
    found: list[Any] = list(db.scalars(select(model).where(*where).order_by(model.id)
                                       .execution_options(populate_existing=True)))
    db.commit()
    return found


def test_concurrent_confirms_confirm_once(app: Flask, chat: Chat, db: Session, world: dict[str, Any]) -> None:
    chat.say("o_m0", "志愿 3小时 社区助老 昨天")
    [rec] = _rows(db, VolunteerRecord)
    replies = race(app, "o_sec", [f"确认志愿 {rec.id}"] * 6)
    assert sum(r.startswith("已确认志愿服务记录") for r in replies) == 1
    assert sum("不是待确认状态" in r for r in replies) == 5
    assert len(_rows(db, Notification, Notification.kind == "volunteer_confirmed")) == 1


def test_the_leader_and_the_secretary_confirm_all_at_once(app: Flask, chat: Chat, db: Session,
                                                         world: dict[str, Any]) -> None:
    reply = chat.say("o_lead", "活动 昨天 社区义诊 先锋志愿服务队")
    act = int(reply.split("编号 ")[1].split("）")[0])
    for i in range(3):
        chat.say(f"o_m{i}", f"志愿 3小时 活动#{act}")
    replies: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def go(openid: str) -> None:
        barrier.wait()
        replies[openid] = Chat(app.test_client(), app).say(openid, "确认全部")

    threads = [threading.Thread(target=go, args=(o,)) for o in ("o_lead", "o_sec")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert {r.status for r in _rows(db, VolunteerRecord)} == {"confirmed"}
    assert len(_rows(db, Notification, Notification.kind == "volunteer_confirmed")) == 3
    counted = sum(int(r.split("已确认")[1].split("条")[0]) for r in replies.values() if r.startswith("已确认"))
    assert counted == 3


def test_concurrent_objections_send_back_once(app: Flask, chat: Chat, db: Session, world: dict[str, Any]) -> None:
    chat.say("o_m0", "志愿 3小时 社区助老 昨天")
    [rec] = _rows(db, VolunteerRecord)
    chat.say("o_sec", f"确认志愿 {rec.id}")
    replies = race(app, "o_m1", [f"异议 {rec.id} 当天不在{i}" for i in range(5)])
    assert sum(r.startswith("已提出异议") for r in replies) == 1
    assert sum("不在公示期内" in r for r in replies) == 4
    assert len(_rows(db, Notification, Notification.kind == "volunteer_objected")) == 1
    assert _rows(db, VolunteerRecord)[0].status == "pending"
