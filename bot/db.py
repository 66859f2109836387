"""The database: one engine per app, sessions per action, SQLite tuned for concurrent use."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker


class Database:
    """Holds the engine and the session factory; kept in app.extensions['db']."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = WriterQueue(url) if url.startswith("sqlite") else None
        # SQLite only: a session whose transaction starts DEFERRED, so readers do not queue for the
        # write lock; if it then needs to write and another writer got there first, SQLite answers
        # "database is locked" and the caller retries with the default (IMMEDIATE) transaction.
        self.OptimisticSession = sessionmaker(
            self.engine.execution_options(sqlite_begin="DEFERRED"), expire_on_commit=False
        )

    @contextmanager
    def transaction(self, *, optimistic: bool = False) -> Iterator[Session]:
        """One action, one transaction: commit if the block returns, roll back if it raises.

        optimistic (SQLite): start without the write lock; see is_busy() for the retry it calls for.
        """
        if not self.is_sqlite:
            with self.Session() as session, session.begin():
                yield session
        elif optimistic:
            with self.OptimisticSession() as session, session.begin():
                yield session
        else:
            # Writers queue here (threads on a lock, processes on a file lock), each woken the moment the
            # lock is free, instead of meeting SQLite's busy handler, which sleeps in steps of up to 100 ms.
            assert self._writers is not None
            with self._writers, self.Session() as session, session.begin():
                yield session

    def is_busy(self, exc: BaseException) -> bool:
        """SQLite refused a write because another writer holds or moved past our snapshot."""
        text = str(getattr(exc, "orig", exc)).lower()
        return self.is_sqlite and ("database is locked" in text or "database is busy" in text)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


class WriterQueue:
    """One SQLite writer at a time across the threads and processes of a host: a thread lock, then an
    flock on a file beside the database. Re-entrant within a thread."""

    def __init__(self, url: str) -> None:
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0
        path = url.split("///", 1)[1] if "///" in url else ""
        self._path = path + ".writer-lock" if path and path != ":memory:" else None

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        self._depth += 1
        if self._depth == 1 and self._path:
            if self._fd is None or self._pid != os.getpid():  # a forked worker needs its own open file
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()


# A pooled connection idle for longer than this is pinged before use; a busy one is not (a ping is a
# round trip on every request). A busy connection that died with the server fails on its first statement,
# before anything is committed, and the webhook runs the action again (see webhook._run_transaction).
PING_IDLE_SECONDS = 5.0


def make_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 15, "check_same_thread": False}
    else:
        kwargs.update(pool_size=10, max_overflow=20, pool_timeout=5)
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _taken(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            if not dialect.is_disconnect(exc, dbapi_conn, None):
                raise
            alive = False
        if not alive:
            raise DisconnectionError("pooled connection is dead")  # the pool opens a new one


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy drive transactions (pysqlite's own BEGIN handling is off).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # IMMEDIATE (the default) takes the write lock up front, so two writers queue on busy_timeout
    # instead of failing with "database is locked" when a reader upgrades; DEFERRED is asked for
    # by optimistic transactions that will retry.
    mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == 'DEFERRED' else 'IMMEDIATE'}")


def insert_for(session: Session) -> Any:
    """The dialect's INSERT construct (PostgreSQL or SQLite), for ON CONFLICT DO NOTHING."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def default_sqlite_url(app: Flask) -> str:
    os.makedirs(app.instance_path, exist_ok=True)
    return "sqlite:///" + os.path.join(app.instance_path, "zhibu.sqlite3")


def init_app(app: Flask) -> Database:
    url = app.config.get("DATABASE_URL") or default_sqlite_url(app)
    app.config["DATABASE_URL"] = url
    db = Database(url)
    app.extensions["db"] = db
    return db


def get_db() -> Database:
    db: Database = current_app.extensions["db"]
    return db
