"""What the Rasa server closes when it stops (server/lifecycle.py), on the real services: after
Rasa's own close_resources, the lock store's Redis connections, the tracker store's PostgreSQL
connections, the kept HTTP sessions to the action server, the hand-over replay and the
process's services (their work in the background finished first)."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.tracker_store import AwaitableTrackerStore, FailSafeTrackerStore
from rasa.utils.endpoints import EndpointConfig

from ats.services import Services, services, use_services
from ats.settings import Settings
from server import rasa_speedups
from server.handovers import HandoverReplay
from server.lifecycle import also_close, closing_ours_too
from server.locks import AtomicRedisLockStore
from server.tracker_store import LeanSQLTrackerStore
from tests.server.conftest import (
    REDIS_PORT,
    postgres_connections,
    postgres_connections_become,
    redis_clients,
    redis_clients_become,
    tracker_store_options,
)


@pytest.fixture
def process_settings(settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    """The process's services, as server/rasa_server.py installs them."""
    servers = dataclasses.replace(settings.servers, spool_dir=tmp_path / "spool")
    process = dataclasses.replace(settings, servers=servers)
    use_services(Services.create(process))
    yield process
    use_services(None)


async def test_stopping_closes_everything_the_help_desk_keeps_open(
    process_settings: Settings, redis_db: int, postgres_url: str
) -> None:
    redis_before = await redis_clients(redis_db)
    lock_store = AtomicRedisLockStore(
        EndpointConfig(url="127.0.0.1", port=REDIS_PORT, db=redis_db, type="x")
    )
    application = f"test-lifecycle-{uuid.uuid4().hex[:8]}"
    tracker_store = LeanSQLTrackerStore(
        query={"application_name": application}, **tracker_store_options(postgres_url)
    )
    # wrapped as Rasa's agent has it
    agent = SimpleNamespace(
        lock_store=lock_store,
        tracker_store=FailSafeTrackerStore(AwaitableTrackerStore(tracker_store)),
    )
    async with lock_store.lock(f"conversation-{uuid.uuid4().hex}"):
        pass
    await tracker_store.latest_input_channel("a conversation")
    endpoint = EndpointConfig("http://127.0.0.1:5055/webhook")
    session = rasa_speedups.keeping_sessions(EndpointConfig.session, process_settings.servers)
    async with session(endpoint) as kept:
        assert not kept.closed
    replay = asyncio.create_task(HandoverReplay(agent, [], retry_seconds=60).loop())
    finished: list[str] = []

    async def mail_still_being_sent() -> None:
        await asyncio.sleep(0.1)
        finished.append("mail")

    services().in_background(mail_still_being_sent(), "a mail")
    assert await redis_clients(redis_db) > redis_before
    # the tracker store keeps one for writes and one in autocommit for reads
    assert postgres_connections(postgres_url, application) == 2
    rasas: list[Any] = []

    async def close_resources(app: Any, loop: Any) -> None:
        rasas.append(app)

    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))
    await closing_ours_too(close_resources, process_settings.servers)(app, None)

    assert rasas == [app]  # Rasa's own, as before
    assert await redis_clients_become(redis_db, redis_before) == redis_before
    assert await postgres_connections_become(postgres_url, application, 0) == 0
    assert kept.closed
    assert replay.cancelled()
    assert finished == ["mail"]


async def test_a_server_that_never_loaded_its_model_stops_too(process_settings: Settings) -> None:
    async def close_resources(app: Any, loop: Any) -> None:
        raise RuntimeError("Rasa's own failed")

    closed: list[str] = []

    async def work() -> None:
        closed.append("the services' work")

    async def failing() -> None:
        raise OSError("already gone")

    async def channel_client() -> None:
        closed.append("a channel's client")

    services().in_background(work(), "work")
    also_close("something that fails to close", failing)
    also_close("a channel's Redis client", channel_client)
    app = SimpleNamespace(ctx=SimpleNamespace())  # no agent: the model never loaded
    with pytest.raises(RuntimeError):
        await closing_ours_too(close_resources, process_settings.servers)(app, None)
    # one failing closer leaves none of the others open
    assert sorted(closed) == ["a channel's client", "the services' work"]
