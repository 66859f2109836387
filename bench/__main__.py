"""`python -m bench [--quick]`: every benchmark on SQLite and on PostgreSQL + Redis; writes docs/benchmarks.md."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text

from bot import create_app
from bot.devtools.synthetic import CitySize, SeedResult, seed_city
from bot.infra.schema import upgrade

from . import inprocess, scale, webhook
from .common import ROOT, TOKEN, machine, pg_database, redis_server, sqlite_database
from .report import Figure, Report

FULL = {
    "city": CitySize(committees=20, branches=10_000, members=150_000, meetings_per_branch=24, attendance=1_000_000,
                     upcoming_per_branch=10, rectifications=50_000),
    "small": CitySize(committees=2, branches=100, members=1_500, meetings_per_branch=24, attendance=10_000),
    "checkin": CitySize(committees=1, branches=1, members=2_000, meetings_per_branch=0, attendance=0,
                        live_per_branch=10),
    "burst": CitySize(committees=1, branches=1, members=1_000, meetings_per_branch=0, attendance=0,
                      live_per_branch=1),
    "inproc": CitySize(committees=1, branches=1, members=2_000, meetings_per_branch=0, attendance=0,
                       live_per_branch=10),
    "seconds": 10.0,
    "inproc_requests": 3_000,
}
QUICK = {
    **FULL,
    "city": replace(FULL["city"], branches=300, members=4_500, meetings_per_branch=12, attendance=30_000,
                    rectifications=1_500),  # type: ignore[type-var]
    "small": replace(FULL["small"], branches=30, members=450, attendance=3_000),  # type: ignore[type-var]
    "checkin": replace(FULL["checkin"], members=500, live_per_branch=4),  # type: ignore[type-var]
    "burst": replace(FULL["burst"], members=100),  # type: ignore[type-var]
    "seconds": 2.0,
    "inproc_requests": 500,
}
SETUP = "0. Data"


@contextlib.contextmanager
def backend_services(backend: str) -> Iterator[tuple[str, str | None]]:
    if backend == "sqlite":
        with sqlite_database("bench") as url:
            yield url, None
    else:
        with pg_database() as url, redis_server() as redis_url:
            yield url, redis_url


def run_backend(report: Report, backend: str, sizes: dict[str, object]) -> None:
    with backend_services(backend) as (url, redis_url):
        upgrade(url)
        engine = create_engine(url)
        now = datetime.now(UTC)
        cities: dict[str, SeedResult] = {}
        for name, tag in (("city", "syn"), ("small", "sml"), ("checkin", "ck"), ("burst", "bst"), ("inproc", "ip")):
            size = sizes[name]
            assert isinstance(size, CitySize)
            cities[name] = seed_city(engine, size, now, tag=tag)
            rows = ", ".join(f"{k} {v:,}" for k, v in cities[name].counts.items() if k != "role_grant")
            report.add(Figure(SETUP, backend, f"seed-synthetic {name}", f"{cities[name].seconds:.1f} s", note=rows))
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))

        env = {"DATABASE_URL": url, **({"REDIS_URL": redis_url, "REDIS_PREFIX": "bench:"} if redis_url else {})}
        burst_size = sizes["burst"]
        assert isinstance(burst_size, CitySize)
        webhook.run(report, backend, env, engine, help_city=cities["city"], checkin_city=cities["checkin"],
                    burst_city=cities["burst"], seconds=float(sizes["seconds"]),  # type: ignore[arg-type]
                    burst_members=burst_size.members)

        app = create_app({"APP_MODE": "test", "SECRET_KEY": "bench", "WECHAT_TOKEN": TOKEN, "DATABASE_URL": url,
                          "REDIS_URL": redis_url, "REDIS_PREFIX": "bench:", "WECHAT_API_BASE": "http://127.0.0.1:9/"})
        big = sizes["city"]
        small = sizes["small"]
        assert isinstance(big, CitySize) and isinstance(small, CitySize)
        scale.compliance(report, backend, app, now, big=(cities["city"].root_committee_id, big.branches),
                         small=(cities["small"].root_committee_id, small.branches))
        scale.sweeps(report, backend, app, now, upcoming=big.branches * big.upcoming_per_branch,
                     rectifications=cities["city"].counts.get("rectification_item", 0))
        inprocess.run(report, backend, app, help_city=cities["city"], checkin_city=cities["inproc"],
                      n=int(sizes["inproc_requests"]))  # type: ignore[call-overload]
        app.extensions["db"].engine.dispose()
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes and 2-second loads (a smoke run)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), action="append",
                        help="run only this backend (repeatable); default both")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    report = Report(quick=args.quick, machine=machine(), started=datetime.now(UTC))
    m = report.machine
    print(f"machine: {m['nproc']} CPUs, {m['cpu']}, {m['memory']}", flush=True)
    started = time.perf_counter()
    for backend in args.backend or ("sqlite", "postgresql"):
        run_backend(report, backend, QUICK if args.quick else FULL)
    seconds = time.perf_counter() - started
    report.write(args.output, seconds)
    missed = [f for f in report.figures if f.verdict == "MISSED"]
    print(f"wrote {args.output} ({seconds / 60:.1f} min); {len(missed)} target(s) missed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
