"""Webhook benchmarks: throughput against the floor app, and the check-in burst with WeChat's retries."""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
import xmltodict
from sqlalchemy import Engine, func, select

from bot.devtools.synthetic import SeedResult
from bot.models import Attendance, Meeting

from .common import WrkResult, gunicorn, signed_query, wrk
from .report import Figure, Report, verdict

SECTION = "1. Webhook throughput"
BURST = "2. Check-in burst"
P99_TARGET_MS = 50.0


def _post(session: requests.Session, base: str, xml: str) -> tuple[int, str]:
    resp = session.post(f"{base}/wechat?{signed_query()}", data=xml.encode(), timeout=15,
                        headers={"Content-Type": "text/xml"})
    if resp.status_code != 200 or resp.text == "success":
        return resp.status_code, resp.text
    return resp.status_code, str(xmltodict.parse(resp.text)["xml"].get("Content", ""))


def _text(openid: str, content: str, msgid: int) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msgid}</MsgId></xml>")


def _scan(openid: str, scene: str, create_time: int) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_bench]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[SCAN]]></Event><EventKey><![CDATA[{scene}]]></EventKey>"
            f"<Ticket><![CDATA[TICKET]]></Ticket></xml>")


def _cpu_text(r: WrkResult) -> str:
    per = {k: v for k, v in r.cpu_per_request_us().items() if v >= 0.5}
    if not per:
        return ""
    parts = ", ".join(f"{label} {us:,.0f}" for label, us in per.items())
    return f"; CPU per request {sum(per.values()):,.0f} µs ({parts})"


def _cpu_total(r: WrkResult) -> float:
    return sum(r.cpu_per_request_us().values())


def _figures(report: Report, backend: str, label: str, r: WrkResult, ratio: float | None,
             target_ratio: float | None, note: str = "") -> None:
    ok = (ratio is None or target_ratio is None or ratio >= target_ratio) and r.p99_ms < P99_TARGET_MS \
        and r.non2xx == 0 and r.socket_errors == 0
    report.add(Figure(
        SECTION, backend, label, f"{r.rps:,.0f} req/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
        f"{r.requests:,} requests, non-2xx {r.non2xx}, socket errors {r.socket_errors}{_cpu_text(r)}",
        ratio=f"{ratio:.2f}" if ratio is not None else "1.00 (floor)",
        target=(f"≥ {target_ratio} × floor, " if target_ratio else "") + f"p99 < {P99_TARGET_MS:.0f} ms, 0 non-2xx",
        verdict=verdict(ok), note=note))


ROUNDS = 3


def _combine(runs: list[WrkResult]) -> WrkResult:
    """Several runs as one: totals, the median p50 and the worst p99."""
    cpu: dict[str, float] = {}
    for r in runs:
        for label, seconds in (r.cpu or {}).items():
            cpu[label] = cpu.get(label, 0.0) + seconds
    return WrkResult(requests=sum(r.requests for r in runs), seconds=sum(r.seconds for r in runs),
                     non2xx=sum(r.non2xx for r in runs), socket_errors=sum(r.socket_errors for r in runs),
                     p50_ms=statistics.median(r.p50_ms for r in runs), p99_ms=max(r.p99_ms for r in runs),
                     cpu=cpu or None)


def _alternate(floor_base: str, app_base: str, seconds: float, args: tuple[Any, ...]
               ) -> tuple[WrkResult, WrkResult, float, list[float], float | None]:
    """Floor and app loaded in turns, ROUNDS times: the machine is shared and its speed drifts by half
    within a minute, so each app run is compared with the floor run just before it, and the median of
    those ratios is the figure. Beside it, the same comparison of CPU spent per request (app workers,
    PostgreSQL and Redis against the floor's workers): the ceiling the throughput ratio has on a machine
    whose cores are all busy."""
    floors, apps, ratios, cpu_ratios = [], [], [], []
    for _ in range(ROUNDS):
        f = wrk(floor_base, seconds, *args)
        a = wrk(app_base, seconds, *args)
        floors.append(f)
        apps.append(a)
        ratios.append(a.rps / f.rps if f.rps else 0.0)
        if _cpu_total(a) and _cpu_total(f):
            cpu_ratios.append(_cpu_total(f) / _cpu_total(a))
    cpu_ratio = statistics.median(cpu_ratios) if cpu_ratios else None
    return _combine(floors), _combine(apps), statistics.median(ratios), ratios, cpu_ratio


def _rounds(ratios: list[float], cpu_ratio: float | None) -> str:
    text = "ratios per round: " + ", ".join(f"{x:.2f}" for x in ratios)
    if cpu_ratio is not None:
        text += f"; CPU per request, floor ÷ app: {cpu_ratio:.2f}"
    return text


