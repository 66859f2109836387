"""The database: one engine per app, sessions per action, SQLite tuned for concurrent use."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import PoolProxiedConnection

from bot.infra.fastpath import FastRead, FastWrite, SealedAction, raw_connection


class Database:
    """Holds the engine and the session factory; kept in app.extensions['db']."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        self._writers = WriterQueue(url) if url.startswith("sqlite") else None
        # Sessions whose transaction begins at the first statement that writes (see transaction()).
        self.LazySession = sessionmaker(self.engine.execution_options(lazy_begin=True), expire_on_commit=False)
        _begin_at_first_write(self.engine, self._writers)

    @contextmanager
    def transaction(self, *, lazy: bool = False) -> Iterator[Session]:
        """One action, one transaction: commit if the block returns, roll back if it raises.

        lazy: the transaction begins at the action's first write (INSERT, UPDATE, DELETE, SAVEPOINT,
        SELECT … FOR UPDATE, anything not a plain SELECT); the reads before it run on their own, each
        seeing the latest committed data, as every statement of a PostgreSQL READ COMMITTED transaction
        does anyway. An action that only reads then costs no BEGIN and COMMIT round trips, and on SQLite
        holds no write lock; one that writes holds SQLite's write lock from its first write to its commit
        only. Everything the action writes still commits or rolls back together.
        """
        if lazy:
            try:
                with self.LazySession() as session, session.begin():
                    yield session
            finally:
                if self._writers is not None:
                    self._writers.release_lazy()
        elif not self.is_sqlite:
            with self.Session() as session, session.begin():
                yield session
        else:
            # Writers queue here (threads on a lock, processes on a file lock), each woken the moment the
            # lock is free, instead of meeting SQLite's busy handler, which sleeps in steps of up to 100 ms.
            assert self._writers is not None
            with self._writers, self.Session() as session, session.begin():
                yield session

    @contextmanager
    def action(self) -> Iterator[Unit]:
        """An action's unit of work (see Unit). Its session is opened on first use, so a message whose
        handler never asks for it (帮助 reads its sender through FastRead) creates no session and commits
        nothing; its raw statements share one pooled connection, checked out on the first of them."""
        unit = Unit(self)
        token = _CURRENT_UNIT.set(unit)
        try:
            with unit._stack:
                yield unit
        finally:
            _CURRENT_UNIT.reset(token)

    def is_busy(self, exc: BaseException) -> bool:
        """SQLite refused a write because another writer holds the lock (another host's process)."""
        text = str(getattr(exc, "orig", exc)).lower()
        return self.is_sqlite and ("database is locked" in text or "database is busy" in text)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"


def is_plain_read(sql: str) -> bool:
    """A statement that neither writes nor locks: it may run outside the action's transaction."""
    if sql.lstrip()[:6].upper() != "SELECT":
        return False
    upper = sql.upper()
    return not any(word in upper for word in (" FOR UPDATE", " FOR SHARE", " FOR NO KEY", "ADVISORY", "NEXTVAL"))


def _begin_at_first_write(engine: Engine, writers: WriterQueue | None) -> None:
    """Listeners that make a `lazy_begin` connection read in autocommit until its first write."""
    sqlite = engine.dialect.name == "sqlite"

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        if not conn.get_execution_options().get("lazy_begin"):
            return
        conn.info["lazy_pending"] = True
        if not sqlite:  # psycopg: no implicit BEGIN before the reads
            conn.connection.driver_connection.autocommit = True  # type: ignore[union-attr]

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Connection, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        if not conn.info.get("lazy_pending") or is_plain_read(statement):
            return
        unit = _CURRENT_UNIT.get()
        if unit is not None:
            unit._first_write()  # raises if the action is sealed: nothing is sent
        conn.info["lazy_pending"] = False
        driver = conn.connection.driver_connection
        if sqlite:
            assert writers is not None
            writers.acquire_lazy()
            driver.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
        else:
            driver.autocommit = False  # type: ignore[union-attr]  # psycopg sends BEGIN before this statement

    @event.listens_for(engine, "checkin")
    def _returned(driver: Any, record: Any) -> None:
        # Back in the pool: whatever the action did, the next user gets an ordinary connection.
        record.info.pop("lazy_pending", None)
        if sqlite or driver is None or driver.closed or not driver.autocommit:
            return
        try:
            driver.autocommit = False
        except engine.dialect.loaded_dbapi.Error as exc:  # a broken connection: drop it
            record.invalidate(exc)


