"""How many messages one client may send the help desk a minute: HELPDESK_MESSAGES_PER_MINUTE.

A client is a network address on REST and the web chat (both count together, by the keyed
hash of channels/clients.py) and a chat on Telegram. Each client's count lives for a minute
from its first message. With HELPDESK_REDIS_URL the count is shared by every Rasa server (one
atomic Lua script: INCR, and EXPIRE on the first), so adding servers adds nothing to what one
client may send; without it, or while Redis does not answer, each server counts in memory.

The limit is the first brake on guessing: a stranger with a list of addresses or references
gets so many tries a minute from one address, however many conversations they open. The
limits on codes themselves (per application, per client, in total) are the actions' work.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from ats.services import services
from ats.settings import Settings
from server.lifecycle import also_close

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
MAX_CLIENTS_IN_MEMORY = 100_000  # counts older than a minute go first; this bounds the rest
REDIS_TIMEOUT_SECONDS = 0.5  # a slow Redis must not hold up every message
REDIS_RETRY_SECONDS = 10.0  # after a failure, memory counts this long before Redis is tried again
# INCR, then EXPIRE when the key is new (or, should it ever have lost its expiry, again), in
# one step: two servers cannot both see a fresh key, and no key can live for ever.
COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""

# The polite answer to a message over the limit, said once a minute in the conversation's
# language, else English: the catalogue's text under this key.
TOO_MANY = "channels.too_many_messages"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # seconds until the client's minute ends, when refused
    first_refusal: bool = False  # the first message over the limit this minute: say so once


class MessageLimit:
    """`per_minute` messages a minute per client; 0 turns the limit off."""

    def __init__(
        self, per_minute: int, redis_url: str | None = None, prefix: str = "helpdesk:messages:"
    ) -> None:
        self.per_minute = per_minute
        self.prefix = prefix
        self._memory: dict[str, tuple[int, float]] = {}  # client -> (count, minute ends)
        self._redis = (
            aioredis.Redis.from_url(
                redis_url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            )
            if redis_url
            else None
        )
        self._script = self._redis.register_script(COUNT_SCRIPT) if self._redis else None
        self._redis_failed_at: float | None = None

    @classmethod
    def of_settings(cls, settings: Settings) -> MessageLimit:
        return cls(settings.messages_per_minute, settings.servers.redis_url)

    async def take(self, client: str) -> Verdict:
        """Count one message from `client`; whether it may be answered."""
        if self.per_minute <= 0:
            return Verdict(True)
        count, seconds_left = await self._count(client)
        if count <= self.per_minute:
            return Verdict(True)
        return Verdict(
            False, max(1, math.ceil(seconds_left)), first_refusal=count == self.per_minute + 1
        )

    async def _count(self, client: str) -> tuple[int, float]:
        if self._script is not None and not self._redis_resting():
            try:
                count, ttl = await self._script(keys=[self.prefix + client], args=[WINDOW_SECONDS])
                self._redis_failed_at = None
                return int(count), float(ttl)
            except (RedisError, OSError, asyncio.TimeoutError) as error:
                if self._redis_failed_at is None:
                    logger.warning(
                        "message limit: Redis unreachable, counting in memory: %s", error
                    )
                self._redis_failed_at = time.monotonic()
        return self._count_in_memory(client)

    def _redis_resting(self) -> bool:
        failed = self._redis_failed_at
        return failed is not None and time.monotonic() - failed < REDIS_RETRY_SECONDS

    def _count_in_memory(self, client: str) -> tuple[int, float]:
        now = time.monotonic()
        count, ends = self._memory.get(client, (0, 0.0))
        if ends <= now:
            count, ends = 0, now + WINDOW_SECONDS
            self._memory.pop(client, None)  # re-inserted last: the dict stays in order of age
        self._memory[client] = (count + 1, ends)
        if len(self._memory) > MAX_CLIENTS_IN_MEMORY:
            self._forget_old(now)
        return count + 1, ends - now

    def _forget_old(self, now: float) -> None:
        """Drop finished minutes; if a flood of clients still fills memory, the oldest."""
        for client in [c for c, (_, ends) in self._memory.items() if ends <= now]:
            del self._memory[client]
        while len(self._memory) > MAX_CLIENTS_IN_MEMORY:
            del self._memory[next(iter(self._memory))]

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.close()


@lru_cache(maxsize=1)
def message_limit() -> MessageLimit:
    """The server's limit, shared by its channels (REST and the web chat count together);
    its Redis client is closed when the server stops."""
    limit = MessageLimit.of_settings(services().settings)
    also_close("the message limit's Redis client", limit.close)
    return limit
