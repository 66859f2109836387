"""Running sweeps and the dispatcher: once (`--once`, cron, tests) or forever under APScheduler.

Only one process sweeps at a time: on PostgreSQL a session advisory lock (released by the server
when the holder's connection ends, so a killed scheduler cannot keep it), elsewhere a Store lock with
a lease of SWEEP_LEASE seconds. The outbox keys make an overlap harmless anyway; the lock only
saves the work. The dispatcher needs no lock: its claims are row leases.
"""

from __future__ import annotations

import logging
import signal
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy import text

from bot.config import settings_of
from bot.infra import clock
from bot.infra.lease import StoreLease
from bot.infra.store import StoreUnavailable
from bot.infra.wechat import media_fetcher
from bot.services import attachments
from bot.services.meetings import minutes
from scheduler.dispatcher import dispatch_due
from scheduler.sweeps import ALL_SWEEPS

log = logging.getLogger("zhibu.scheduler")

SWEEP_LEASE = 600  # seconds a Store-locked sweep may run before another scheduler may take over
MAX_DISPATCH_ROUNDS = 20  # --once drains the due rows, up to this many batches
# How often each sweep runs in the long-lived scheduler (seconds); the sweeps themselves decide what
# is due, so the cadence only bounds how late a reminder can be written.
SWEEP_EVERY = {"meetings": 60, "leave": 300, "compliance": 3600, "review": 900, "rectification": 900,
               "inspection": 3600, "volunteer": 900, "digest": 300}
MEDIA_RETRY_EVERY = 600  # seconds between tries at minutes photos whose download from WeChat failed


@contextmanager
def sweep_lock(app: Flask, name: str) -> Iterator[bool]:
    """Yields whether this process holds the sweep lock `name`; never blocks."""
    db = app.extensions["db"]
    if not db.is_sqlite:
        key = zlib.crc32(f"zhibu:sweep:{name}".encode()) & 0x7FFFFFFF
        with db.engine.connect() as conn:
            held = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield held
            finally:
                if held:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
        return
    lock = StoreLease(app.extensions["store"], f"sweep:{name}", SWEEP_LEASE)
    try:
        held = lock.acquire()
    except StoreUnavailable:
        log.warning("store unavailable: sweep %s runs unlocked (the outbox keys still prevent doubles)", name)
        yield True
        return
    try:
        yield held
    finally:
        if held:
            try:
                if not lock.release():
                    log.warning("sweep lock %s: lease ran out before release", name)
            except StoreUnavailable:
                log.warning("sweep lock %s not released: store unavailable (its lease will run out)", name)


def run_sweep(app: Flask, name: str, now: datetime) -> int | None:
    """Run one sweep in its own transaction under its lock; None if another process holds it."""
    with sweep_lock(app, name) as held:
        if not held:
            return None
        with app.extensions["db"].transaction() as session:
            written = ALL_SWEEPS[name](session, now, settings_of(app.config))
    if written:
        log.info("sweep %s wrote %s notices", name, written)
    return written


def retry_media(app: Flask, now: datetime) -> int | None:
    """Photos of minutes whose download failed, tried again while WeChat still keeps them; None if another
    scheduler is at it."""
    with sweep_lock(app, "media") as held:
        if not held:
            return None
        source = media_fetcher()
        fetched = minutes.fetch_missing(source, now=now) + attachments.fetch_missing(source, now=now)
    if fetched:
        log.info("fetched %s photos (minutes, reports, evidence) that had failed before", fetched)
    return fetched


def run_once(app: Flask, now: datetime | None = None) -> dict[str, Any]:
    """Every sweep, then the dispatcher until nothing due is left; returns what each did."""
    with app.app_context():
        now = now or clock.now(settings_of(app.config))
        result: dict[str, Any] = {}
        for name in ALL_SWEEPS:
            try:
                result[name] = run_sweep(app, name, now)
            except Exception:  # one broken sweep must not stop the others or the dispatcher
                log.exception("sweep %s failed", name)
                result[name] = "error"
        try:
            result["media"] = retry_media(app, now)
        except Exception:
            log.exception("media retry failed")
            result["media"] = "error"
        totals: dict[str, int] = {}
        limit = int(app.config["DISPATCH_BATCH"])
        for _ in range(MAX_DISPATCH_ROUNDS):
            counts = dispatch_due(app, now, settings_of(app.config), limit)
            for k, v in counts.items():
                totals[k] = totals.get(k, 0) + v
            if not counts.get("claimed"):  # a batch may enqueue fallbacks: go again until none is due
                break
        result["dispatch"] = totals
        return result


def serve(app: Flask) -> None:
    """The long-lived scheduler: APScheduler 3 BlockingScheduler, jobs in code, memory job store."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    tz = clock.local_tz(settings_of(app.config))
    sched = BlockingScheduler(timezone=tz, job_defaults={"coalesce": True, "max_instances": 1,
                                                         "misfire_grace_time": 60})

    def sweep_job(name: str) -> None:
        with app.app_context():
            try:
                run_sweep(app, name, clock.now(settings_of(app.config)))
            except Exception:
                log.exception("sweep %s failed", name)

    def media_job() -> None:
        with app.app_context():
            try:
                retry_media(app, clock.now(settings_of(app.config)))
            except Exception:
                log.exception("media retry failed")

    def dispatch_job() -> None:
        with app.app_context():
            try:
                dispatch_due(app, clock.now(settings_of(app.config)), settings_of(app.config))
            except Exception:
                log.exception("dispatch failed")

    start = datetime.now(tz)
    for name in ALL_SWEEPS:
        sched.add_job(sweep_job, "interval", args=[name], id=f"sweep_{name}", replace_existing=True,
                      seconds=SWEEP_EVERY.get(name, int(app.config["SWEEP_INTERVAL"])), next_run_time=start)
    sched.add_job(media_job, "interval", id="media", replace_existing=True, seconds=MEDIA_RETRY_EVERY,
                  next_run_time=start)
    sched.add_job(dispatch_job, "interval", id="dispatch", replace_existing=True,
                  seconds=int(app.config["DISPATCH_INTERVAL"]), next_run_time=start)

    def stop(signum: int, _frame: Any) -> None:
        log.info("signal %s: scheduler stopping", signum)
        sched.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    log.info("scheduler started (%s jobs, zone %s)", len(sched.get_jobs()), tz)
    with suppress(KeyboardInterrupt, SystemExit):
        sched.start()
