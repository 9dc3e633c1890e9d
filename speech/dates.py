"""How the help desk words a moment in the reader's language: 'Friday 27 November' or
'maandag 30 november om 17:00' (the names from the catalogue's calendar area), and how long
until a moment: 'within 3 hours' ('binnen 3 uur')."""

from __future__ import annotations

import math
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


def within(moment: datetime, now: datetime, language: str) -> str | None:
    """How long until `moment`, rounded up: 'an hour', '3 hours', '2 days' ('een uur',
    '3 uur', '2 dagen'); None when it has passed."""
    left = (moment - now).total_seconds()
    if left <= 0:
        return None
    hours = math.ceil(left / 3600)
    if hours <= 1:
        return say("conversation.within.hour", language)
    if hours < 24:
        return say("conversation.within.hours", language, count=hours)
    days = math.ceil(hours / 24)
    if days == 1:
        return say("conversation.within.day", language)
    return say("conversation.within.days", language, count=days)
