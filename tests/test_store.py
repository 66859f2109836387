"""The store's API, on the in-process store and (with TEST_REDIS_URL) on Redis: same answers."""

from __future__ import annotations

import time

from flask import Flask

from bot.infra.store import Batch, Store


def test_set_nx_get_delete(app: Flask) -> None:
    store: Store = app.extensions["store"]
    assert store.set("a", "1", nx=True, ex=60) is True
    assert store.set("a", "2", nx=True, ex=60) is False
    assert store.get("a") == "1"
    assert store.set("a", "3") is True and store.get("a") == "3"
    assert store.delete("a", "missing") == 1
    assert store.get("a") is None


def test_expiry_and_ttl(app: Flask) -> None:
    store: Store = app.extensions["store"]
    store.set("short", "x", ex=1)
    assert store.ttl("short") in (0, 1)
    assert store.ttl("never-set") == -2
    store.set("forever", "y")
    assert store.ttl("forever") == -1
    time.sleep(1.1)
    assert store.get("short") is None
    assert store.set("short", "again", nx=True) is True


def test_incr_starts_its_window_once(app: Flask) -> None:
    store: Store = app.extensions["store"]
    assert [store.incr("tries", ex=600) for _ in range(3)] == [1, 2, 3]
    assert 590 <= store.ttl("tries") <= 600


def test_prefixes_isolate_apps(app: Flask) -> None:
    store: Store = app.extensions["store"]
    other = type(store)(store.client, store.prefix + "other:")
    store.set("k", "mine")
    assert other.get("k") is None
    store.clear_prefix()
    assert store.get("k") is None


def test_batch_runs_in_order_with_each_result(app: Flask) -> None:
    store: Store = app.extensions["store"]
    store.set("taken", "old")
    batch = Batch()
    claim = batch.set("taken", "new", nx=True, ex=60)
    fresh = batch.set("fresh", "v", nx=True, ex=60)
    read = batch.get("taken")
    gone = batch.delete("fresh")
    missing = batch.get("fresh")
    results = store.run(batch)
    assert (results[claim], results[fresh], results[read], results[gone], results[missing]) == \
        (False, True, "old", 1, None)
    assert store.run(Batch()) == []
