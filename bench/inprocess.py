"""The cost of one webhook request inside one process: no HTTP server, no load generator, one thread.

The floor app and this app get the same signed requests through Flask's test client, one after another;
for each path the figures are the process's CPU time per request (user and system), the wall time, the
SQL statements and store round trips per request, and the voluntary context switches (each one a wait for
PostgreSQL or Redis). Nothing else runs in the process, so the ratio of CPU per request is steadier than the
throughput ratio under load; it does not count what PostgreSQL and Redis spend serving us (the load figures
in section 1 do).
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import event

from bot.devtools.synthetic import SeedResult
from bot.infra.fastpath import RawStatement
from bot.infra.store import Store

from . import floor_app
from .common import TOKEN, signed_query
from .report import Figure, Report
from .webhook import _scan, _text

SECTION = "5. One request in one process"


@dataclass
class Cost:
    wall_us: float
    user_us: float
    sys_us: float
    statements: float
    store_trips: float
    switches: float

    @property
    def cpu_us(self) -> float:
        return self.user_us + self.sys_us


def _measure(app: Flask, make_xml: Callable[[int], str], n: int, counters: dict[str, int]) -> Cost:
    client = app.test_client()
    queries = ["/wechat?" + signed_query() for _ in range(n + 200)]  # a nonce is single-use
    for i in range(min(200, n)):  # warm-up: caches, prepared statements, pools
        client.post(queries[n + i], data=make_xml(n + i).encode())
    for key in counters:
        counters[key] = 0
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for i in range(n):
        resp = client.post(queries[i], data=make_xml(i).encode())
        if resp.status_code != 200:
            raise RuntimeError(f"in-process request answered {resp.status_code}: {resp.data[:200]!r}")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    return Cost(wall / n * 1e6, (after.ru_utime - before.ru_utime) / n * 1e6,
                (after.ru_stime - before.ru_stime) / n * 1e6, counters.get("statements", 0) / n,
                counters.get("store", 0) / n, (after.ru_nvcsw - before.ru_nvcsw) / n)


def _count_io(app: Flask, counters: dict[str, int]) -> Callable[[], None]:
    """Count SQL statements and store round trips (a batch is one; so is each single call); returns the
    function that stops counting."""
    engine = app.extensions["db"].engine

    def statement(*_args: Any) -> None:
        counters["statements"] = counters.get("statements", 0) + 1

    event.listen(engine, "before_cursor_execute", statement)
    raw_execute = RawStatement.execute

    def raw(self: RawStatement, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        statement()  # statements that bypass SQLAlchemy's execution events count too
        return raw_execute(self, *args, **kwargs)

    RawStatement.execute = raw  # type: ignore[method-assign]
    store: Store = app.extensions["store"]
    inside = [False]

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            outer = not inside[0]
            if outer:
                counters["store"] = counters.get("store", 0) + 1
            inside[0] = True
            try:
                return fn(*args, **kwargs)
            finally:
                if outer:
                    inside[0] = False
        return call

    for name in ("get", "set", "delete", "incr", "run"):
        setattr(store, name, wrap(getattr(store, name)))

    def stop() -> None:
        event.remove(engine, "before_cursor_execute", statement)
        RawStatement.execute = raw_execute  # type: ignore[method-assign]
        for name in ("get", "set", "delete", "incr", "run"):
            delattr(store, name)  # the class's methods again

    return stop


def run(report: Report, backend: str, app: Flask, *, help_city: SeedResult, checkin_city: SeedResult,
        n: int) -> None:
    counters: dict[str, int] = {}
    stop_counting = _count_io(app, counters)
    floor = floor_app.create_app(TOKEN)
    base = int(time.time())

    def help_xml(i: int) -> str:
        who = f"{help_city.openid_prefix}{help_city.first_member_id + i % 1000}"
        return _text(who, "帮助", random.randrange(10**15, 10**16))

    def scan_xml(i: int) -> str:
        n_members = checkin_city.counts.get("member", 1)
        scene = checkin_city.live_scenes[(i // n_members) % len(checkin_city.live_scenes)]
        return _scan(f"{checkin_city.openid_prefix}{checkin_city.first_member_id + i % n_members}", scene,
                     base + 10**6 + i)

    for label, make_xml in (("帮助 of a bound member", help_xml), ("check-in (SCAN)", scan_xml)):
        if label.startswith("check-in") and not checkin_city.live_scenes:
            continue
        f = _measure(floor, make_xml, n, {})
        a = _measure(app, make_xml, n, counters)
        report.add(Figure(
            SECTION, backend, label,
            f"CPU {a.cpu_us:,.0f} µs (user {a.user_us:,.0f}, system {a.sys_us:,.0f}), wall {a.wall_us:,.0f} µs; "
            f"{a.statements:.1f} SQL statements, {a.store_trips:.1f} store round trips, "
            f"{a.switches:.1f} waits per request",
            ratio=f"{f.cpu_us / a.cpu_us:.2f}" if a.cpu_us else "",
            note=f"floor: CPU {f.cpu_us:,.0f} µs, wall {f.wall_us:,.0f} µs per request; {n:,} requests each"))
    stop_counting()
