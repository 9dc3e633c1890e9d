"""How the help desk words a moment in the reader's language: 'Friday 27 November' or
'maandag 30 november om 17:00' (the names from the catalogue's calendar area)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from speech.catalogue import catalogue, say


def day(moment: datetime, language: str, tz: ZoneInfo) -> str:
    """'Friday 27 November' / 'vrijdag 27 november' (with the year when it is not this one)."""
    local = moment.astimezone(tz)
    days = catalogue().choices("calendar.days", language)
    months = catalogue().choices("calendar.months", language)
    text = f"{days[local.weekday()]} {local.day} {months[local.month - 1]}"
    if local.year != datetime.now(tz).year:
        text += f" {local.year}"
    return text


def day_and_time(moment: datetime, language: str, tz: ZoneInfo) -> str:
    """'Monday 30 November at 17:00' / 'maandag 30 november om 17:00'."""
    return say(
        "calendar.day_and_time",
        language,
        day=day(moment, language, tz),
        time=f"{moment.astimezone(tz):%H:%M}",
    )
