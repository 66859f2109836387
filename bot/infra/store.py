"""The key-value store: Redis when REDIS_URL is set, an in-process fake otherwise.

Redis is a cache and a guard, never the only copy of a fact. Every call here may raise
StoreUnavailable; callers decide how to degrade (the webhook keeps answering without it).

A short circuit breaker sits in front of the client: once Redis fails to connect or answer in time, every
call fails fast (no network) for REDIS_BREAKER_SECONDS, so a request handled while Redis is down does not
pay a socket timeout for each of its several store calls. After the pause one call probes Redis again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import fakeredis
import redis

log = logging.getLogger(__name__)

_FAKE_SERVER = fakeredis.FakeServer()  # one per process: every app in it shares the in-process store


class StoreUnavailable(RuntimeError):
    """Redis did not answer in time or refused the connection."""


class Breaker:
    """Open for `pause` seconds after a connection failure or timeout; closed again after a success."""

    def __init__(self, pause: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.pause = pause
        self.clock = clock
        self.open_until = 0.0
        self.trips = 0  # how many times it opened (for logs, health and tests)
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self.clock() < self.open_until

    def check(self) -> None:
        if self.pause > 0 and self.is_open:
            raise StoreUnavailable("store circuit open: Redis failed recently")

    def failed(self, exc: Exception) -> None:
        if self.pause <= 0:
            return
        with self._lock:
            if not self.is_open:
                self.trips += 1
                log.warning("store unreachable (%s): failing fast for %.1fs", exc, self.pause)
            self.open_until = self.clock() + self.pause

    def succeeded(self) -> None:
        if self.open_until:
            with self._lock:
                self.open_until = 0.0


@dataclass
class Batch:
    """Store operations sent together: one round trip to Redis (a pipeline, not a transaction).

    Each method returns the index of its result in what Store.run() returns.
    """

    ops: list[tuple[str, str, str | None, int | None, bool]] = field(default_factory=list)

    def set(self, key: str, value: str, *, ex: int | None = None, nx: bool = False) -> int:
        self.ops.append(("set", key, value, ex, nx))
        return len(self.ops) - 1

    def get(self, key: str) -> int:
        self.ops.append(("get", key, None, None, False))
        return len(self.ops) - 1

    def delete(self, key: str) -> int:
        self.ops.append(("delete", key, None, None, False))
        return len(self.ops) - 1

    def extend(self, other: Batch) -> None:
        self.ops.extend(other.ops)

    def __len__(self) -> int:
        return len(self.ops)


class Store:
    """A small, prefixed view of Redis with the operations the app needs."""

    def __init__(self, client: redis.Redis[str], prefix: str, breaker_seconds: float = 0.0) -> None:
        self.client = client
        self.prefix = prefix
        self.breaker = Breaker(breaker_seconds)

    def k(self, key: str) -> str:
        return self.prefix + key

    @contextmanager
    def _guard(self) -> Iterator[None]:
        self.breaker.check()
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            self.breaker.failed(exc)
            raise StoreUnavailable(str(exc)) from exc
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
        else:
            self.breaker.succeeded()

    def get(self, key: str) -> str | None:
        with self._guard():
            value = self.client.get(self.k(key))
        return None if value is None else _text(value)

    def set(self, key: str, value: str, *, ex: int | None = None, nx: bool = False) -> bool:
        """Set a value; with nx, only if absent. Returns whether it was set."""
        with self._guard():
            return bool(self.client.set(self.k(key), value, ex=ex, nx=nx))

    def delete(self, *keys: str) -> int:
        with self._guard():
            return int(self.client.delete(*(self.k(k) for k in keys)))

    def run(self, batch: Batch) -> list[Any]:
        """Every operation of the batch in one round trip; results in order (set: bool, get: str | None,
        delete: int).

        The commands go out on one pooled connection as a single packed write and their replies are read
        in order: a pipeline without the client's per-command bookkeeping (this is the webhook's hot path).
        """
        if not batch.ops:
            return []
        commands: list[tuple[Any, ...]] = []
        for op, key, value, ex, nx in batch.ops:
            if op == "set":
                args: tuple[Any, ...] = ("SET", self.k(key), value or "")
                args += (("EX", ex) if ex is not None else ()) + (("NX",) if nx else ())
                commands.append(args)
            else:
                commands.append(("GET" if op == "get" else "DEL", self.k(key)))
        with self._guard():
            raw = self._send(commands)
        out: list[Any] = []
        for (op, *_rest), value in zip(batch.ops, raw, strict=True):
            if isinstance(value, redis.ResponseError):
                raise StoreUnavailable(str(value))
            if op == "set":
                out.append(value is not None)
            elif op == "get":
                out.append(None if value is None else _text(value))
            else:
                out.append(int(value))
        return out

    def _send(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        pool = self.client.connection_pool
        conn = pool.get_connection()
        try:
            conn.send_packed_command(conn.pack_commands(commands))
            return [conn.read_response(disable_decoding=False) for _ in commands]
        except BaseException:
            conn.disconnect()  # replies may be left unread: never hand this socket out again as it is
            raise
        finally:
            pool.release(conn)

    def take(self, key: str, expected: str) -> bool:
        """Delete `key` only if it still holds `expected`, atomically: of many callers holding the same
        value, exactly one gets True (a claim). WATCH/MULTI, so it needs no Lua and works on any Redis."""
        name = self.k(key)
        with self._guard(), self.client.pipeline() as pipe:
            try:
                pipe.watch(name)
                current = pipe.get(name)
                if current is None or _text(current) != expected:
                    return False
                pipe.multi()
                pipe.delete(name)
                result = pipe.execute()
            except redis.WatchError:  # changed (taken or replaced) between our read and our delete
                return False
        return bool(result and int(result[0]))

    def incr(self, key: str, *, ex: int | None = None) -> int:
        """Increment a counter; the first increment starts its expiry window."""
        with self._guard():
            pipe = self.client.pipeline()
            pipe.incr(self.k(key))
            if ex is not None:
                pipe.expire(self.k(key), ex, nx=True)
            result = pipe.execute()
        return int(result[0])

    def ttl(self, key: str) -> int:
        with self._guard():
            return int(self.client.ttl(self.k(key)))

    def ping(self) -> bool:
        try:
            with self._guard():
                return bool(self.client.ping())
        except StoreUnavailable:
            return False

    def clear_prefix(self) -> None:
        """Delete every key under this store's prefix (tests and demo resets)."""
        with self._guard():
            for key in self.client.scan_iter(match=self.prefix + "*", count=500):
                self.client.delete(key)


