"""Spooled work that survives a lost pod (server/shared_spool.py): with PostgreSQL, what one
server spooled is moved to the database and done by another after the first and its disk are
gone, in order, once; two servers never take the same row; an erasure removes what is spooled
for its conversation. With SQLite there is no shared spool: the local one is all there is."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy import update

from ats.models import SpooledWork
from ats.privacy.erasure_steps import request_tracker_erasures
from ats.privacy.keys import ErasureKeys
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow
from server.broker import SpoolingPikaEventBroker
from server.shared_spool import SharedSpool, drop_shared_spool
from server.spool import Spool, spooled_event, spooled_handover
from tests.server.test_broker import Queue, event, eventually


def handover(number: int, conversation: str = "conversation-a") -> dict:
    return {"conversation_id": conversation, "action": "action_hand_to_human", "at": number}


def shared_of(store: ATSStore, settings: Settings, kind: str = "handovers") -> SharedSpool:
    conversation = spooled_handover if kind == "handovers" else spooled_event
    shared = SharedSpool.of(store, ErasureKeys.of(settings), kind, conversation)
    if store.engine.dialect.name == "sqlite":
        assert shared is None  # one machine: the local spool is all there is
        pytest.skip("the shared spool is PostgreSQL's")
    assert shared is not None
    return shared


def pod_spool(folder: Path) -> Spool:
    return Spool(folder / "handovers")


async def test_work_spooled_by_a_pod_that_is_lost_is_done_by_another(
    store: ATSStore, settings: Settings, tmp_path: Path
) -> None:
    shared = shared_of(store, settings)
    lost = pod_spool(tmp_path / "pod-a")
    for number in range(3):
        lost.add(handover(number))
    assert await shared.ship(lost) == 3
    assert lost.count() == 0  # moved, not copied
    lost.close()
    shutil.rmtree(tmp_path / "pod-a")  # the pod and its disk are gone

    other = pod_spool(tmp_path / "pod-b")
    done: list[dict] = []

    async def run(item: dict) -> bool:
        done.append(item)
        return True

    assert await shared.do(run) == (3, True)
    assert done == [handover(n) for n in range(3)]  # in order
    assert await shared.count() == 0
    assert await shared.do(run) == (0, True)  # once
    other.close()


async def test_what_fails_waits_in_its_place_for_the_next_round(
    store: ATSStore, settings: Settings, tmp_path: Path
) -> None:
    shared = shared_of(store, settings)
    spool = pod_spool(tmp_path)
    for number in range(4):
        spool.add(handover(number))
    await shared.ship(spool)
    tried: list[int] = []

    async def fails_at_two(item: dict) -> bool:
        tried.append(item["at"])
        return item["at"] != 2

    assert await shared.do(fails_at_two) == (2, False)
    assert tried == [0, 1, 2]  # nothing after the one that failed
    done: list[int] = []

    async def run(item: dict) -> bool:
        done.append(item["at"])
        return True

    assert await shared.do(run) == (2, True)
    assert done == [2, 3]
    spool.close()


async def test_two_servers_never_take_the_same_rows(
    store: ATSStore, settings: Settings, tmp_path: Path
) -> None:
    shared = shared_of(store, settings)
    spool = pod_spool(tmp_path)
    for number in range(150):
        spool.add(handover(number))
    await shared.ship(spool)
    first, second = await asyncio.gather(shared.claim(), shared.claim())
    ids = [c.id for c in first] + [c.id for c in second]
    assert len(ids) == len(set(ids)) == 150
    # a server that died holding its claim: another takes it over once the claim has passed
    assert await shared.claim() == []
    async with store.session() as session, session.begin():
        await session.execute(
            update(SpooledWork).values(claimed_until=utcnow() - timedelta(seconds=1))
        )
    assert len(await shared.claim(limit=500)) == 150
    spool.close()


async def test_an_erasure_removes_what_is_spooled_for_its_conversation(
    store: ATSStore, settings: Settings, tmp_path: Path
) -> None:
    shared = shared_of(store, settings)
    spool = pod_spool(tmp_path)
    spool.add(handover(1, "erased-conversation"))
    spool.add(handover(2, "kept-conversation"))
    spool.add(handover(3, "idle-conversation"))
    await shared.ship(spool)
    keys = ErasureKeys.of(settings)
    async with store.session() as session, session.begin():
        await request_tracker_erasures(
            session, [keys.conversation("erased-conversation")], utcnow()
        )
    # what a Rasa server's erasure check drops (erased, or idle and never verified)
    assert await drop_shared_spool(store, [keys.conversation("idle-conversation")]) == 1
    left = [c.item["conversation_id"] for c in await shared.claim()]
    assert left == ["kept-conversation"]
    spool.close()


async def test_events_spooled_while_rabbitmq_was_away_are_published_by_another_server(
    store: ATSStore, settings: Settings, tmp_path: Path, rabbitmq, queue_name: str
) -> None:
    """The event broker end to end on the real RabbitMQ: server A spools while RabbitMQ is
    away, its spool goes to PostgreSQL, A is lost; server B publishes A's events."""
    shared = shared_of(store, settings, "events")

    async def broker(folder: Path) -> SpoolingPikaEventBroker:
        config = EndpointConfig(
            url="127.0.0.1",
            type="server.broker.SpoolingPikaEventBroker",
            port=rabbitmq.port,
            username="guest",
            password="guest",
            queues=[queue_name],
            exchange_name=f"{queue_name}-exchange",
            spool_dir=folder,
            shared=shared,
        )
        made = await SpoolingPikaEventBroker.from_endpoint_config(config)
        assert made is not None
        return made

    rabbitmq.cut()
    server_a = await broker(tmp_path / "a")
    for number in range(3):
        server_a.publish(event(number))
    await eventually(lambda: server_a.spool.count() == 3)
    async with server_a.spool.rewriting:
        assert await shared.ship(server_a.spool) == 3
    await server_a.close()
    shutil.rmtree(tmp_path / "a")

    rabbitmq.restore()
    server_b = await broker(tmp_path / "b")
    try:
        async with Queue(queue_name) as queue:
            await eventually(server_b.is_ready, timeout=60)
            assert await queue.wait_for(3, timeout=60) == [event(n) for n in range(3)]
        assert await shared.count() == 0
    finally:
        await server_b.close()
