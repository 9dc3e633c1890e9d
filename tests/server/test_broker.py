"""The spooling event broker (server/broker.py, server/spool.py) on the real RabbitMQ: events
published; while RabbitMQ is away, spooled to a file only the help desk can read; published in
their order when it is back; and a stopped process's spool taken over."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import stat
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aio_pika
import pytest
from rasa.utils.endpoints import EndpointConfig

from server.broker import SpoolingPikaEventBroker
from tests.production.proxy import TcpProxy
from tests.server.conftest import RABBITMQ_PORT

MakeBroker = Callable[..., Awaitable[SpoolingPikaEventBroker]]


async def eventually(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time given"
        await asyncio.sleep(0.05)


def event(number: int) -> dict:
    return {"sender_id": "conversation", "event": "user", "text": f"message {number}"}


class Queue:
    """The events' queue, read straight from RabbitMQ (not through the proxy)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.received: list[dict] = []

    async def __aenter__(self) -> Queue:
        self.connection = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}/")
        self.channel = await self.connection.channel()
        return self

    async def take(self) -> list[dict]:
        """Everything the queue holds now, added to `received`."""
        queue = await self.channel.declare_queue(self.name, durable=True, passive=True)
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            self.received.append(json.loads(message.body))
        return self.received

    async def wait_for(self, count: int, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(await self.take()) < count:
            assert time.monotonic() < deadline, f"{len(self.received)} of {count} events came"
            await asyncio.sleep(0.1)
        return self.received

    async def __aexit__(self, *_exc: object) -> None:
        await self.connection.close()


@pytest.fixture
async def connect(rabbitmq: TcpProxy, queue_name: str, tmp_path: Path) -> AsyncIterator[MakeBroker]:
    """Makes brokers as Rasa does from the endpoints file (server/endpoints.py), through the
    proxy, spooling under tmp_path; closes them at the end."""
    made: list[SpoolingPikaEventBroker] = []

    async def make(**options: object) -> SpoolingPikaEventBroker:
        options = {"queue_max_length": 1_000_000, **options}  # the default (ats/settings.py)
        config = EndpointConfig(
            url="127.0.0.1",
            type="server.broker.SpoolingPikaEventBroker",
            port=rabbitmq.port,
            username="guest",
            password="guest",
            queues=[queue_name],
            exchange_name=f"{queue_name}-exchange",
            spool_dir=tmp_path,
            **options,
        )
        broker = await SpoolingPikaEventBroker.from_endpoint_config(config)
        assert broker is not None
        made.append(broker)
        return broker

    yield make
    for broker in made:
        await broker.close()


async def test_events_are_published_to_the_queue(connect: MakeBroker, queue_name: str) -> None:
    broker = await connect()
    await eventually(broker.is_ready)
    async with Queue(queue_name) as queue:
        for number in range(3):
            broker.publish(event(number))
        assert await queue.wait_for(3) == [event(0), event(1), event(2)]
    assert broker.spool.count() == 0


async def test_while_rabbitmq_is_away_events_are_spooled_privately_then_published_in_order(
    connect: MakeBroker, queue_name: str, rabbitmq: TcpProxy
) -> None:
    broker = await connect()
    await eventually(broker.is_ready)
    async with Queue(queue_name) as queue:
        broker.publish(event(0))
        await queue.wait_for(1)
        rabbitmq.cut()
        await eventually(lambda: not broker.is_ready())
        for number in range(1, 6):
            broker.publish(event(number))
        await eventually(lambda: broker.spool.count() == 5)
        spooled = [json.loads(line)["event"] for line in broker.spool.path.read_text().splitlines()]
        assert spooled == [event(n) for n in range(1, 6)]
        assert stat.S_IMODE(broker.spool.path.stat().st_mode) == 0o600
        assert stat.S_IMODE(broker.spool.folder.stat().st_mode) == 0o700
        assert await queue.take() == [event(0)]  # nothing reached RabbitMQ meanwhile

        rabbitmq.restore()
        broker.publish(event(6))  # maybe before the broker is back: it waits its turn
        assert await queue.wait_for(7, timeout=60) == [event(n) for n in range(7)]
        await eventually(lambda: broker.spool.count() == 0)


async def test_a_broker_starts_without_rabbitmq_and_publishes_what_came_meanwhile(
    connect: MakeBroker, queue_name: str, rabbitmq: TcpProxy
) -> None:
    rabbitmq.cut()
    broker = await connect()  # Rasa's own would refuse to start the server
    for number in range(3):
        broker.publish(event(number))
    await eventually(lambda: broker.spool.count() == 3)
    rabbitmq.restore()
    async with Queue(queue_name) as queue:
        await eventually(broker.is_ready, timeout=60)
        assert await queue.wait_for(3) == [event(0), event(1), event(2)]


async def test_the_spool_of_a_stopped_process_is_taken_over_not_that_of_a_running_one(
    connect: MakeBroker, queue_name: str, tmp_path: Path
) -> None:
    folder = tmp_path / "events"
    folder.mkdir(mode=0o700)
    # a Rasa server that stopped (its lock on the file is gone) while RabbitMQ was away
    stopped = folder / "rasa-host-1-4242.jsonl"
    stopped.write_text("".join(json.dumps({"event": event(n)}) + "\n" for n in range(3)))
    os.utime(stopped, (time.time() - 60, time.time() - 60))  # older than the other spool
    # a Rasa server that still runs holds its file's lock, and will publish its own events
    running = folder / "rasa-host-2-4343.jsonl"
    running.write_text(json.dumps({"event": {"event": "user", "text": "not ours"}}) + "\n")
    held = running.open("a")
    fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    try:
        broker = await connect()
        async with Queue(queue_name) as queue:
            await eventually(broker.is_ready)
            assert await queue.wait_for(3) == [event(0), event(1), event(2)]
            await asyncio.sleep(0.5)
            assert await queue.take() == [event(0), event(1), event(2)]
        assert not stopped.exists()
        assert "not ours" in running.read_text()
    finally:
        held.close()


async def test_the_queue_keeps_only_the_newest_events_up_to_its_bound(
    connect: MakeBroker, queue_name: str
) -> None:
    broker = await connect(queue_max_length=3)
    await eventually(broker.is_ready)
    for number in range(5):
        broker.publish(event(number))
    await eventually(lambda: not broker._background_tasks)
    async with Queue(queue_name) as queue:
        assert await queue.take() == [event(2), event(3), event(4)]


async def test_a_queue_declared_unbounded_before_is_kept_and_still_gets_the_events(
    connect: MakeBroker, queue_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    # as an earlier release of the help desk (or Rasa's own broker) declared it
    connection = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}/")
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(queue_name, durable=True)
    broker = await connect(queue_max_length=3)
    await eventually(broker.is_ready)
    for number in range(5):
        broker.publish(event(number))
    async with Queue(queue_name) as queue:
        assert await queue.wait_for(5) == [event(n) for n in range(5)]
    assert f"rabbitmqctl set_policy {queue_name}-bound" in caplog.text


async def test_events_published_while_the_event_loop_is_saturated_all_arrive_in_order(
    connect: MakeBroker, queue_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    # as on a Rasa server at capacity: the loop always has conversations' work ready, and each
    # message's save publishes several events (one by one, each publish took several turns of
    # the loop in turn and fell behind until its confirm timed out: spooled)
    broker = await connect()
    await eventually(broker.is_ready)
    stop = asyncio.Event()

    async def conversations() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            while time.perf_counter() - started < 0.01:
                pass
            await asyncio.sleep(0)

    busy = asyncio.create_task(conversations())
    for message in range(150):
        for number in range(8):
            broker.publish(event(message * 8 + number))
        await asyncio.sleep(0.01)
    await eventually(lambda: not broker._background_tasks, timeout=60)
    stop.set()
    await busy
    async with Queue(queue_name) as queue:
        assert await queue.wait_for(1200) == [event(n) for n in range(1200)]
    assert broker.spool.count() == 0
    assert "spooled" not in caplog.text


async def test_events_rabbitmq_refuses_while_connected_are_published_again_soon(
    connect: MakeBroker, queue_name: str
) -> None:
    # a queue that refuses publishes when full (declared so by someone else): RabbitMQ nacks
    connection = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}/")
    async with connection:
        channel = await connection.channel()
        await channel.declare_queue(
            queue_name,
            durable=True,
            arguments={"x-max-length": 2, "x-overflow": "reject-publish"},
        )
    broker = await connect()
    await eventually(broker.is_ready)
    for number in range(4):
        broker.publish(event(number))
    await eventually(lambda: broker.spool.count() == 2)
    async with Queue(queue_name) as queue:
        assert await queue.take() == [event(0), event(1)]
        # room again: the refused events follow without the connection being lost meanwhile
        assert await queue.wait_for(4) == [event(n) for n in range(4)]
    await eventually(lambda: broker.spool.count() == 0)
    broker.publish(event(4))  # and the next ones are published straight away again
    async with Queue(queue_name) as queue:
        assert await queue.wait_for(1) == [event(4)]
