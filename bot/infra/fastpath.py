"""The raw fast path: Core statements compiled once and run on a pooled DBAPI connection, without
SQLAlchemy's execution machinery. Used only where the benchmark shows it pays (the webhook's sender read
and the check-in scan); an action runs them through its Unit (bot.infra.db), which keeps them atomic."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, NamedTuple

from sqlalchemy import Engine, Executable, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.dml import UpdateBase


class RawStatement:
    """A Core statement compiled once per dialect and run on a pooled DBAPI connection, without
    SQLAlchemy's execution machinery (for the webhook's per-message statements, where that machinery cost
    more than the query). Parameters pass through the columns' bind processors and results through their
    result processors, so SQLite's dates and booleans go in and come back as SQLAlchemy would have them."""

    def __init__(self, stmt: Executable | Callable[[str], Executable]) -> None:
        self._build: Callable[[str], Executable] = (lambda _dialect: stmt) if isinstance(stmt, Executable) else stmt
        self._compiled: dict[str, _Compiled] = {}

    def statement(self, dialect: str) -> Executable:
        """The Core statement for a dialect (what runs through a session when an action's transaction has
        already begun)."""
        return self._build(dialect)

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            stmt = self._build(dialect.name)
            compiled = stmt.compile(dialect=dialect)  # type: ignore[attr-defined]
            defaulted = [c.name for c in [*compiled.insert_prefetch, *compiled.update_prefetch]]
            if defaulted:  # computed by SQLAlchemy's execution context, which a raw statement skips
                raise ValueError(f"a raw statement gets no Python-side column defaults: give {defaulted} values")
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            binds = {name: proc for name, bp in compiled.binds.items()
                     if (proc := bp.type.dialect_impl(dialect).bind_processor(dialect))}
            columns = stmt.exported_columns if isinstance(stmt, Select | UpdateBase) else ()
            results = [(i, proc) for i, col in enumerate(columns)
                       if (proc := col.type.dialect_impl(dialect).result_processor(dialect, None))]
            fixed = {name: bp.effective_value for name, bp in compiled.binds.items() if not bp.required}
            found = self._compiled[dialect.name] = _Compiled(compiled.string, order, binds, bool(columns), results,
                                                             fixed)
        return found

    def execute(self, engine: Engine, params: dict[str, Any], *, write: bool = False,
                writers: AbstractContextManager[Any] | None = None,
                conn: PoolProxiedConnection | None = None) -> list[tuple[Any, ...]]:
        """Run on `conn` (a unit's) or a connection of the pool: a read in autocommit, a write as a
        transaction of its own (on SQLite under `writers`, the host's writer queue), committed before this
        returns. A dead connection is invalidated and the error says so (connection_invalidated): the
        caller may run its action again."""
        dialect = engine.dialect
        c = self.compiled(dialect)
        processed = {**c.fixed, **params}
        for name, proc in c.binds.items():
            processed[name] = proc(processed[name])
        args: Any = [processed[name] for name in c.order] if c.order is not None else processed
        own = conn is None
        if conn is None:
            conn = raw_connection(engine)
        dbapi_error = dialect.loaded_dbapi.Error
        try:
            driver: Any = conn.driver_connection
            raw: Sequence[Any]
            if dialect.name == "sqlite":
                # One statement in autocommit is its own transaction; a write waits for the host's writer
                # queue rather than SQLite's busy handler.
                with writers if write and writers is not None else contextlib.nullcontext():
                    raw = _fetch(driver.execute(c.sql, args), c.returns_rows)
            else:
                if not driver.autocommit:
                    driver.autocommit = True  # a read or a single write is its own transaction; reset at checkin
                raw = _fetch(driver.execute(c.sql, args), c.returns_rows)
        except dbapi_error as exc:
            dead = dialect.is_disconnect(exc, conn.dbapi_connection, None)
            if dead:
                conn.invalidate(exc)  # and the webhook runs the action again on a new connection
            raise DBAPIError.instance(c.sql, args, exc, dbapi_error, connection_invalidated=dead) from exc
        finally:
            if own:
                conn.close()
        if not c.results:
            return [tuple(row) for row in raw]
        out = []
        for row in raw:
            values = list(row)
            for i, proc in c.results:
                values[i] = proc(values[i])
            out.append(tuple(values))
        return out


def raw_connection(engine: Engine) -> PoolProxiedConnection:
    """A DBAPI connection from the engine's pool; a refusal is raised as SQLAlchemy's DBAPIError, so the
    webhook answers 请稍后重试."""
    dbapi_error = engine.dialect.loaded_dbapi.Error
    try:
        return engine.raw_connection()
    except dbapi_error as exc:
        raise DBAPIError.instance(None, None, exc, dbapi_error) from exc


def _fetch(cursor: Any, returns_rows: bool) -> Sequence[Any]:
    """The rows of a statement (asking the cursor whether there are any costs psycopg more than the fetch).
    On SQLite the fetch also completes the statement, which commits it in autocommit."""
    try:
        return cursor.fetchall() if returns_rows else []
    finally:
        cursor.close()


class _Compiled(NamedTuple):
    sql: str
    order: tuple[str, ...] | None  # parameter names in placeholder order (positional drivers)
    binds: dict[str, Any]  # bind processors by parameter name (parameters that need one)
    returns_rows: bool
    results: list[tuple[int, Any]]  # result processors by column index (columns that need one)
    fixed: dict[str, Any]  # the values the statement itself carries (literals), by parameter name


class FastRead(RawStatement):
    """A plain SELECT run outside any transaction, each time seeing the latest committed data (the
    sender, a scanned meeting)."""

    def rows(self, bind: Session | Engine, **params: Any) -> list[tuple[Any, ...]]:
        """Run outside any transaction (an action's Unit runs it with Unit.read instead)."""
        engine = bind.get_bind() if isinstance(bind, Session) else bind
        assert isinstance(engine, Engine)
        return self.execute(engine, params)


class FastWrite(RawStatement):
    """One writing statement (an INSERT … ON CONFLICT … RETURNING, say) that an action runs as its only
    write: see Unit.write. Built per dialect by a function of the dialect's name, for the dialects'
    own INSERT constructs."""


class SealedAction(RuntimeError):
    """An action wrote again after a FastWrite committed on its own: the two could not be atomic."""
