"""One conversation, one message at a time, across every Rasa server: a Redis lock store.

Rasa 3.6's RedisLockStore hands out tickets by reading a lock object from Redis, adding a
ticket and writing it back; two servers doing that at the same moment both get the first
ticket, handle the same conversation at once and lose a message (seen in
tests/production/test_topology.py). It also polls once a second. This store takes the lock with
Redis' atomic SET NX (redis-py's `Lock`, with an owner token and an expiry, so that a server
that dies cannot hold a conversation for longer than LOCK_LIFETIME), polling every 10 ms. Its
connections are closed when the server stops (server/lifecycle.py).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig
from redis import asyncio as aioredis
from redis.exceptions import LockError as RedisLockError

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.01


class AtomicRedisLockStore(LockStore):
    """Configured like Rasa's `redis` lock store: url, port, db, password, use_ssl, key_prefix."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options: dict[str, Any] = endpoint_config.kwargs
        self.key_prefix = f"{options.get('key_prefix') or 'rasa'}:conversation-lock:"
        self.red = aioredis.Redis(
            host=endpoint_config.url or "localhost",
            port=int(options.get("port") or 6379),
            db=int(options.get("db") or 0),
            password=options.get("password") or None,
            ssl=bool(options.get("use_ssl")),
            socket_timeout=float(options.get("socket_timeout") or 10),
            socket_connect_timeout=3,
        )

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncGenerator[Any, None]:
        lock = self.red.lock(
            self.key_prefix + conversation_id,
            timeout=lock_lifetime,
            sleep=POLL_SECONDS,
            blocking_timeout=lock_lifetime,
        )
        if not await lock.acquire():
            # the conversation's id stays out of errors and logs: a web chat's is a bearer secret
            raise LockError(f"a conversation stayed locked for {lock_lifetime} s")
        try:
            yield lock
        finally:
            try:
                await lock.release()
            except RedisLockError:
                # it expired while the message was handled; another server may own it now
                logger.warning("a conversation's lock had expired before it was released")

    async def ping(self) -> bool:
        return bool(await self.red.ping())

    async def close(self) -> None:
        """Closes the connections to Redis (the server stops)."""
        await self.red.close()
        await self.red.connection_pool.disconnect()

    # Rasa's ticket interface, unused by this store
    def get_lock(self, conversation_id: str) -> None:
        return None

    def delete_lock(self, conversation_id: str) -> None:
        return None

    def save_lock(self, lock: Any) -> None:
        return None