class MemoryStore(Store):
    """The in-process store (REDIS_URL unset): the same API on a dict shared by the process.

    Its hot-path operations run on a plain dict under a lock, some microseconds each, instead of going
    through fakeredis's command parsing. `client` is still a fakeredis client, for what needs a Redis
    API (leases in bot.services.lease, wechatpy's token storage); those keys live in their own namespace.
    """

    _data: dict[str, tuple[str, float | None]] = {}  # noqa: RUF012 - deliberately shared by the process
    _mutex = threading.Lock()

    def _live(self, key: str, now: float) -> tuple[str, float | None] | None:
        item = self._data.get(key)
        if item is not None and item[1] is not None and item[1] <= now:
            del self._data[key]
            return None
        return item

    def get(self, key: str) -> str | None:
        with self._mutex:
            item = self._live(self.k(key), time.monotonic())
        return None if item is None else item[0]

    def set(self, key: str, value: str, *, ex: int | None = None, nx: bool = False) -> bool:
        now = time.monotonic()
        with self._mutex:
            if nx and self._live(self.k(key), now) is not None:
                return False
            self._data[self.k(key)] = (value, now + ex if ex is not None else None)
            return True

    def delete(self, *keys: str) -> int:
        with self._mutex:
            return sum(self._data.pop(self.k(k), None) is not None for k in keys)

    def take(self, key: str, expected: str) -> bool:
        with self._mutex:
            item = self._live(self.k(key), time.monotonic())
            if item is None or item[0] != expected:
                return False
            del self._data[self.k(key)]
            return True

    def run(self, batch: Batch) -> list[Any]:
        out: list[Any] = []
        for op, key, value, ex, nx in batch.ops:
            if op == "set":
                out.append(self.set(key, value or "", ex=ex, nx=nx))
            elif op == "get":
                out.append(self.get(key))
            else:
                out.append(self.delete(key))
        return out

    def incr(self, key: str, *, ex: int | None = None) -> int:
        now = time.monotonic()
        with self._mutex:
            item = self._live(self.k(key), now)
            if item is None:
                value, expires = 1, (now + ex if ex is not None else None)
            else:
                value, expires = int(item[0]) + 1, item[1]
            self._data[self.k(key)] = (str(value), expires)
            return value

    def ttl(self, key: str) -> int:
        now = time.monotonic()
        with self._mutex:
            item = self._live(self.k(key), now)
        if item is None:
            return -2
        return -1 if item[1] is None else max(round(item[1] - now), 0)

    def ping(self) -> bool:
        return True

    def clear_prefix(self) -> None:
        with self._mutex:
            for key in [k for k in self._data if k.startswith(self.prefix)]:
                del self._data[key]
        super().clear_prefix()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def make_client(url: str | None, socket_timeout: float) -> redis.Redis[str]:
    if not url:
        return fakeredis.FakeRedis(server=_FAKE_SERVER, decode_responses=True)
    return redis.Redis.from_url(
        url,
        decode_responses=True,
        socket_timeout=socket_timeout,
        socket_connect_timeout=socket_timeout,
        health_check_interval=30,
    )
