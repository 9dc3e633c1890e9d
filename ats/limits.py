"""Counting attempts against limits that hold across every server: codes asked, wrong codes.

A limit is a number of events per window for one subject ("guess:application:AP-…",
"codes:client:…", "guess:total"). `take()` counts one event with a single upsert that only
changes the row while the subject is under its limit: the database's row lock (PostgreSQL) or
write lock (SQLite) makes parallel requests on several servers queue for it, so no request can
slip past the limit between reading a count and writing it. What was taken can be given back in
the same transaction (a right code is not a failure).

Use inside a transaction that writes before it reads: on SQLite, Python's driver begins the
transaction at the first write, so the first statement must be one of these.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Integer, String, bindparam, delete, select, text, update
from sqlalchemy.sql import Select, Update

from ats.direct_statements import Statements
from ats.models import RateCounter, UTCDateTime

# Written out rather than built with the dialects' insert(): SQLAlchemy 1.4 never caches an
# INSERT ... ON CONFLICT (PostgreSQL's and SQLite's Insert opt out of its statement cache), so
# every count compiled it anew, under load a tenth of an action server's time. The statement is
# the same on both databases; the row changes (and the event counts) only while the subject is
# free and under its limit, a new window starting at 1.
_TAKE = text(
    """
    INSERT INTO rate_counters (subject, count, window_started_at, blocked_until)
    VALUES (:subject, 1, :now, NULL)
    ON CONFLICT (subject) DO UPDATE SET
        count = CASE WHEN rate_counters.window_started_at <= :window_start THEN 1
                     ELSE rate_counters.count + 1 END,
        window_started_at = CASE WHEN rate_counters.window_started_at <= :window_start
                                 THEN :now ELSE rate_counters.window_started_at END,
        blocked_until = NULL
    WHERE (rate_counters.blocked_until IS NULL OR rate_counters.blocked_until <= :now)
      AND (rate_counters.window_started_at <= :window_start OR rate_counters.count < :limit)
    """
).bindparams(
    bindparam("subject", type_=String()),
    bindparam("now", type_=UTCDateTime()),
    bindparam("window_start", type_=UTCDateTime()),
    bindparam("limit", type_=Integer()),
)


# The statements run for every code asked and checked, built once (SQLAlchemy works out the
# cache key of each statement object it is given: for one built anew, about as much CPU as
# running it).
_REFUSED = select(RateCounter.window_started_at, RateCounter.blocked_until).where(
    RateCounter.subject == bindparam("subject")
)
_BLOCK = (
    update(RateCounter)
    .where(RateCounter.subject == bindparam("of_subject"))
    .values(blocked_until=bindparam("until"), count=0, window_started_at=bindparam("until"))
    .execution_options(synchronize_session=False)
)
_BLOCKED_UNTIL = select(RateCounter.blocked_until).where(
    RateCounter.subject == bindparam("subject")
)
_RESET = delete(RateCounter).where(RateCounter.subject == bindparam("subject"))


# A few subjects at a time (two to six): one statement per number of them, each built once,
# rather than an IN list that SQLAlchemy expands (and compiles) for every call.
def _subjects(subjects: Collection[str]) -> dict[str, Any]:
    return {f"subject_{n}": name for n, name in enumerate(subjects)}


@cache
def _counts_of(how_many: int) -> Select:
    named = [bindparam(f"subject_{n}") for n in range(how_many)]
    return select(RateCounter.subject, RateCounter.count).where(RateCounter.subject.in_(named))


@cache
def _give_back_of(how_many: int) -> Update:
    named = [bindparam(f"subject_{n}") for n in range(how_many)]
    return (
        update(RateCounter)
        .where(RateCounter.subject.in_(named), RateCounter.count > 0)
        .values(count=RateCounter.count - 1)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Taken:
    """Whether the event was within the limit, and when a refused subject is free again."""

    allowed: bool
    until: datetime | None = None


async def take(
    session: Statements, subject: str, *, limit: int, window: timedelta, now: datetime
) -> Taken:
    """Count one event for `subject` if it is under `limit` in the current window."""
    parameters = {"subject": subject, "now": now, "window_start": now - window, "limit": limit}
    if (await session.execute(_TAKE, parameters)).rowcount == 1:
        return Taken(True)
    started, blocked = (await session.execute(_REFUSED, {"subject": subject})).one()
    return Taken(False, blocked if blocked and blocked > now else started + window)


async def counts(session: Statements, subjects: Collection[str]) -> dict[str, int]:
    """The current counts of these subjects (in the caller's transaction)."""
    if not subjects:
        return {}
    rows = await session.execute(_counts_of(len(subjects)), _subjects(subjects))
    return {name: count for name, count in rows.all()}


async def give_back(session: Statements, subjects: Collection[str]) -> None:
    """Undo one `take()` of this transaction for each subject: the event did not count."""
    if subjects:
        await session.execute(_give_back_of(len(subjects)), _subjects(subjects))


async def block(session: Statements, subject: str, until: datetime) -> None:
    """Refuse every `take()` for this subject until then (a conversation locked after wrong
    codes); the count starts again afterwards."""
    await session.execute(_BLOCK, {"of_subject": subject, "until": until})


async def blocked_until(session: Statements, subject: str, now: datetime) -> datetime | None:
    until = await session.scalar(_BLOCKED_UNTIL, {"subject": subject})
    return until if until and until > now else None


async def reset(session: Statements, subject: str) -> None:
    await session.execute(_RESET, {"subject": subject})
