"""An asyncpg pool opened from a SQLAlchemy URL at first use, for statements run on asyncpg
directly: the Rasa servers' events (server/pg_events.py) and the ATS reads of every message
(ats/direct_reads.py).

SQLAlchemy's AsyncConnection costs more CPU around a statement than the statement costs on
asyncpg itself: a pool checkout and check-in with their events, greenlet hand-overs, an
execution context. Where the same few statements run for every message, they run here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import asyncpg
from sqlalchemy.engine import URL

logger = logging.getLogger(__name__)
T = TypeVar("T")

CLOSE_SECONDS = 10.0

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


def connect_arguments(url: URL, max_connections: int) -> dict[str, Any]:
    """asyncpg.create_pool's arguments for a SQLAlchemy URL of PostgreSQL."""
    query = {
        key: value if isinstance(value, str) else value[-1] for key, value in url.query.items()
    }
    # libpq's connect_timeout is not a setting asyncpg knows in a URL: it takes `timeout`
    timeout = query.pop("connect_timeout", None)
    arguments: dict[str, Any] = {
        # the rest of the URL's options (sslmode, application_name, ...) as asyncpg reads them
        # from a URL; the parts as they are, since SQLAlchemy 1.4 leaves a password's %, ? and #
        # unescaped in a URL it renders
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
        arguments["timeout"] = float(timeout)
    return arguments


class LazyPool:
    """A pool opened at first use (in the running event loop) and closed by `close()`."""

    def __init__(self, url: URL, max_connections: int, name: str) -> None:
        self._connect = connect_arguments(url, max_connections)
        self._name = name
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def connections(self) -> asyncpg.Pool:
        """The pool, opened now if it is not open yet."""
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    self._pool = await asyncpg.create_pool(**self._connect)
        return self._pool

    async def once_more_if_dropped(self, work: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
        """Runs `work`, and once more when the database had dropped the pooled connection it
        drew (a restart, a failover): cheaper than checking every connection first. Only for
        work that may be repeated."""
        pool = await self.connections()
        try:
            return await work(pool)
        except DROPPED:
            logger.info("%s: a pooled connection had been dropped; trying once more", self._name)
            return await work(pool)

    async def close(self) -> None:
        """Closes the pool; connections still busy after CLOSE_SECONDS (a statement stuck on
        a database that stopped answering) are cut, so that the process can stop."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), CLOSE_SECONDS)
            except asyncio.TimeoutError:
                logger.warning("%s: connections did not close in time; cut", self._name)
                pool.terminate()