def run(report: Report, backend: str, env: dict[str, str], engine: Engine, *, help_city: SeedResult,
        checkin_city: SeedResult, burst_city: SeedResult, seconds: float, burst_members: int) -> None:
    n_help = 1000
    per_round = max(seconds / ROUNDS * 2, 1.0)
    text_args = ("text", help_city.openid_prefix, help_city.first_member_id, n_help)
    scan_args = ("scan", checkin_city.openid_prefix, checkin_city.first_member_id, 2000,
                 checkin_city.live_scenes or ["none"])
    with gunicorn("bench.floor_app:create_app()", {}, f"floor-{backend}") as floor_base, \
            gunicorn("bot:create_app()", env, f"app-{backend}") as base:
        session = requests.Session()
        for b in (floor_base, base):
            wrk(b, 1, *text_args)  # warm-up
        floor_text, app_help, ratio, ratios, cpu_ratio = _alternate(floor_base, base, per_round, text_args)
        rounds = _rounds(ratios, cpu_ratio)
        _figures(report, backend, "(a) floor: Flask + wechatpy echo, text", floor_text, None, None)
        _figures(report, backend, "(b) 帮助 of a bound member", app_help, ratio, 0.6, rounds)
        status, reply = _post(session, base, _text(f"{help_city.openid_prefix}{help_city.first_member_id}", "帮助",
                                                   random.randrange(10**15, 10**16)))
        if status != 200 or "您好" not in reply:
            report.note(f"{backend}: 帮助 answered {status} {reply[:80]!r}, not the member's help menu")

        scenes = checkin_city.live_scenes
        floor_scan, app_scan, ratio, ratios, cpu_ratio = _alternate(floor_base, base, per_round, scan_args)
        rounds = _rounds(ratios, cpu_ratio)
        _figures(report, backend, "(a) floor: Flask + wechatpy echo, SCAN event", floor_scan, None, None)
        _figures(report, backend, "(c) check-in (SCAN, unique events)", app_scan, ratio, 0.5, rounds)
        with engine.connect() as conn:
            written = conn.execute(select(func.count()).select_from(Attendance).join(Meeting).where(
                Meeting.checkin_scene.in_(scenes))).scalar_one()
        report.add(Figure(SECTION, backend, "(c) attendance records written", f"{written:,}",
                          note=f"{len(scenes)} meetings × 2,000 members; later scans of a pair are repeats"))
        burst(report, backend, base, engine, burst_city, burst_members)


def burst(report: Report, backend: str, base: str, engine: Engine, city: SeedResult, n: int) -> None:
    """n members scan one meeting's code within a minute; WeChat sends every scan 3 times."""
    scene = city.live_scenes[0]
    t0 = int(time.time()) - 60
    scans = [(i, _scan(f"{city.openid_prefix}{city.first_member_id + i}", scene, t0 + i * 60 // n)) for i in range(n)]
    rng = random.Random(6)
    # Copies of one scan arrive close together (WeChat retries while the first is slow), in a shuffled window.
    jobs = sorted(((i + rng.uniform(0, 24) * (copy > 0), i, xml) for i, xml in scans for copy in range(3)))
    replies: dict[int, list[str]] = defaultdict(list)
    statuses: list[int] = []

    def send(job: tuple[float, int, str]) -> tuple[int, int, str]:
        _at, i, xml = job
        if not hasattr(local, "session"):
            local.session = requests.Session()
        status, content = _post(local.session, base, xml)
        return i, status, content

    local = threading.local()
    started = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        for i, status, content in pool.map(send, jobs):
            replies[i].append(content)
            statuses.append(status)
    took = time.perf_counter() - started
    with engine.connect() as conn:
        records = conn.execute(select(func.count()).select_from(Attendance).join(Meeting).where(
            Meeting.checkin_scene == scene)).scalar_one()
    same = sum(1 for r in replies.values() if len(set(r)) == 1)
    told_ok = sum(1 for r in replies.values() if r and "签到成功" in r[0])
    non200 = sum(1 for s in statuses if s != 200)
    report.add(Figure(BURST, backend, f"{n:,} members × 3 copies", f"{records:,} records",
                      target=f"exactly {n:,}", verdict=verdict(records == n),
                      note=f"{len(jobs):,} posts in {took:.1f} s ({len(jobs) / took:,.0f}/s), non-200 {non200}"))
    report.add(Figure(BURST, backend, "retries answered with the same reply", f"{same:,} of {n:,} scans",
                      target=f"{n:,}", verdict=verdict(same == n),
                      note=f"{told_ok:,} first replies say 签到成功"))
    sample = next(iter(replies.values()), [""])
    report.note(f"{backend}: a burst reply reads {sample[0][:60]!r}")
