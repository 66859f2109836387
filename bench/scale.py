"""Scale benchmarks: the scheduler's sweeps and the compliance figures of a whole synthetic city."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event

from bot.config import settings_of
from bot.services.meetings import compliance as compliance_service
from scheduler.sweeps import ALL_SWEEPS

from .report import Figure, Report, verdict

SWEEPS = "3. Scheduler sweeps"
COMPLIANCE = "4. Compliance of a synthetic city"


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[int]]:
    box = [0]

    def count(*_args: Any) -> None:
        box[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield box
    finally:
        event.remove(engine, "before_cursor_execute", count)


def compliance(report: Report, backend: str, app: Flask, now: datetime, *, big: tuple[int, int],
               small: tuple[int, int]) -> None:
    """big/small: (root committee id, branch count). Time, statements and peak memory of one call."""
    try:
        _compliance(report, backend, app, now, big=big, small=small)
    except Exception as exc:  # the service failing must not end the whole run
        report.add(Figure(COMPLIANCE, backend, "subtree_compliance", "—", verdict="ERROR",
                          note=f"{type(exc).__name__}: {exc}"[:200]))


def _compliance(report: Report, backend: str, app: Flask, now: datetime, *, big: tuple[int, int],
                small: tuple[int, int]) -> None:
    fn = compliance_service.subtree_compliance
    db = app.extensions["db"]
    results: dict[str, tuple[float, int, int]] = {}
    with app.app_context():
        for label, (root, _n) in (("small", small), ("big", big)):
            with db.Session() as session, count_statements(db.engine) as box:
                t0 = time.perf_counter()
                fn(session, root, now, settings_of(app.config))
                seconds = time.perf_counter() - t0
                statements = box[0]
            with db.Session() as session:  # memory on a second call: tracemalloc slows the first figure
                tracemalloc.start()
                fn(session, root, now, settings_of(app.config))
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            results[label] = (seconds, statements, peak)
    (ts, qs, ms), (tb, qb, mb) = results["small"], results["big"]
    report.add(Figure(COMPLIANCE, backend, f"whole city ({big[1]:,} branches): time", f"{tb:.2f} s",
                      ratio=f"{tb / ts:.1f} × the {small[1]:,}-branch city" if ts else ""))
    report.add(Figure(COMPLIANCE, backend, "SQL statements, big vs small city", f"{qb} vs {qs}",
                      target="does not grow with branches", verdict=verdict(qb <= qs)))
    report.add(Figure(COMPLIANCE, backend, "peak Python memory (tracemalloc)", f"{mb / 2**20:.1f} MiB",
                      ratio=f"{mb / ms:.1f} × the small city" if ms else ""))


ISSUE_SWEEPS = ("meetings", "rectification")


def _sweep_functions() -> list[tuple[str, Callable[..., int]]]:
    return list(ALL_SWEEPS.items())


def sweeps(report: Report, backend: str, app: Flask, now: datetime, *, upcoming: int, rectifications: int) -> None:
    db = app.extensions["db"]
    scale = f"{upcoming:,} upcoming meetings, {rectifications:,} open rectification items"
    with app.app_context():
        for attempt in ("first pass", "second pass (nothing new)"):
            total, failed, issue_sweeps = 0.0, 0, 0.0
            for name, fn in _sweep_functions():
                t0 = time.perf_counter()
                try:
                    with db.transaction() as session:
                        written = fn(session, now, settings_of(app.config))
                except Exception as exc:  # someone else's sweep failing must not end the whole run
                    report.add(Figure(SWEEPS, backend, f"{name}, {attempt}", "—", verdict="ERROR",
                                      note=f"{type(exc).__name__}: {exc}"[:200]))
                    failed += 1
                    continue
                took = time.perf_counter() - t0
                total += took
                if name in ISSUE_SWEEPS:
                    issue_sweeps += took
                report.add(Figure(SWEEPS, backend, f"{name}, {attempt}", f"{took:.3f} s, {written:,} written"))
            report.add(Figure(SWEEPS, backend, f"meetings + rectification sweeps, {attempt}", f"{issue_sweeps:.2f} s",
                              target="< 1 s", verdict=verdict(issue_sweeps < 1.0),
                              note="the issue's figure: the sweeps over the upcoming meetings and open items"))
            report.add(Figure(SWEEPS, backend, f"all sweeps, {attempt}", f"{total:.2f} s", target="< 1 s",
                              verdict="ERROR" if failed else verdict(total < 1.0),
                              note=scale + (f"; {failed} sweep(s) failed, not counted" if failed else "")))
