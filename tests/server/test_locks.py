"""The atomic Redis lock store (server/locks.py) on the real Redis: one message of a conversation
at a time across Rasa servers, a dead server's lock expires, and only its owner releases it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager

import pytest
from rasa.core.lock_store import LockError
from rasa.utils.endpoints import EndpointConfig
from redis import asyncio as aioredis

from server.locks import AtomicRedisLockStore
from tests.server.conftest import REDIS_PORT, redis_clients, redis_clients_become


@pytest.fixture
async def servers(redis_db: int) -> AsyncIterator[tuple[AtomicRedisLockStore, ...]]:
    """Three Rasa servers' lock stores, each with its own Redis connections, as the endpoints
    file configures them (server/endpoints.py), under a key prefix of this test's own."""
    prefix = f"test-locks-{uuid.uuid4().hex[:8]}"
    stores = tuple(
        AtomicRedisLockStore(
            EndpointConfig(
                url="127.0.0.1", port=REDIS_PORT, db=redis_db, key_prefix=prefix, type="x"
            )
        )
        for _ in range(3)
    )
    yield stores
    async for key in stores[0].red.scan_iter(f"{prefix}:*"):
        await stores[0].red.delete(key)
    for store in stores:
        await store.close()


async def test_messages_of_one_conversation_are_handled_one_at_a_time_across_servers(
    servers: tuple[AtomicRedisLockStore, ...], redis_db: int
) -> None:
    # Each message reads the conversation, works on it and writes it back, as Rasa does with
    # the tracker: without a lock that excludes the others, messages overwrite each other.
    conversation = f"conversation-{uuid.uuid4().hex}"
    tracker = aioredis.Redis(port=REDIS_PORT, db=redis_db)
    key = f"test-locks-tracker-{conversation}"
    await tracker.set(key, 0)
    inside = 0
    most_inside = 0

    async def handle_message(store: AtomicRedisLockStore) -> None:
        nonlocal inside, most_inside
        async with store.lock(conversation):
            inside += 1
            most_inside = max(most_inside, inside)
            messages = int(await tracker.get(key))
            await asyncio.sleep(0.005)  # the NLU and the action server
            await tracker.set(key, messages + 1)
            inside -= 1

    try:
        await asyncio.gather(*(handle_message(servers[i % 3]) for i in range(30)))
        assert int(await tracker.get(key)) == 30  # no message lost
        assert most_inside == 1
    finally:
        await tracker.delete(key)
        await tracker.close()


async def test_other_conversations_are_not_held_up(
    servers: tuple[AtomicRedisLockStore, ...],
) -> None:
    first, second = servers[:2]
    async with first.lock("conversation-a", lock_lifetime=10):
        started = time.monotonic()
        async with second.lock("conversation-b", lock_lifetime=10):
            assert time.monotonic() - started < 0.5


async def test_a_dead_servers_lock_expires(servers: tuple[AtomicRedisLockStore, ...]) -> None:
    dead, alive = servers[:2]
    # the server dies with the conversation locked: the lock is never released (kept in a
    # variable: a lock context dropped would be closed, and released, by the garbage collector)
    dead_servers_lock = dead.lock("conversation", lock_lifetime=0.5)
    await dead_servers_lock.__aenter__()
    started = time.monotonic()
    async with alive.lock("conversation", lock_lifetime=5):
        waited = time.monotonic() - started
    assert 0.3 < waited < 3
    assert dead_servers_lock is not None


async def test_a_conversation_locked_for_too_long_is_refused_with_rasas_lock_error(
    servers: tuple[AtomicRedisLockStore, ...],
) -> None:
    holder, waiting = servers[:2]
    async with holder.lock("conversation", lock_lifetime=10):
        with pytest.raises(LockError) as refused:
            async with waiting.lock("conversation", lock_lifetime=0.3):
                pytest.fail("the lock was given to two servers")
    assert "conversation" in str(refused.value) and "locked" in str(refused.value)


async def test_only_the_owner_releases_a_lock(servers: tuple[AtomicRedisLockStore, ...]) -> None:
    slow, next_server, third = servers
    slow_lock: AbstractAsyncContextManager = slow.lock("conversation", lock_lifetime=0.3)
    await slow_lock.__aenter__()
    await asyncio.sleep(0.5)  # the slow server's lock expired while it worked
    async with next_server.lock("conversation", lock_lifetime=10):
        # the slow server finishes now: its release must not free the next server's lock
        await slow_lock.__aexit__(None, None, None)
        with pytest.raises(LockError):
            async with third.lock("conversation", lock_lifetime=0.3):
                pytest.fail("the slow server released a lock it no longer owned")
    # released by its owner, the conversation is free again
    started = time.monotonic()
    async with third.lock("conversation", lock_lifetime=10):
        assert time.monotonic() - started < 0.5


async def test_closing_the_store_closes_its_connections_to_redis(redis_db: int) -> None:
    before = await redis_clients(redis_db)
    store = AtomicRedisLockStore(
        EndpointConfig(url="127.0.0.1", port=REDIS_PORT, db=redis_db, type="x")
    )
    async with store.lock(f"conversation-{uuid.uuid4().hex}"):
        assert await redis_clients(redis_db) > before
    await store.close()
    assert await redis_clients_become(redis_db, before) == before