class WriterQueue:
    """One SQLite writer at a time across the threads and processes of a host: a thread lock, then an
    flock on a file beside the database. Re-entrant within a thread."""

    def __init__(self, url: str) -> None:
        self._thread_lock = threading.RLock()
        self._lazy = threading.local()
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

    def acquire_lazy(self) -> None:
        """Take the lock for a transaction that began at its first write; release_lazy() gives it back."""
        self.__enter__()
        self._lazy.held = getattr(self._lazy, "held", 0) + 1

    def release_lazy(self) -> None:
        """Give back what acquire_lazy() took on this thread, if anything (after commit or rollback)."""
        while getattr(self._lazy, "held", 0):
            self._lazy.held -= 1
            self.__exit__()


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
    # IMMEDIATE takes the write lock up front, so two writers queue instead of failing with "database is
    # locked" when a reader upgrades. A lazy_begin connection begins at its first write instead.
    if conn.get_execution_options().get("lazy_begin"):
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE")


_CURRENT_UNIT: ContextVar[Unit | None] = ContextVar("zhibu_unit", default=None)


class Unit:
    """One action's unit of work: its session, opened on first use, in a transaction that begins at its
    first write (Database.transaction(lazy=True)), and its raw statements.

    read() runs a FastRead outside the transaction until the action has written, inside it afterwards.
    write() runs a FastWrite inside the transaction if the action has already written through its session;
    otherwise as a transaction of its own (one round trip on PostgreSQL, no BEGIN or COMMIT trips; on SQLite
    the write lock for that statement only), and the action is sealed: it may read on, but a further write
    raises SealedAction before it reaches the database, so nothing half-written can result. A check-in is
    such an action: it reads, decides, and writes one record last.
    """

    def __init__(self, db: Database | None, session: Session | None = None) -> None:
        self._db = db
        self._session = session
        self._stack = ExitStack()
        self.began = session is not None  # the session's transaction has begun: everything goes through it
        self.sealed = False
        self._raw: PoolProxiedConnection | None = None  # the raw statements' one connection

    @classmethod
    def joining(cls, session: Session) -> Unit:
        """An action around a session already in its transaction (pages, tests): its writes join it."""
        return cls(None, session)

    @property
    def engine(self) -> Engine:
        if self._db is not None:
            return self._db.engine
        assert self._session is not None
        bind = self._session.get_bind()
        assert isinstance(bind, Engine)
        return bind

    @property
    def session(self) -> Session:
        if self._session is None:
            assert self._db is not None
            self._session = self._stack.enter_context(self._db.transaction(lazy=True))
        return self._session

    def read(self, stmt: FastRead, **params: Any) -> list[tuple[Any, ...]]:
        if self.began:
            found = self.session.connection().execute(stmt.statement(self.engine.dialect.name), params)
            return [tuple(r) for r in found]
        return stmt.execute(self.engine, params, conn=self._connection())

    def _connection(self) -> PoolProxiedConnection:
        if self._raw is None:
            self._raw = raw_connection(self.engine)
            self._stack.callback(self._raw.close)
        return self._raw

    def write(self, stmt: FastWrite, **params: Any) -> list[tuple[Any, ...]]:
        if self.began:
            found = self.session.connection().execute(stmt.statement(self.engine.dialect.name), params)
            return [tuple(r) for r in found] if found.returns_rows else []
        if self.sealed:
            raise SealedAction("an action may run one FastWrite on its own, and nothing after it")
        assert self._db is not None
        rows = stmt.execute(self.engine, params, write=True, writers=self._db._writers, conn=self._connection())
        self.sealed = True
        return rows

    def _first_write(self) -> None:
        """The action's session is about to send its first write (the lazy transaction begins)."""
        if self.sealed:
            raise SealedAction("this action's FastWrite has committed: it may not write again")
        self.began = True


def added(session: Session, row: object) -> bool:
    """Add `row` and flush it in a savepoint: False if the database refused it (a unique key another writer
    took first); the rest of the action's transaction stands either way."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def insert_for(bind: Session | str) -> Any:
    """The dialect's INSERT construct (PostgreSQL or SQLite), for ON CONFLICT DO NOTHING; `bind` is a
    session or a dialect's name."""
    name = bind if isinstance(bind, str) else bind.get_bind().dialect.name
    return pg_insert if name == "postgresql" else sqlite_insert
