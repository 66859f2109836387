"""The app's clock and its one notion of local time: the real or a controllable now, the configured zone,
and the few ways a moment is written for people (every channel shows times alike)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.config import Settings

Clock = Callable[[], datetime]
DEFAULT_TZ = "Asia/Shanghai"
WEEKDAYS = "一二三四五六日"


def system_clock() -> datetime:
    return datetime.now(UTC)


def now(settings: Settings) -> datetime:
    """Aware UTC now, from settings['CLOCK'] when a test or a command set one (a FrozenClock), else the
    system's. Channels call this (bot.infra.web.now for the app in context) and hand the moment to
    services, which never read the wall clock themselves."""
    clock: Clock | None = settings.get("CLOCK")
    return clock() if clock is not None else system_clock()


# -- the local zone ------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def local_tz(settings: Settings) -> tzinfo:
    """The configured zone (settings['TZ'], Asia/Shanghai by default)."""
    return zone(str(settings.get("TZ") or DEFAULT_TZ))


def local(moment: datetime, settings: Settings) -> datetime:
    return moment.astimezone(local_tz(settings))


def today(moment: datetime, settings: Settings) -> date:
    return local(moment, settings).date()


def at_local(day: date, clock_time: time, settings: Settings) -> datetime:
    """An aware moment: `clock_time` on `day` in the configured zone."""
    return datetime.combine(day, clock_time, tzinfo=local_tz(settings))


# -- how people read a moment ---------------------------------------------------------------------
def fmt_when(moment: datetime, settings: Settings, *, year: bool = True) -> str:
    """2026年12月2日（周三）19:30 (year=False: 12月2日（周三）19:30), in local time."""
    t = local(moment, settings)
    day = f"{t.month}月{t.day}日（周{WEEKDAYS[t.weekday()]}）{t:%H:%M}"
    return f"{t.year}年{day}" if year else day


def fmt_short(moment: datetime, settings: Settings) -> str:
    """12月2日19:30, in local time (reminders, where space is short)."""
    t = local(moment, settings)
    return f"{t.month}月{t.day}日{t:%H:%M}"


def fmt_day(day: date) -> str:
    """12月2日."""
    return f"{day.month}月{day.day}日"


def fmt_stamp(moment: datetime, settings: Settings) -> str:
    """2026-12-02 19:28, in local time."""
    return local(moment, settings).strftime("%Y-%m-%d %H:%M")


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
        self.current = self.current + timedelta(**delta)
        return self.current
