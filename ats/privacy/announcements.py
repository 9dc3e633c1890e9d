"""Erasure events for the consumers of the event broker (HELPDESK_EVENT_BROKER_URL).

Every Rasa server publishes each conversation's events to RabbitMQ, where consumers the help
desk does not control (analytics, an archive) keep them. When the help desk erases someone, it
publishes one message to the same fanout exchange and queue:

    {"event": "erasure", "reason": "retention" | "request" | "unverified",
     "timestamp": 1764518400.0, "sender_ids": ["..."], "references": ["AP-..."]}

so that each consumer can delete what it holds of those conversations. The messages wait in the
`erasure_announcements` table until RabbitMQ takes them (confirmed, persistent), then are
deleted: a broker that is away delays them, never loses them. Without an event broker there is
nobody to tell, and they are dropped.
"""

from __future__ import annotations

import logging

import aio_pika
from sqlalchemy import delete, select

from ats.models import ErasureAnnouncement
from ats.settings import Settings
from ats.store import ATSStore

logger = logging.getLogger(__name__)


def _exchange_name(settings: Settings) -> str:
    # the exchange the Rasa servers publish to (server/endpoints.py)
    return f"{settings.servers.event_queue}-exchange"


async def publish_pending(store: ATSStore, settings: Settings) -> int:
    """Publish the waiting erasure events; returns how many RabbitMQ took."""
    async with store.session() as session:
        pending = (
            await session.execute(
                select(ErasureAnnouncement.id, ErasureAnnouncement.payload).order_by(
                    ErasureAnnouncement.id
                )
            )
        ).all()
    if not pending:
        return 0
    url = settings.servers.event_broker_url
    if not url:
        await _forget(store, [row.id for row in pending])
        return 0
    published: list[int] = []
    try:
        connection = await aio_pika.connect(url, timeout=10)
    except Exception as error:  # RabbitMQ away: the next purge tries again
        logger.warning("erasure events not published yet (%s): %d waiting", error, len(pending))
        return 0
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(
            _exchange_name(settings), type=aio_pika.ExchangeType.FANOUT
        )
        queue = await channel.declare_queue(settings.servers.event_queue, durable=True)
        await queue.bind(exchange, "")
        for row in pending:
            await exchange.publish(
                aio_pika.Message(
                    row.payload.encode(),
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    type="erasure",
                ),
                routing_key="",
            )
            published.append(row.id)
    except Exception as error:
        logger.warning("publishing erasure events stopped (%s); the rest wait", error)
    finally:
        await connection.close()
        await _forget(store, published)
    return len(published)


async def _forget(store: ATSStore, ids: list[int]) -> None:
    if ids:
        async with store.session() as session, session.begin():
            await session.execute(
                delete(ErasureAnnouncement).where(ErasureAnnouncement.id.in_(ids))
            )
