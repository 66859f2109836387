"""The store's circuit breaker: while Redis is unreachable, store calls fail fast instead of each paying
a socket timeout; one call probes again after the pause, and a success closes it."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import redis

from bot.infra.store import Store, StoreUnavailable, make_client


class FlakyClient:
    """Stands in for redis.Redis: counts the calls that reach the network, fails while `down`."""

    def __init__(self) -> None:
        self.down = False
        self.calls = 0
        self.data: dict[str, str] = {}

    def _hit(self) -> None:
        self.calls += 1
        if self.down:
            raise redis.TimeoutError("Timeout reading from socket")

    def get(self, key: str) -> str | None:
        self._hit()
        return self.data.get(key)

    def set(self, key: str, value: str, ex: Any = None, nx: bool = False) -> bool:
        self._hit()
        if nx and key in self.data:
            return False
        self.data[key] = value
        return True

    def ping(self) -> bool:
        self._hit()
        return True


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def parts() -> tuple[Store, FlakyClient, Clock]:
    client = FlakyClient()
    store = Store(client, "p:", breaker_seconds=2.0)  # type: ignore[arg-type]
    clock = Clock()
    store.breaker.clock = clock
    return store, client, clock


def test_breaker_fails_fast_while_open_and_recovers(parts: tuple[Store, FlakyClient, Clock]) -> None:
    store, client, clock = parts
    assert store.set("a", "1") is True
    client.down = True
    with pytest.raises(StoreUnavailable):
        store.get("a")
    reached = client.calls
    for _ in range(5):  # a request's several store calls: none of them touches the network
        with pytest.raises(StoreUnavailable):
            store.get("a")
    assert client.calls == reached
    assert store.ping() is False and client.calls == reached
    assert store.breaker.trips == 1

    clock.t += 2.1  # the pause is over, Redis is still down: one probe, then open again
    with pytest.raises(StoreUnavailable):
        store.get("a")
    assert client.calls == reached + 1
    with pytest.raises(StoreUnavailable):
        store.get("a")
    assert client.calls == reached + 1

    client.down = False  # Redis is back
    clock.t += 2.1
    assert store.get("a") == "1"
    assert store.get("a") == "1"
    assert client.calls == reached + 3
    assert not store.breaker.is_open


def test_other_redis_errors_do_not_open_the_breaker(parts: tuple[Store, FlakyClient, Clock]) -> None:
    store, client, _clock = parts

    def wrong_type(key: str) -> str:
        raise redis.ResponseError("WRONGTYPE")

    client.get = wrong_type  # type: ignore[method-assign]
    with pytest.raises(StoreUnavailable):
        store.get("a")
    assert not store.breaker.is_open
    assert store.set("b", "2") is True


def test_refused_connection_opens_the_breaker() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = make_client(f"redis://127.0.0.1:{port}/0", 0.2)
    store = Store(client, "p:", breaker_seconds=5.0)
    with pytest.raises(StoreUnavailable):
        store.set("k", "v", nx=True)
    assert store.breaker.is_open and store.breaker.trips == 1
    with pytest.raises(StoreUnavailable, match="circuit open"):
        store.get("k")
    client.close()
