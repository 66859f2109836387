"""`flask --app bot seed-demo [--export PATH] [--if-empty]`: the demo and the JSON contract of DESIGN.md."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.models import (
    Attendance,
    Branch,
    Committee,
    Member,
    RectificationItem,
    ReviewReviewer,
    ReviewSubmission,
    SocialOrg,
    VolunteerRecord,
)
from bot.services.authz import Operator
from bot.services.org.structure import coverage, validate_credit_code
from tests import wxxml


@pytest.fixture
def seeded(app: Any, runner: Any, clock: Any, tmp_path: Path) -> dict[str, Any]:
    app.config["CLOCK"] = clock
    path = tmp_path / "demo.json"
    result = runner.invoke(args=["seed-demo", "--export", str(path)])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_export_follows_the_contract(seeded: dict[str, Any]) -> None:
    assert set(seeded) == {"committees", "branches", "organizations", "members", "meetings"}
    shapes = {"committees": {"id", "name"}, "branches": {"id", "name", "committee_id"},
              "organizations": {"id", "name", "branch_id"}, "members": {"openid", "name", "role", "branch_id"},
              "meetings": {"id", "branch_id", "type", "starts_at", "checkin_scene"}}
    for key, fields in shapes.items():
        assert seeded[key], key
        assert all(set(item) == fields for item in seeded[key]), key
    for m in seeded["meetings"]:
        assert datetime.fromisoformat(m["starts_at"]).tzinfo is not None


def test_demo_is_believable(db: Any, seeded: dict[str, Any]) -> None:
    branches = {b.name: b for b in db.scalars(select(Branch))}
    assert any("律师行业党委" in n for n in branches)
    joint = next(b for b in branches.values() if b.formation == "joint")
    covered = db.scalars(select(SocialOrg).where(SocialOrg.branch_id == joint.id)).all()
    assert len(covered) == 3 and all(o.full_member_count < 3 for o in covered)
    assert any(b.kind == "functional" for b in branches.values())
    for o in db.scalars(select(SocialOrg)):
        assert validate_credit_code(o.credit_code) == o.credit_code
    roles = {m["role"] for m in seeded["members"]}
    assert {"secretary", "admin", "instructor", "member"} <= roles
    bound = [m for m in seeded["members"] if m["openid"]]
    assert len(bound) >= 8 and len({m["openid"] for m in bound}) == len(bound)
    assert any(m["openid"] is None for m in seeded["members"])  # someone left to invite and bind
    phones = [p for p in db.scalars(select(Member.phone)) if p]
    assert all(p.startswith("1380013") for p in phones)  # the placeholder range, nobody's real number
    cov = coverage(db, seeded["committees"][0]["id"], actor=Operator(who="test"))
    assert cov.organizations == 6 and cov.covered == 5  # one organization is left uncovered, on purpose


def test_one_meeting_per_branch_and_exactly_one_open(seeded: dict[str, Any], clock: Any) -> None:
    meetings = seeded["meetings"]
    assert {m["branch_id"] for m in meetings} == {b["id"] for b in seeded["branches"]}
    now = clock()
    soon = [m for m in meetings
            if now <= datetime.fromisoformat(m["starts_at"]) <= now + timedelta(minutes=20)]
    assert len(soon) == 1
    others = [m for m in meetings if m not in soon]
    assert all(datetime.fromisoformat(m["starts_at"]) > now + timedelta(hours=12) for m in others)
    scenes = [m["checkin_scene"] for m in meetings]
    assert len(set(scenes)) == len(scenes) and all(0 < len(s) <= 64 for s in scenes)


def test_scanning_the_open_meeting_checks_in(db: Any, chat: Any, seeded: dict[str, Any], clock: Any) -> None:
    now = clock()
    open_meeting = next(m for m in seeded["meetings"]
                        if datetime.fromisoformat(m["starts_at"]) <= now + timedelta(minutes=20))
    attendee = next(m for m in seeded["members"] if m["branch_id"] == open_meeting["branch_id"] and m["openid"])
    reply = chat.send(wxxml.scan(attendee["openid"], open_meeting["checkin_scene"]))
    assert reply is not None and "签到" in str(reply.get("Content", ""))
    assert db.scalar(select(func.count()).select_from(Attendance)
                     .where(Attendance.meeting_id == open_meeting["id"])) == 1


def test_demo_people_can_talk(chat: Any, seeded: dict[str, Any]) -> None:
    admin = next(m for m in seeded["members"] if m["role"] == "admin")
    assert "单独组建率" in chat.say(admin["openid"], "党委")
    party_secretary = chat.say("o_demo_zhouzhengyang", "支部")
    assert party_secretary.startswith("【明湖区律师行业党委】")
    assert "还可查看：#2 明湖区正衡律师事务所党支部" in party_secretary
    assert chat.say("o_demo_linxiaofeng", "支部").startswith("【明湖区正衡律师事务所党支部】")


def test_if_empty_does_nothing_the_second_time(db: Any, runner: Any, seeded: dict[str, Any],
                                               tmp_path: Path) -> None:
    again = runner.invoke(args=["seed-demo", "--if-empty", "--export", str(tmp_path / "again.json")])
    assert again.exit_code == 0 and "跳过演示数据" in again.output
    assert db.scalar(select(func.count()).select_from(Committee)) == 1
    db.commit()  # end the read: on SQLite a transaction holds the write lock
    assert json.loads((tmp_path / "again.json").read_text(encoding="utf-8")) == seeded
    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code == 1 and "演示数据已存在" in refused.output


def test_if_empty_skips_a_database_with_real_data(db: Any, runner: Any) -> None:
    db.add(Committee(name="某区社会组织综合党委"))
    db.commit()
    result = runner.invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0 and "跳过" in result.output
    assert db.scalar(select(func.count()).select_from(Committee)) == 1


def test_the_demo_holds_a_year_of_records(db: Any, chat: Any, seeded: dict[str, Any], clock: Any) -> None:
    """述职评议, 整改, 志愿服务 and 年检 are in the demo, written through their services: each role finds
    something to act on in the simulator."""
    assert db.scalar(select(func.count()).select_from(ReviewSubmission)) == 3  # the three party branches
    assert db.scalar(select(func.count()).select_from(ReviewReviewer)) == 3
    items = list(db.scalars(select(RectificationItem).order_by(RectificationItem.id)))
    assert [(i.source, i.status) for i in items] == [("check", "pending"), ("inspection", "pending")]
    record = db.scalar(select(VolunteerRecord))
    assert record is not None and record.status == "pending" and record.hours == 3
    db.commit()
    # the secretary reports, the owner sees the item, the leader confirms, the admin reads 年检
    assert "述职" in chat.say("o_demo_linxiaofeng", "述职")
    assert "三会一课会议记录缺少参会人员签到" in chat.say("o_demo_chensiyuan", "整改")
    chat.say("o_demo_wuhaiyan", "确认全部")
    db.expire_all()
    assert db.scalar(select(VolunteerRecord.status)) == "confirmed"
    db.commit()
    assert "年检" in chat.say("o_demo_wangyaqin", "年检")
