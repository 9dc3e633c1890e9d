"""Rasa's `events` table on PostgreSQL, read and written with asyncpg on the server's event loop.

The lean SQL tracker store (server/tracker_store.py) first ran its statements with psycopg2 in
worker threads, so that a slow database could not stall the event loop. Under load that cost
a Rasa server more than the statements themselves: three hand-overs to the thread pool per
message, threads contending with the event loop for the GIL, and SQLAlchemy's execution around
each statement. asyncpg waits without blocking the loop just the same, prepares each statement
once per connection, and appends a message's events in one statement. The reads are Rasa's
SQLTrackerStore's, on Rasa's own table; the rows written are the ones it would write.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ats.asyncpg_pool import LazyPool

# an event as a row of Rasa's table: sender_id, type_name, timestamp, intent_name,
# action_name, data
EventRow = tuple[str, str, float | None, str | None, str | None, str]

_OF_SENDER = "sender_id = $1"
_SESSION_START = "(SELECT max(timestamp) FROM events WHERE sender_id = $1 AND type_name = $2)"
# the latest conversation session: from its SessionStarted on (all when there is none)
_IN_SESSION = f"({_SESSION_START} IS NULL OR timestamp >= {_SESSION_START})"
SESSION_EVENTS = f"SELECT data FROM events WHERE {_OF_SENDER} AND {_IN_SESSION} ORDER BY id"
ALL_EVENTS = f"SELECT data FROM events WHERE {_OF_SENDER} ORDER BY id"
SESSION_COUNT = f"SELECT count(*) FROM events WHERE {_OF_SENDER} AND {_IN_SESSION}"
LATEST_OF_TYPE = (
    f"SELECT data FROM events WHERE {_OF_SENDER} AND type_name = $2 ORDER BY id DESC LIMIT 1"
)
# A message's events in one statement: each a row of the arrays, inserted (and so numbered by
# the id sequence) in the arrays' order. One execution where executemany ran the INSERT once
# per event (eight for a usual message), each a Bind and Execute of its own for PostgreSQL.
INSERT = (
    "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, data) "
    "SELECT sender_id, type_name, timestamp, intent_name, action_name, data "
    "FROM unnest($1::varchar[], $2::varchar[], $3::float8[], $4::varchar[], $5::varchar[], "
    "$6::text[]) WITH ORDINALITY "
    "AS e(sender_id, type_name, timestamp, intent_name, action_name, data, position) "
    "ORDER BY position"
)


class PostgresEvents:
    """The statements of the lean SQL tracker store, on a pool opened at first use (in the
    running event loop) and closed by `close()`."""

    def __init__(self, url: sa.engine.URL, max_connections: int) -> None:
        self._pool = LazyPool(url, max_connections, "the tracker store")

    async def latest_of_type(self, sender_id: str, type_name: str) -> str | None:
        """The `data` of the conversation's latest event of `type_name`."""
        return await self._pool.once_more_if_dropped(
            lambda pool: pool.fetchval(LATEST_OF_TYPE, sender_id, type_name)
        )

    async def events(self, sender_id: str, session_type: str | None) -> list[str]:
        """The `data` of the conversation's events in order: those of its latest session
        (`session_type` names the event that starts one), or all with None."""
        if session_type is None:
            rows = await self._pool.once_more_if_dropped(
                lambda pool: pool.fetch(ALL_EVENTS, sender_id)
            )
        else:
            rows = await self._pool.once_more_if_dropped(
                lambda pool: pool.fetch(SESSION_EVENTS, sender_id, session_type)
            )
        return [row[0] for row in rows]

    async def count(self, sender_id: str, session_type: str) -> int:
        """How many events the conversation's latest session has stored."""
        count = await self._pool.once_more_if_dropped(
            lambda pool: pool.fetchval(SESSION_COUNT, sender_id, session_type)
        )
        return int(count)

    async def append(self, rows: Sequence[EventRow]) -> None:
        """Stores the rows in their order, all or none (one statement)."""
        if rows:
            columns = [list(column) for column in zip(*rows, strict=True)]
            await self._pool.once_more_if_dropped(lambda pool: pool.execute(INSERT, *columns))

    async def close(self) -> None:
        """Closes the pool (see LazyPool.close)."""
        await self._pool.close()
