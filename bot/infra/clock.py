"""The app's clock: real time, or a controllable one that tests and the scheduler's --once set."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def now() -> datetime:
    """Aware UTC now, from app.config['CLOCK'] when a test or a command set one."""
    if has_app_context():
        clock: Clock | None = current_app.config.get("CLOCK")
        if clock is not None:
            return clock()
    return system_clock()


def local_tz() -> tzinfo:
    name = current_app.config["TZ"] if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(local_tz())


class FrozenClock:
    """A clock that stands still until moved; callable like system_clock."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self.current = start

    def __call__(self) -> datetime:
        return self.current.astimezone(UTC)

    def set(self, moment: datetime) -> None:
        self.current = moment

    def advance(self, **delta: float) -> datetime:
        from datetime import timedelta

        self.current = self.current + timedelta(**delta)
        return self.current
