"""A lock with a lease in the shared store, without Lua (the in-process fakeredis has no scripting).

acquire: SET key token NX PX lease. release: delete the key only if it still holds our token, checked
and deleted inside WATCH/MULTI so a holder whose lease ran out cannot delete its successor's lock.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import redis

from bot.infra.store import Store, StoreUnavailable


class StoreLease:
    def __init__(self, store: Store, name: str, lease_seconds: float) -> None:
        self.store = store
        self.key = store.k("lease:" + name)
        self.lease_ms = max(int(lease_seconds * 1000), 1)
        self.token = secrets.token_hex(8)
        self.held = False

    def acquire(self, wait: float = 0.0, poll: float = 0.05) -> bool:
        """Take the lock, waiting up to `wait` seconds; raises StoreUnavailable if the store is down."""
        deadline = time.monotonic() + wait
        while True:
            try:
                self.held = bool(self.store.client.set(self.key, self.token, nx=True, px=self.lease_ms))
            except redis.RedisError as exc:
                raise StoreUnavailable(str(exc)) from exc
            if self.held or time.monotonic() >= deadline:
                return self.held
            time.sleep(poll)

    def release(self) -> bool:
        """Give the lock back if it is still ours; returns whether it was."""
        if not self.held:
            return False
        self.held = False
        try:
            with self.store.client.pipeline() as pipe:
                try:
                    pipe.watch(self.key)
                    current: Any = pipe.get(self.key)  # immediate mode while watching
                    if current != self.token:
                        pipe.unwatch()
                        return False
                    pipe.multi()
                    pipe.delete(self.key)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    return False
        except redis.RedisError as exc:
            raise StoreUnavailable(str(exc)) from exc
