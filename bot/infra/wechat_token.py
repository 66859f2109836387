"""One access_token for every process, kept in the shared store and refreshed by one lock holder.

WeChat keeps one valid token per account: a process that fetched its own would invalidate everyone
else's. So the token lives in the Store; a process that finds it missing or within
TOKEN_REFRESH_MARGIN of expiry takes the `wx_token` lock, looks again (another holder may have just
refreshed it), and only then asks cgi-bin/stable_token. A call answered 40001/42001 reports the bad
token here: if the store already holds a newer one it is used, else the token is fetched again
(force_refresh only when the normal fetch hands back the same rejected token). If the store is down,
the process falls back to a token of its own, which is correct but may cost an extra refresh.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

from bot.infra.lease import StoreLease
from bot.infra.store import Store, StoreUnavailable

log = logging.getLogger("zhibu.wechat_token")

KEY = "wx:access_token"
LOCK = "wx_token"
TOKEN_ERRORS = (40001, 40014, 42001)  # invalid credential, invalid token, token expired

Fetch = Callable[[bool], tuple[str, int]]  # force_refresh -> (token, expires_in seconds)


class TokenUnavailable(RuntimeError):
    """No token could be obtained (the lock could not be taken and nothing usable is cached)."""


class SharedToken:
    def __init__(self, store: Store, fetch: Fetch, *, margin: int = 300,
                 clock: Callable[[], float] = time.time, lock_wait: float = 10.0) -> None:
        self.store = store
        self.fetch = fetch
        self.margin = margin
        self.clock = clock
        self.lock_wait = lock_wait
        self._own: tuple[str, float] | None = None  # used only while the store is down

    def _read(self) -> tuple[str, float] | None:
        raw = self.store.get(KEY)
        if not raw:
            return None
        data: dict[str, Any] = json.loads(raw)
        return str(data["token"]), float(data["expires_at"])

    def _write(self, token: str, expires_in: int) -> tuple[str, float]:
        expires_at = self.clock() + expires_in
        self.store.set(KEY, json.dumps({"token": token, "expires_at": expires_at}), ex=max(expires_in, 1))
        return token, expires_at

    def _fresh(self, cached: tuple[str, float] | None) -> bool:
        return cached is not None and cached[1] - self.clock() > self.margin

    def get(self) -> str:
        """A token that is good for at least `margin` more seconds."""
        try:
            cached = self._read()
            if cached is not None and self._fresh(cached):
                return cached[0]
            return self._refresh(rejected=None)
        except StoreUnavailable:
            return self._own_token(rejected=None)

    def invalidate(self, rejected: str) -> str:
        """WeChat refused `rejected`: return a token it should accept."""
        try:
            return self._refresh(rejected=rejected)
        except StoreUnavailable:
            return self._own_token(rejected=rejected)

    def _refresh(self, rejected: str | None) -> str:
        lock = StoreLease(self.store, LOCK, 30)
        if not lock.acquire(wait=self.lock_wait):
            cached = self._read()
            if cached is not None and cached[0] != rejected and cached[1] > self.clock():
                return cached[0]
            raise TokenUnavailable("access_token lock busy and no usable token cached")
        try:
            cached = self._read()
            if cached is not None and cached[0] != rejected and self._fresh(cached):
                return cached[0]  # another process refreshed it while we waited
            token, expires_in = self.fetch(False)
            if rejected is not None and token == rejected:
                token, expires_in = self.fetch(True)
            log.info("access_token refreshed (expires in %ss)", expires_in)
            return self._write(token, expires_in)[0]
        finally:
            try:
                if not lock.release():
                    log.warning("access_token lock lease ran out before release")
            except StoreUnavailable:  # the store went away: the lease expires by itself
                log.warning("access_token lock not released: store unavailable")

    def _own_token(self, rejected: str | None) -> str:
        log.warning("store unavailable: using a process-local access_token")
        if self._own is not None and self._own[0] != rejected and self._own[1] - self.clock() > self.margin:
            return self._own[0]
        token, expires_in = self.fetch(rejected is not None)
        self._own = (token, self.clock() + expires_in)
        return token
