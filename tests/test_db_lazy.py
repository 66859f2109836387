"""Database.transaction(lazy=True): reads run on their own until the first write; writes still commit or
roll back together; SQLite's write lock is held from the first write to the commit only."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import bindparam, func, select, text

from bot.infra.db import Database, Unit, insert_for, is_plain_read
from bot.infra.fastpath import FastRead, FastWrite, SealedAction
from bot.models import Committee
from tests import factories as f

SH = ZoneInfo("Asia/Shanghai")


def _count(db: Database) -> int:
    with db.Session() as session:
        return int(session.scalar(select(func.count()).select_from(Committee)) or 0)


def test_writes_of_one_action_commit_together(app: Flask) -> None:
    db: Database = app.extensions["db"]
    with db.transaction(lazy=True) as session:
        assert session.scalar(select(func.count()).select_from(Committee)) == 0
        session.add_all([Committee(name="甲党委"), Committee(name="乙党委")])
        session.flush()
        assert session.scalar(select(func.count()).select_from(Committee)) == 2  # sees its own writes
    assert _count(db) == 2


def test_a_failure_after_writes_leaves_nothing(app: Flask) -> None:
    db: Database = app.extensions["db"]
    with pytest.raises(RuntimeError), db.transaction(lazy=True) as session:
        session.scalar(select(func.count()).select_from(Committee))
        session.add(Committee(name="甲党委"))
        session.flush()
        session.add(Committee(name="乙党委"))
        session.flush()
        raise RuntimeError("the handler failed after two writes")
    assert _count(db) == 0


def test_a_read_only_action_holds_no_write_lock(app: Flask) -> None:
    """While a lazy action has only read, another writer goes ahead; once it writes, others wait."""
    db: Database = app.extensions["db"]
    other_done = threading.Event()

    def other_writer(name: str) -> None:
        with db.transaction() as session:
            session.add(Committee(name=name))
        other_done.set()

    with db.transaction(lazy=True) as session:
        session.scalar(select(func.count()).select_from(Committee))
        thread = threading.Thread(target=other_writer, args=("别的党委",))
        thread.start()
        assert other_done.wait(10), "a writer waited for an action that had only read"
        thread.join()
        session.add(Committee(name="本党委"))
        session.flush()
        if db.is_sqlite:  # from the first write on, SQLite's writers queue behind this action
            blocked = threading.Event()

            def late_writer() -> None:
                blocked.set()
                other_writer("后来的党委")

            late = threading.Thread(target=late_writer)
            other_done.clear()
            late.start()
            blocked.wait(5)
            assert not other_done.wait(0.3), "a second writer got in while this action held the write lock"
    if db.is_sqlite:
        late.join(10)
        assert other_done.is_set()
    assert _count(db) == (3 if db.is_sqlite else 2)


def test_connections_return_to_ordinary_transactions(app: Flask) -> None:
    """After a lazy action, the pooled connection runs an ordinary transaction that still rolls back."""
    db: Database = app.extensions["db"]
    for _ in range(3):
        with db.transaction(lazy=True) as session:
            session.execute(text("SELECT 1"))
    with pytest.raises(RuntimeError), db.transaction() as session:
        session.add(Committee(name="甲党委"))
        session.flush()
        raise RuntimeError("rolled back")
    assert _count(db) == 0


def test_a_lock_taking_select_begins_the_transaction(app: Flask, db: Any) -> None:
    committee = f.committee(db)
    database: Database = app.extensions["db"]
    with database.transaction(lazy=True) as session:
        row = session.execute(select(Committee).where(Committee.id == committee.id).with_for_update()).scalar_one()
        row.name = "改名党委"
    db.expire_all()
    assert db.get(Committee, committee.id).name == "改名党委"


@pytest.mark.parametrize(("sql", "plain"), [
    ("SELECT id FROM member WHERE openid = ?", True),
    ("  select 1", True),
    ("SELECT id FROM meeting WHERE id = 1 FOR UPDATE", False),
    ("SELECT pg_advisory_xact_lock(7)", False),
    ("INSERT INTO attendance (meeting_id) VALUES (1)", False),
    ("UPDATE meeting SET status = 'cancelled'", False),
    ("WITH x AS (DELETE FROM bind_code RETURNING id) SELECT * FROM x", False),
    ("SAVEPOINT sa_savepoint_1", False),
])
def test_which_statements_may_run_before_the_transaction(sql: str, plain: bool) -> None:
    assert is_plain_read(sql) is plain


def test_fast_reads_return_what_sqlalchemy_returns(app: Flask, db: Any) -> None:
    """FastRead skips SQLAlchemy's execution machinery, not its types: dates come back aware, booleans
    as booleans, NULLs as None, on SQLite and PostgreSQL alike."""
    from datetime import UTC, datetime

    from sqlalchemy import bindparam

    from bot.infra.fastpath import FastRead
    from bot.models import Meeting, Member

    branch = f.branch(db)
    f.member(db, branch.id, name="张三", openid="o_fast", is_committee_member=True)
    f.meeting(db, branch.id, datetime(2026, 12, 2, 11, 30, tzinfo=UTC), checkin_scene="fast_scene")
    stmt = (select(Meeting.id, Meeting.starts_at, Meeting.group_id, Member.name, Member.is_committee_member,
                   Member.active)
            .select_from(Meeting).outerjoin(Member, Member.openid == bindparam("openid"))
            .where(Meeting.checkin_scene == bindparam("scene")))
    fast = FastRead(stmt)
    database: Database = app.extensions["db"]
    with database.transaction(lazy=True) as session:
        for openid in ("o_fast", "o_nobody"):
            expected = [tuple(r) for r in session.execute(stmt, {"scene": "fast_scene", "openid": openid})]
            got = fast.rows(session, scene="fast_scene", openid=openid)
            assert got == expected
            assert all(type(a) is type(b) for a, b in zip(got[0], expected[0], strict=True))
        assert got[0][3:] == (None, None, None)  # nobody bound to that openid
        assert fast.rows(session, scene="no such scene", openid="o_fast") == []
        assert fast.rows(session, scene="fast_scene", openid="o_fast")[0][1] == datetime(2026, 12, 2, 11, 30,
                                                                                            tzinfo=UTC)


# -- Unit: an action's raw statements ------------------------------------------------------------------

_ADD_COMMITTEE = FastWrite(lambda dialect: insert_for(dialect)(Committee).values(
    name=bindparam("name"), kind="comprehensive", created_at=func.now()).returning(Committee.id, Committee.created_at))
_COMMITTEE_NAMED = FastRead(select(Committee.id, Committee.created_at).where(Committee.name == bindparam("name")))


def test_a_unit_whose_only_write_is_a_fast_write_commits_it_alone_and_is_sealed(app: Flask) -> None:
    db: Database = app.extensions["db"]
    with pytest.raises(SealedAction), db.action() as unit:
        assert unit.read(_COMMITTEE_NAMED, name="甲党委") == []
        (new_id, created), = unit.write(_ADD_COMMITTEE, name="甲党委")
        assert unit.read(_COMMITTEE_NAMED, name="甲党委") == [(new_id, created)]  # reads go on
        unit.session.scalar(select(func.count()).select_from(Committee))  # so does the session's
        unit.session.add(Committee(name="乙党委"))
        unit.session.flush()  # a second write could not be atomic with the first: refused before it is sent
    assert _count(db) == 1  # the fast write committed on its own; the refused one never reached the database
    with pytest.raises(SealedAction), db.action() as unit:
        unit.write(_ADD_COMMITTEE, name="丙党委")
        unit.write(_ADD_COMMITTEE, name="丁党委")
    assert _count(db) == 2


def test_a_fast_write_after_the_session_wrote_joins_its_transaction(app: Flask) -> None:
    db: Database = app.extensions["db"]
    with pytest.raises(RuntimeError), db.action() as unit:
        unit.session.add(Committee(name="甲党委"))
        unit.session.flush()
        unit.write(_ADD_COMMITTEE, name="乙党委")
        assert unit.read(_COMMITTEE_NAMED, name="乙党委") != []  # the transaction sees its own write
        raise RuntimeError("the handler failed after both writes")
    assert _count(db) == 0  # rolled back together
    with db.transaction() as session:
        unit = Unit.joining(session)
        unit.write(_ADD_COMMITTEE, name="丙党委")
        assert unit.read(_COMMITTEE_NAMED, name="丙党委") != []
    assert _count(db) == 1


def test_fast_writes_convert_parameters_as_sqlalchemy_does(app: Flask, db: Any) -> None:
    """Aware datetimes go in as naive UTC, booleans as the column stores them, on both databases: what a
    FastWrite stored reads back through the ORM as the same values."""
    from bot.models import Attendance, Meeting

    branch = f.branch(db)
    member = f.member(db, branch.id, name="张三")
    meeting = f.meeting(db, branch.id, datetime(2026, 12, 2, 19, 30, tzinfo=SH))
    ids = (meeting.id, member.id)
    database: Database = app.extensions["db"]
    at = datetime(2026, 12, 2, 19, 41, 7, 123456, tzinfo=SH)
    add = FastWrite(lambda dialect: insert_for(dialect)(Attendance).values(
        meeting_id=bindparam("meeting_id"), member_id=bindparam("member_id"), checked_in_at=bindparam("at"),
        late=bindparam("late"), channel=bindparam("channel")).returning(Attendance.id, Attendance.checked_in_at))
    with database.action() as unit:
        (att_id, returned_at), = unit.write(add, meeting_id=ids[0], member_id=ids[1], at=at, late=True, channel="scan")
    assert returned_at == at and returned_at.tzinfo is not None
    with pytest.raises(ValueError, match="Python-side column defaults"), database.action() as unit:  # created_at, kind
        unit.write(FastWrite(insert_for("sqlite")(Committee).values(name=bindparam("name"))), name="戊党委")
    with database.Session() as session:
        stored = session.get(Attendance, att_id)
        assert stored is not None and stored.checked_in_at == at and stored.late is True
        assert session.get(Meeting, ids[0]) is not None
