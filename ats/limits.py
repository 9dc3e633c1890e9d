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

from sqlalchemy import case, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.db import dialect_insert
from ats.models import RateCounter


@dataclass(frozen=True)
class Taken:
    """Whether the event was within the limit, and when a refused subject is free again."""

    allowed: bool
    until: datetime | None = None


async def take(
    session: AsyncSession, subject: str, *, limit: int, window: timedelta, now: datetime
) -> Taken:
    """Count one event for `subject` if it is under `limit` in the current window."""
    expired = RateCounter.window_started_at <= now - window
    upsert = (
        dialect_insert(session.bind)(RateCounter)
        .values(subject=subject, count=1, window_started_at=now, blocked_until=None)
        .on_conflict_do_update(
            index_elements=["subject"],
            set_={
                "count": case((expired, 1), else_=RateCounter.count + 1),
                "window_started_at": case((expired, now), else_=RateCounter.window_started_at),
                "blocked_until": None,
            },
            # the row changes (and the event counts) only while the subject is free
            where=((RateCounter.blocked_until.is_(None)) | (RateCounter.blocked_until <= now))
            & (expired | (RateCounter.count < limit)),
        )
    )
    if (await session.execute(upsert)).rowcount == 1:
        return Taken(True)
    started, blocked = (
        await session.execute(
            select(RateCounter.window_started_at, RateCounter.blocked_until).where(
                RateCounter.subject == subject
            )
        )
    ).one()
    return Taken(False, blocked if blocked and blocked > now else started + window)


async def counts(session: AsyncSession, subjects: Collection[str]) -> dict[str, int]:
    """The current counts of these subjects (in the caller's transaction)."""
    rows = await session.execute(
        select(RateCounter.subject, RateCounter.count).where(RateCounter.subject.in_(subjects))
    )
    return dict(rows.all())


async def give_back(session: AsyncSession, subjects: Collection[str]) -> None:
    """Undo one `take()` of this transaction for each subject: the event did not count."""
    if subjects:
        await session.execute(
            update(RateCounter)
            .where(RateCounter.subject.in_(subjects), RateCounter.count > 0)
            .values(count=RateCounter.count - 1)
            .execution_options(synchronize_session=False)
        )


async def block(session: AsyncSession, subject: str, until: datetime) -> None:
    """Refuse every `take()` for this subject until then (a conversation locked after wrong
    codes); the count starts again afterwards."""
    await session.execute(
        update(RateCounter)
        .where(RateCounter.subject == subject)
        .values(blocked_until=until, count=0, window_started_at=until)
        .execution_options(synchronize_session=False)
    )


async def blocked_until(session: AsyncSession, subject: str, now: datetime) -> datetime | None:
    until = await session.scalar(
        select(RateCounter.blocked_until).where(RateCounter.subject == subject)
    )
    return until if until and until > now else None


async def reset(session: AsyncSession, subject: str) -> None:
    await session.execute(delete(RateCounter).where(RateCounter.subject == subject))
