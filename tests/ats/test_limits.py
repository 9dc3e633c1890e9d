"""Limits across every server (ats/limits.py), on SQLite and PostgreSQL: a subject is counted up
to its limit in a window, refused until the window ends or its block is lifted, and counted
from one again in a new window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from ats import limits
from ats.store import ATSStore

# Run as the verification runs them: in `store.transaction()`, on asyncpg itself on PostgreSQL
# (ats/direct_statements.py) and in a SQLAlchemy session on SQLite.

START = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


async def take(store: ATSStore, subject: str, at: datetime, limit: int = 3) -> limits.Taken:
    async with store.transaction() as session:
        return await limits.take(session, subject, limit=limit, window=HOUR, now=at)


async def test_counted_up_to_the_limit_then_refused_until_the_window_ends(store: ATSStore) -> None:
    taken = [await take(store, "codes:client:a", START + timedelta(minutes=n)) for n in range(5)]
    assert [t.allowed for t in taken] == [True, True, True, False, False]
    assert taken[3].until == START + HOUR  # the window began with the first
    async with store.transaction() as session:
        assert await limits.counts(session, ["codes:client:a"]) == {"codes:client:a": 3}
    # another subject is counted on its own
    assert (await take(store, "codes:client:b", START + timedelta(minutes=5))).allowed


async def test_a_new_window_counts_from_one_again(store: ATSStore) -> None:
    for n in range(3):
        await take(store, "guess:total", START + timedelta(minutes=n))
    later = START + HOUR + timedelta(minutes=1)
    assert (await take(store, "guess:total", later)).allowed
    async with store.transaction() as session:
        assert await limits.counts(session, ["guess:total"]) == {"guess:total": 1}
    assert [(await take(store, "guess:total", later)).allowed for _ in range(3)] == [
        True,
        True,
        False,
    ]
    assert (await take(store, "guess:total", later)).until == later + HOUR


async def test_a_blocked_subject_is_refused_until_its_block_ends(store: ATSStore) -> None:
    assert (await take(store, "guess:application:AP-1", START)).allowed
    until = START + timedelta(hours=24)
    async with store.transaction() as session:
        await limits.block(session, "guess:application:AP-1", until)
    refused = await take(store, "guess:application:AP-1", START + timedelta(hours=2))
    assert not refused.allowed and refused.until == until
    # after the block, a new window: counted from one, the block gone
    assert (await take(store, "guess:application:AP-1", until + timedelta(seconds=1))).allowed
    async with store.transaction() as session:
        assert await limits.blocked_until(session, "guess:application:AP-1", until) is None
        assert await limits.counts(session, ["guess:application:AP-1"]) == {
            "guess:application:AP-1": 1
        }


async def test_what_was_taken_is_given_back_together(store: ATSStore) -> None:
    """Several subjects counted and given back in one transaction (a right code is no failure),
    one already at nothing left alone."""
    subjects = ["guess:application:AP-1", "guess:application:AP-2", "guess:total"]
    async with store.transaction() as session:
        for subject in subjects:
            assert (await limits.take(session, subject, limit=3, window=HOUR, now=START)).allowed
        await limits.take(session, "guess:total", limit=3, window=HOUR, now=START)
        assert await limits.counts(session, subjects) == dict(zip(subjects, [1, 1, 2], strict=True))
        await limits.give_back(session, subjects)
        assert await limits.counts(session, subjects) == dict(zip(subjects, [0, 0, 1], strict=True))
        await limits.give_back(session, subjects[:2])
        assert await limits.counts(session, subjects) == dict(zip(subjects, [0, 0, 1], strict=True))
    async with store.transaction() as session:
        assert await limits.counts(session, [*subjects, "codes:client:x"]) == dict(
            zip(subjects, [0, 0, 1], strict=True)
        )
        assert await limits.counts(session, []) == {}
