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

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

import asyncpg
import sqlalchemy as sa

logger = logging.getLogger(__name__)
T = TypeVar("T")

CLOSE_SECONDS = 10.0

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

# what asyncpg raises on a connection the server or the network dropped
DROPPED = (
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.ConnectionFailureError,
    asyncpg.exceptions.InterfaceError,
    ConnectionError,
)


async def _end_any_transaction(connection: asyncpg.Connection) -> None:
    """What a connection returned to the pool needs: these statements change nothing in the
    session, so asyncpg's default reset (four statements, one more round trip) is left out."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


class PostgresEvents:
    """The statements of the lean SQL tracker store, on a pool opened at first use (in the
    running event loop) and closed by `close()`."""

    def __init__(self, url: sa.engine.URL, max_connections: int) -> None:
        query = {
            key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()
        }
        # libpq's connect_timeout is not a setting asyncpg knows in a URL: it takes `timeout`
        timeout = query.pop("connect_timeout", None)
        self._connect: dict[str, Any] = {
            # the rest of the URL's options (sslmode, application_name, ...) as asyncpg reads
            # them from a URL; the parts as they are, since SQLAlchemy 1.4 leaves a password's
            # %, ? and # unescaped in a URL it renders
            "dsn": "postgresql://" + (f"?{urlencode(query)}" if query else ""),
            "host": url.host,
            "port": url.port,
            "user": url.username,
            "password": url.password,
            "database": url.database,
            "min_size": 0,
            "max_size": max(1, max_connections),
            "reset": _end_any_transaction,
        }
        if timeout:
            self._connect["timeout"] = float(timeout)
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def _connections(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(**self._connect)
        return self._pool

    async def _once_more_if_dropped(self, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
        """Runs `work`, and once more when the database had dropped the pooled connection it
        drew (a restart, a failover): cheaper than checking every connection first."""
        pool = await self._connections()
        try:
            return await work(pool)
        except DROPPED:
            logger.info("the tracker store's connection had been dropped; trying once more")
            return await work(pool)

    async def latest_of_type(self, sender_id: str, type_name: str) -> str | None:
        """The `data` of the conversation's latest event of `type_name`."""
        return await self._once_more_if_dropped(
            lambda pool: pool.fetchval(LATEST_OF_TYPE, sender_id, type_name)
        )

    async def events(self, sender_id: str, session_type: str | None) -> list[str]:
        """The `data` of the conversation's events in order: those of its latest session
        (`session_type` names the event that starts one), or all with None."""
        if session_type is None:
            rows = await self._once_more_if_dropped(lambda pool: pool.fetch(ALL_EVENTS, sender_id))
        else:
            rows = await self._once_more_if_dropped(
                lambda pool: pool.fetch(SESSION_EVENTS, sender_id, session_type)
            )
        return [row[0] for row in rows]

    async def count(self, sender_id: str, session_type: str) -> int:
        """How many events the conversation's latest session has stored."""
        count = await self._once_more_if_dropped(
            lambda pool: pool.fetchval(SESSION_COUNT, sender_id, session_type)
        )
        return int(count)

    async def append(self, rows: Sequence[EventRow]) -> None:
        """Stores the rows in their order, all or none (one statement)."""
        if rows:
            columns = [list(column) for column in zip(*rows, strict=True)]
            await self._once_more_if_dropped(lambda pool: pool.execute(INSERT, *columns))

    async def close(self) -> None:
        """Closes the pool; connections still busy after CLOSE_SECONDS (a statement stuck on
        a database that stopped answering) are cut, so that the server can stop."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), CLOSE_SECONDS)
            except asyncio.TimeoutError:
                logger.warning("the tracker store's connections did not close in time; cut")
                pool.terminate()
