"""When a non-urgent notice may reach a phone: outside quiet hours and outside public holidays; when a
once-a-day reminder goes out, and which reminder step before a deadline a day falls in.

Holidays come from the `holidays` package (country HOLIDAY_COUNTRY, default CN). Its Chinese data lists
the statutory days off including the swapped ones (调休 "Day off (substituted from …)") and, separately,
the weekend days that become working days (`weekend_workdays`). A weekend day inside a holiday break
(e.g. the Sunday before 春节) counts as part of the break; an ordinary weekend does not hold anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from bot.config import Settings
from bot.infra.clock import at_local, local


def parse_hhmm(value: str) -> time:
    hh, _, mm = value.partition(":")
    return time(int(hh), int(mm))


def quiet_window(settings: Settings) -> tuple[time, time] | None:
    value = str(settings.get("QUIET_HOURS") or "")
    if not value:
        return None
    start, _, end = value.partition("-")
    return parse_hhmm(start), parse_hhmm(end)


def in_quiet_hours(moment: datetime, settings: Settings) -> bool:
    window = quiet_window(settings)
    if window is None:
        return False
    start, end = window
    t = local(moment, settings).time()
    if start <= end:
        return start <= t < end
    return t >= start or t < end


@lru_cache(maxsize=64)
def _calendar(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=[year - 1, year, year + 1])


def is_public_holiday(day: date, settings: Settings) -> bool:
    """A statutory day off, or a weekend day inside a break that contains one."""
    country = str(settings.get("HOLIDAY_COUNTRY") or "")
    if not country:
        return False
    cal = _calendar(country, day.year)
    if day in cal:
        return True
    if not _is_rest_day(day, cal):
        return False
    for step in (-1, 1):  # walk the run of rest days this weekend day belongs to
        probe = day + timedelta(days=step)
        for _ in range(10):
            if probe in cal:
                return True
            if not _is_rest_day(probe, cal):
                break
            probe += timedelta(days=step)
    return False


def _is_rest_day(day: date, cal: holidays.HolidayBase) -> bool:
    if day in cal:
        return True
    workdays: set[date] = getattr(cal, "weekend_workdays", set())
    return day.weekday() >= 5 and day not in workdays


def is_allowed(moment: datetime, settings: Settings) -> bool:
    """May a non-urgent notice be sent at this moment?"""
    return not in_quiet_hours(moment, settings) and not is_public_holiday(local(moment, settings).date(), settings)


def next_allowed(moment: datetime, settings: Settings) -> datetime:
    """The first moment at or after `moment` when a non-urgent notice may be sent (aware, UTC-comparable)."""
    window = quiet_window(settings)
    morning = window[1] if window else time(0, 0)
    current = local(moment, settings)
    for _ in range(60):  # the longest break is far shorter; the bound only guards a bad calendar
        if is_public_holiday(current.date(), settings):
            current = at_local(current.date() + timedelta(days=1), morning, settings)
            continue
        if in_quiet_hours(current, settings):
            day = current.date() if current.time() < morning else current.date() + timedelta(days=1)
            current = at_local(day, morning, settings)
            continue
        return current
    return current


def daily_due(now: datetime, settings: Settings) -> datetime:
    """When today's once-a-day reminder goes out: DAILY_REMINDER_TIME, or now if later, then allowed."""
    today = local(now, settings).date()
    at = at_local(today, parse_hhmm(str(settings["DAILY_REMINDER_TIME"])), settings)
    return next_allowed(max(now, at), settings)


def step_for(days_left: int, steps: Iterable[int]) -> int | None:
    """The reminder step a deadline `days_left` away falls in: the smallest step ≥ days_left."""
    for step in sorted(steps):
        if days_left <= step:
            return step
    return None


def step_ranges(steps: Iterable[int]) -> list[tuple[int, int, int]]:
    """(step, first, last) day ranges: steps (30, 7, 1) → (1, 0, 1), (7, 2, 7), (30, 8, 30)."""
    out, first = [], 0
    for step in sorted(steps):
        out.append((step, first, step))
        first = step + 1
    return out
