"""`flask --app bot seed-synthetic`: a consistent synthetic city, written in bulk."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.models import Attendance, Branch, Committee, Meeting, Member, RoleGrant


def test_seed_synthetic_writes_a_consistent_city(runner: Any, db: Any) -> None:
    args = ["seed-synthetic", "--committees", "2", "--branches", "5", "--members", "42",
            "--meetings-per-branch", "4", "--attendance", "100", "--upcoming-per-branch", "2"]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "branch 5" in result.output and "attendance 100" in result.output

    assert db.scalar(select(func.count()).select_from(Committee)) == 3
    assert db.scalar(select(func.count()).select_from(Branch)) == 5
    assert db.scalar(select(func.count()).select_from(Member)) == 42
    assert db.scalar(select(func.count()).select_from(Meeting)) == 5 * (4 + 2)
    assert db.scalar(select(func.count()).select_from(Attendance)) == 100
    assert db.scalar(select(func.count()).select_from(RoleGrant).where(RoleGrant.role == "secretary")) == 5
    # Every record is of a member of the meeting's own branch, once, at a past meeting.
    wrong = db.scalar(select(func.count()).select_from(Attendance).join(Meeting).join(
        Member, Member.id == Attendance.member_id).where(Member.branch_id != Meeting.branch_id))
    assert wrong == 0
    late = db.scalar(select(func.count()).select_from(Attendance).join(Meeting).where(
        Meeting.starts_at > Attendance.checked_in_at))
    assert late == 0
    # Every member is reachable by an openid the load generator can use.
    assert db.scalar(select(func.count()).select_from(Member).where(Member.openid.like("syn_o_%"))) == 42

    # A second city beside the first: ids continue, nothing collides.
    db.rollback()  # let go of SQLite's write lock
    again = runner.invoke(args=[*args[:-1], "0", "--tag", "two"])
    assert again.exit_code == 0, again.output
    assert db.scalar(select(func.count()).select_from(Branch)) == 10


def test_seed_synthetic_refuses_fewer_members_than_branches(runner: Any, db: Any) -> None:
    result = runner.invoke(args=["seed-synthetic", "--branches", "10", "--members", "3"])
    assert result.exit_code == 2
    assert "one member per branch" in result.output
    assert db.scalar(select(func.count()).select_from(Branch)) == 0
