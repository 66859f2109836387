"""公示: how long a confirmed record stays in publicity before it is final.

VOLUNTEER_PUBLICITY_LENGTH days (民发〔2015〕149号: at least 7) or, with VOLUNTEER_PUBLICITY_UNIT =
"working_days", that many Chinese working days (Fujian: at least 3). 公示 starts the day after the
confirmation and runs through `public_until` (that day included); the record is final from the next day.

Working days come from the `holidays` package, as the scheduler's quiet days (bot.services.notify.timing):
its Chinese calendar lists the statutory days off, the swapped ones (调休 "Day off (substituted from …)"),
and, in `weekend_workdays`, the weekend days that are make-up working days (e.g. 2026-09-20 and 2026-10-10
around 国庆). A working day is a weekday that is not a day off, or a make-up working weekend day. No table
of our own is kept: the package's data is the one source. HOLIDAY_COUNTRY empty: Monday to Friday.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

from bot.config import Settings

WORKING_DAYS = "working_days"


@lru_cache(maxsize=16)
def _calendar(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=[year - 1, year, year + 1])


def is_working_day(day: date, settings: Settings) -> bool:
    country = str(settings.get("HOLIDAY_COUNTRY") or "")
    if not country:
        return day.weekday() < 5
    cal = _calendar(country, day.year)
    if day in cal:
        return False
    workdays: set[date] = getattr(cal, "weekend_workdays", set())
    return day.weekday() < 5 or day in workdays


def public_until(confirmed_on: date, settings: Settings) -> date:
    """The last day of 公示 for a record confirmed on local day `confirmed_on`."""
    length = max(int(settings["VOLUNTEER_PUBLICITY_LENGTH"]), 0)
    if settings["VOLUNTEER_PUBLICITY_UNIT"] != WORKING_DAYS:
        return confirmed_on + timedelta(days=length)
    day, counted = confirmed_on, 0
    for _ in range(length * 7 + 60):  # the longest break is far shorter; the bound guards a bad calendar
        if counted >= length:
            break
        day += timedelta(days=1)
        if is_working_day(day, settings):
            counted += 1
    return day
