"""The acknowledgement deadline: working days after an application, in the employer's time zone.

Weekends and the country's public holidays (Dutch by default, from the maintained `holidays`
package) are not working days. The due time keeps the wall-clock time of the application, so a
deadline across a daylight-saving change is still "the same time of day, N working days later".
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

UTC = timezone.utc


@lru_cache(maxsize=16)
def _holidays(country: str) -> holidays.HolidayBase:
    # years are filled in lazily by the library as dates are looked up
    return holidays.country_holidays(country)


def is_working_day(day: date, country: str = "NL") -> bool:
    return day.weekday() < 5 and day not in _holidays(country)


@lru_cache(maxsize=65536)
def add_working_days_to_date(start: date, working_days: int, country: str = "NL") -> date:
    """The date `working_days` working days after `start` (which need not be a working day)."""
    day = start
    remaining = working_days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day, country):
            remaining -= 1
    return day


def ack_due_at(
    applied_at: datetime, working_days: int, tz: ZoneInfo, country: str = "NL"
) -> datetime:
    """When the employer must have acknowledged an application made at `applied_at` (UTC result)."""
    if applied_at.tzinfo is None:
        raise ValueError("applied_at must carry a time zone")
    local = applied_at.astimezone(tz)
    due_day = add_working_days_to_date(local.date(), working_days, country)
    due_local = datetime.combine(due_day, local.time().replace(tzinfo=None), tzinfo=tz)
    # Round-tripping through UTC resolves a wall-clock time that DST skips or repeats.
    return due_local.astimezone(UTC)


def add_working_hours(start: datetime, hours: int, tz: ZoneInfo, country: str = "NL") -> datetime:
    """`hours` working hours (09:00-17:00 on working days) after `start`, as UTC.

    Used for respond-by times: an escalation raised on Friday evening is due Monday, not Saturday.
    """
    day_start, day_end = 9, 17
    local = start.astimezone(tz)
    remaining = timedelta(hours=hours)
    cursor = local.replace(tzinfo=None)
    while True:
        day = cursor.date()
        opens = datetime.combine(day, datetime.min.time()).replace(hour=day_start)
        closes = datetime.combine(day, datetime.min.time()).replace(hour=day_end)
        if not is_working_day(day, country) or cursor >= closes:
            cursor = datetime.combine(day + timedelta(days=1), datetime.min.time()).replace(
                hour=day_start
            )
            continue
        cursor = max(cursor, opens)
        available = closes - cursor
        if remaining <= available:
            return (cursor + remaining).replace(tzinfo=tz).astimezone(UTC)
        remaining -= available
        cursor = closes
