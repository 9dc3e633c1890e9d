"""Many messages in one write (server/amqp_batch.py) on the real RabbitMQ: in their order, each
confirmed; and the aiormq internals it relies on are there."""

from __future__ import annotations

import asyncio
import json

import aio_pika
import aiormq
from pamqp import commands as spec

from server.amqp_batch import CHANNEL_INTERNALS, can_batch, confirmed, publish_many
from tests.production.proxy import TcpProxy
from tests.server.conftest import RABBITMQ_PORT


async def test_the_aiormq_channel_has_what_a_batch_needs(rabbitmq: TcpProxy) -> None:
    # fails on an aiormq that moved its internals: the broker would then publish one by one
    connection = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}/")
    async with connection:
        channel = await connection.channel()
        assert isinstance(channel.channel, aiormq.Channel)
        assert [name for name in CHANNEL_INTERNALS if not hasattr(channel.channel, name)] == []
        assert can_batch(channel.channel)
        unconfirmed = await connection.channel(publisher_confirms=False)
        assert not can_batch(unconfirmed.channel)
    assert not can_batch(object())


async def test_a_batch_arrives_in_order_and_each_message_is_confirmed(
    rabbitmq: TcpProxy, queue_name: str
) -> None:
    connection = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}/")
    async with connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(
            f"{queue_name}-exchange", aio_pika.ExchangeType.FANOUT, durable=True
        )
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(exchange, "")
        bodies = [json.dumps({"n": n, "text": "x" * (n * 40_000)}).encode() for n in range(6)]
        # one message larger than a frame: split into several bodies, as aiormq does
        first = await publish_many(
            channel.channel, exchange.name, [aio_pika.Message(b) for b in bodies[:3]]
        )
        second = await publish_many(
            channel.channel, exchange.name, [aio_pika.Message(b) for b in bodies[3:]]
        )
        # a message published the ordinary way in between keeps the delivery tags in step
        await exchange.publish(aio_pika.Message(b'{"n": "single"}'), "")
        third = await publish_many(channel.channel, exchange.name, [aio_pika.Message(b"{}")])
        await asyncio.wait_for(asyncio.gather(*first, *second, *third), 10)
        assert all(confirmed(c) for c in [*first, *second, *third])
        assert all(isinstance(c.result(), spec.Basic.Ack) for c in first)
        received = []
        while (message := await queue.get(no_ack=True, fail=False)) is not None:
            received.append(message.body)
        assert received == [*bodies, b'{"n": "single"}', b"{}"]
