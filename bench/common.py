"""What every benchmark needs: the machine, free ports, private services, gunicorn, wrk."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
VENV_BIN = Path(sys.executable).parent
TOKEN = "benchtoken"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "zhibu_bench"
# The production command of the README for 2 cores: 2 × cores + 1 sync workers. Every webhook request is
# short (nothing on it waits for WeChat), and one thread per process means no wait for the GIL after
# each database or Redis round trip (gthread with 2 × 4 threads measured 0.5-0.6 × this app's check-in
# throughput; docs/performance.md).
GUNICORN_ARGS = ("-w", "5", "-k", "sync")


def machine() -> dict[str, str]:
    cpu = platform.processor() or "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    return {"nproc": str(os.cpu_count()), "cpu": cpu, "memory": mem, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start; log:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.1)


def stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A private Redis on a free port, without persistence; its URL."""
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("private redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop(proc)


@contextlib.contextmanager
def pg_database(name: str = PG_BENCH_DB) -> Iterator[str]:
    """A database of our own on the shared PostgreSQL, dropped afterwards; its URL."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def sqlite_database(name: str) -> Iterator[str]:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    yield f"sqlite:///{path}"


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict[str, str], name: str) -> Iterator[str]:
    """gunicorn with the benchmark's worker settings, on a free loopback port; its base URL."""
    OUT.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = OUT / f"gunicorn-{name}.log"
    full_env = {**os.environ, "APP_MODE": "production", "SECRET_KEY": "bench-" + uuid.uuid4().hex,
                "WECHAT_TOKEN": TOKEN, "WECHAT_MAX_CLOCK_SKEW": "0", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}/",
                # Nothing on the webhook path may call the WeChat API inline: a dead address proves it.
                "WECHAT_API_BASE": "http://127.0.0.1:9/", **env}
    if "REDIS_URL" not in env:
        full_env.pop("REDIS_URL", None)
    with open(log, "wb") as fh:
        proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), *GUNICORN_ARGS, "-b", f"127.0.0.1:{port}", app_spec],
                                env=full_env, stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_http(base + "/healthz", proc, log)
            yield base
        finally:
            stop(proc)


def signed_query(timestamp: int | None = None, nonce: str | None = None) -> str:
    """A signed query with a fresh nonce: the webhook accepts each (timestamp, nonce) for one message only."""
    import hashlib
    import secrets

    nonce = nonce if nonce is not None else secrets.token_hex(8)
    ts = str(timestamp if timestamp is not None else int(time.time()))
    sig = hashlib.sha1("".join(sorted((TOKEN, ts, nonce))).encode()).hexdigest()
    return f"timestamp={ts}&nonce={nonce}&signature={sig}"


CPU_GROUPS = (("gunicorn", "app workers"), ("postgres", "PostgreSQL"), ("redis-server", "Redis"))


def cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) used so far by the processes serving a load, by group: the gunicorn
    workers, PostgreSQL's processes and Redis. The load generator (wrk) is not counted."""
    hz = os.sysconf("SC_CLK_TCK")
    out = dict.fromkeys((label for _, label in CPU_GROUPS), 0.0)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        for needle, label in CPU_GROUPS:
            if needle in cmd:
                out[label] += (int(fields[11]) + int(fields[12])) / hz
                break
    return out


@dataclass
class WrkResult:
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    cpu: dict[str, float] | None = None  # CPU seconds by process group during the run (cpu_seconds)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def cpu_per_request_us(self) -> dict[str, float]:
        """Microseconds of CPU per request, by process group."""
        if not self.cpu or not self.requests:
            return {}
        return {label: seconds / self.requests * 1e6 for label, seconds in self.cpu.items()}


def wrk(base: str, seconds: float, mode: str, prefix: str, first_id: int, n_members: int,
        scenes: list[str] | None = None, connections: int = 16) -> WrkResult:
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    now = int(time.time())
    # One signed query per request (a repeated (timestamp, nonce) is refused as a replay): more than wrk can
    # send in the run, written for load.lua to read ("@path").
    queries = OUT / f"queries-{mode}.txt"
    queries.write_text("\n".join(signed_query(now, f"{i:x}") for i in range(int(seconds * 8000) + 20000)) + "\n")
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "5s",
           "-s", str(ROOT / "bench" / "load.lua"), base + "/wechat", "--", mode, f"@{queries}", prefix,
           str(first_id), str(n_members), ",".join(scenes or ["-"]), str(now)]
    before = cpu_seconds()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    after = cpu_seconds()
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_JSON "))
    data = json.loads(line.split(" ", 1)[1])
    return WrkResult(
        requests=data["requests"], seconds=data["duration_us"] / 1e6, non2xx=data["non2xx"],
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000,
        cpu={label: max(after[label] - before[label], 0.0) for label in after},
    )
