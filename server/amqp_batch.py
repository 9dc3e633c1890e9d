"""Many AMQP messages written at once, each with its own publisher confirm.

aiormq publishes one message at a time: it takes the channel's lock, queues the message's
frames, waits until the connection's writer task has written them, and only then lets the next
message in. Each message so costs the event loop a few turns, one after the other. On a Rasa
server whose loop is saturated by conversations a turn lasts tens of milliseconds, and events
published one by one fell behind until their confirms timed out: under the production benchmark
(two Rasa servers, 20 concurrent conversations) about a third of the events ended in the spool.
Here the frames of all the messages waiting go into the write queue together, under the lock,
each with its delivery tag, and their confirms are awaited together: a few turns per batch
whatever its size.

This uses aiormq's channel internals the way its own `basic_publish` does (aiormq 6.4: the lock,
the delivery tag counter, the confirmation futures and the connection's write queue).
`can_batch()` checks that they are there; the broker publishes one by one when they are not, and
tests/server/test_amqp_batch.py fails on an aiormq that moved them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from random import getrandbits
from typing import Any
from uuid import UUID

import aio_pika
from aiormq.abc import ChannelFrame
from pamqp import commands as spec
from pamqp.header import ContentHeader

# what publish_many() reads and writes on an aiormq Channel
CHANNEL_INTERNALS = (
    "lock",
    "delivery_tag",
    "confirmations",
    "message_id_delivery_tag",
    "write_queue",
    "number",
    "publisher_confirms",
    "create_future",
    "_split_body",
)


def can_batch(channel: Any) -> bool:
    """Whether `channel` (aiormq's) is one publish_many() can write to: with publisher
    confirms, open, and with the internals it relies on."""
    return (
        all(hasattr(channel, name) for name in CHANNEL_INTERNALS)
        and bool(channel.publisher_confirms)
        and not getattr(channel, "is_closed", False)
    )


async def publish_many(
    channel: Any,
    exchange: str,
    messages: Sequence[aio_pika.Message],
    routing_key: str = "",
) -> list[asyncio.Future[Any]]:
    """Writes `messages` to `exchange` in their order, in one write; returns one future per
    message, done with `spec.Basic.Ack` when RabbitMQ has taken it (a `Basic.Nack`, a returned
    message or an exception otherwise). Published as `mandatory`, as aio-pika does."""
    prepared = []
    for message in messages:
        properties = message.properties
        # aiormq matches a returned (unroutable) message to its confirm by this id
        message_id = properties.message_id or UUID(int=getrandbits(128), version=4).hex
        properties.message_id = message_id
        prepared.append((message.body, properties, message_id))

    confirmations: list[asyncio.Future[Any]] = []
    frames: list[Any] = []
    async with channel.lock:
        # no await from the first delivery tag until the frames are queued: RabbitMQ numbers
        # the messages in the order it reads them, and so must we
        for body, properties, message_id in prepared:
            channel.delivery_tag += 1
            tag = channel.delivery_tag
            confirmation = channel.create_future()
            channel.confirmations[tag] = confirmation
            channel.message_id_delivery_tag[message_id] = tag
            confirmation.add_done_callback(_forget(channel, message_id))
            confirmations.append(confirmation)
            frames.append(
                spec.Basic.Publish(exchange=exchange, routing_key=routing_key, mandatory=True)
            )
            frames.append(ContentHeader(properties=properties, body_size=len(body)))
            frames.extend(channel._split_body(body))
        written = channel.create_future()
        # shielded: once the tags are taken the frames must be written, even if we are cancelled
        await asyncio.shield(
            channel.write_queue.put(
                ChannelFrame(channel_number=channel.number, frames=frames, drain_future=written)
            )
        )
        await written
    return confirmations


def _forget(channel: Any, message_id: str) -> Any:
    def forget(confirmation: asyncio.Future[Any]) -> None:
        channel.message_id_delivery_tag.pop(message_id, None)
        if not confirmation.cancelled():
            # read here so that a confirm failed by a closing channel is not logged as unread
            confirmation.exception()

    return forget


def confirmed(confirmation: asyncio.Future[Any]) -> bool:
    """Whether RabbitMQ acknowledged the message of this future (done, and with an Ack)."""
    return (
        confirmation.done()
        and not confirmation.cancelled()
        and confirmation.exception() is None
        and isinstance(confirmation.result(), spec.Basic.Ack)
    )
