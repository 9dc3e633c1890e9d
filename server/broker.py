"""Rasa's RabbitMQ event broker, made to lose nothing while RabbitMQ is away.

Rasa 3.6's Pika broker refuses to start the Rasa server when RabbitMQ is down (twenty attempts,
then an error), drops every event published before it has connected, and keeps the events that
failed later in memory only. This broker

- lets the Rasa server start at once and connects in the background, retrying for as long as
  it takes, so conversations go on without RabbitMQ;
- writes every event it cannot publish to a spool file (one JSON line per event, in
  HELPDESK_SPOOL_DIR/events, the settings' `servers.spool_dir`) and publishes the spool, oldest
  first, as soon as it is connected again; a spool left by a process that stopped is taken
  over by the next one that connects;
- declares its queue bounded (`HELPDESK_EVENT_QUEUE_MAX_LENGTH`, the oldest events dropped
  first), because nothing the help desk runs consumes it and an unread queue would otherwise
  grow until RabbitMQ's disk alarm stops every publisher on the broker.

Events therefore reach RabbitMQ at least once; after an outage they arrive late, and a
consumer that cares orders them by their timestamp.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from pathlib import Path
from typing import Any

import aio_pika
from aio_pika.exceptions import ChannelPreconditionFailed
from rasa.core.brokers.pika import PikaEventBroker
from rasa.utils.endpoints import EndpointConfig

from ats.services import services
from server.amqp_batch import can_batch, confirmed, publish_many
from server.shared_spool import SharedSpool, keep_shipping
from server.spool import Spool, spooled_event

logger = logging.getLogger(__name__)

PUBLISH_TIMEOUT_SECONDS = 5
# RabbitMQ confirms a persistent message once it is on disk: under load that takes seconds, and
# a confirm given up on means the event is published twice (spooled, then sent again)
CONFIRM_TIMEOUT_SECONDS = 60
# how long a stopping server waits for outstanding confirms before spooling those events
CLOSE_CONFIRM_SECONDS = 5
# how often a connected server looks for spooled events to publish
SWEEP_SECONDS = 60
RETRY_SECONDS = (1, 2, 5, 10, 30)


def _retry_delay(attempt: int) -> int:
    """Seconds before the next attempt: longer each time, up to the last of RETRY_SECONDS."""
    return RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)]


class SpoolingPikaEventBroker(PikaEventBroker):
    """PikaEventBroker that starts without RabbitMQ and spools what it cannot publish.

    Rasa makes it from the endpoints file, with the spool in the process's settings' folder
    and, with PostgreSQL, the shared spool in the ATS database; `spool_dir` and `shared` name
    others (tests)."""

    def __init__(
        self,
        *args: Any,
        spool_dir: Path | None = None,
        shared: SharedSpool | None = None,
        queue_max_length: int = 0,
        **kwargs: Any,
    ) -> None:
        kwargs["should_keep_unpublished_messages"] = False  # the spool keeps them instead
        kwargs["raise_on_failure"] = False
        super().__init__(*args, **kwargs)
        folder = spool_dir or services().settings.servers.spool_dir
        self.spool = Spool(folder / "events")
        # the spool's: the erasure check (server/erasures.py) filters it only between replays
        self._replaying = self.spool.rewriting
        self._connecting: asyncio.Task | None = None
        # with PostgreSQL, the spool moves there: any server publishes it, a lost pod loses none
        self.shared = shared or (
            SharedSpool.for_services(services(), "events", spooled_event)
            if spool_dir is None
            else None
        )
        self._shipping: asyncio.Task | None = None
        self._outbox: list[dict[str, Any]] = []
        self._flushing: asyncio.Task | None = None
        self._retry: asyncio.Task | None = None
        self._closing = False
        self.queue_max_length = queue_max_length

    @classmethod
    async def from_endpoint_config(
        cls, broker_config: EndpointConfig | None, event_loop: Any = None
    ) -> SpoolingPikaEventBroker | None:
        if broker_config is None:
            return None
        broker = cls(
            broker_config.url,
            **broker_config.kwargs,
            event_loop=event_loop or asyncio.get_running_loop(),
        )
        broker._connecting = asyncio.create_task(broker._connect_in_background())
        if broker.shared is not None:
            broker._shipping = asyncio.create_task(keep_shipping(broker.shared, broker.spool))
        return broker

    async def _connect_in_background(self) -> None:
        attempt = 0
        while True:
            try:
                self._connection_attempts = 1
                await self.connect()
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                delay = _retry_delay(attempt)
                attempt += 1
                logger.warning(
                    "RabbitMQ at %s:%s is not reachable (%s); events are spooled to %s, "
                    "next attempt in %s s",
                    self.host,
                    self.port,
                    exc,
                    self.spool.folder,
                    delay,
                )
                await asyncio.sleep(delay)
        await self.replay()
        # what waits in the shared spool (another server's, one that stopped) is published too
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            if self.is_ready() and not self._retrying() and await self.waiting():
                await self.replay()

    async def _bind_queue(  # type: ignore[override]
        self, queue_name: str, channel: aio_pika.abc.AbstractChannel, exchange: Any
    ) -> None:
        queue = await self._declare_queue(queue_name, channel)
        await queue.bind(exchange, "")

    async def _declare_queue(
        self, name: str, channel: aio_pika.abc.AbstractChannel
    ) -> aio_pika.abc.AbstractQueue:
        if not self.queue_max_length:
            return await channel.declare_queue(name, durable=True)
        arguments: dict[str, Any] = {
            "x-max-length": self.queue_max_length,
            "x-overflow": "drop-head",
        }
        # RabbitMQ refuses to declare an existing queue with other arguments (one declared by an
        # earlier release, unbounded, or with another bound) and closes the channel that asked:
        # ask on one of its own, and keep the queue as it is if refused.
        assert self._connection is not None
        probe = await self._connection.channel()
        try:
            await probe.declare_queue(name, durable=True, arguments=arguments)
        except ChannelPreconditionFailed as refused:
            logger.warning(
                "the RabbitMQ queue %s exists with other arguments than x-max-length=%s (%s): "
                "kept as it is. To bound it, delete the queue (its events are lost) or set a "
                "policy: rabbitmqctl set_policy %s-bound '^%s$' "
                '\'{"max-length": %s, "overflow": "drop-head"}\' --apply-to queues',
                name,
                self.queue_max_length,
                refused,
                name,
                name,
                self.queue_max_length,
            )
            return await channel.declare_queue(name, passive=True)
        finally:
            with contextlib.suppress(Exception):
                await probe.close()
        return await channel.declare_queue(name, durable=True, arguments=arguments)

    def _publish_unpublished_messages(self, *_: Any, **__: Any) -> None:
        # aio-pika calls this after reconnecting
        task = self._loop.create_task(self.replay())
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    def is_ready(self) -> bool:
        # Rasa's asks only whether the connection was closed for good; aio-pika's robust
        # connection is not, while it reconnects, and a publish then waits for the timeout
        connection = self._connection
        return (
            self._exchange is not None
            and super().is_ready()
            and connection is not None
            and connection.connected.is_set()
        )

    def publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        """Queues the event for the one task that publishes, in order and in batches (Rasa's
        makes a task per event, each publishing on its own: see server/amqp_batch.py)."""
        self._outbox.append({"event": event, "headers": headers})
        if self._flushing is None or self._flushing.done():
            self._flushing = self._loop.create_task(self._flush())
            self._background_tasks.add(self._flushing)
            self._flushing.add_done_callback(self._background_tasks.discard)

    async def _flush(self) -> None:
        while self._outbox:
            batch = list(self._outbox)
            self._outbox.clear()
            if not self.is_ready() or self._replaying.locked() or self._retrying():
                # keeps the order: nothing overtakes events that are still in the spool
                for item in batch:
                    self.spool.add(item)
                continue
            await self._send_batch(batch)

    async def _send_batch(self, batch: list[dict[str, Any]]) -> None:
        assert self._exchange is not None
        channel = getattr(self._exchange, "channel", None)
        if not can_batch(channel):
            for index, item in enumerate(batch):
                if not await self._send(item["event"], item.get("headers")):
                    self._spool_and_retry(batch[index:])
                    return
            return
        messages = [self._message(item["event"], item.get("headers")) for item in batch]
        try:
            confirmations = await asyncio.wait_for(
                publish_many(channel, self._exchange.name, messages), PUBLISH_TIMEOUT_SECONDS
            )
        except Exception as exc:
            logger.warning(
                "publishing %s event(s) to RabbitMQ failed (%r); spooled",
                len(batch),
                exc,
            )
            self._spool_and_retry(batch)
            return
        # the confirms are awaited aside: the next batch need not wait for RabbitMQ's disk
        task = self._loop.create_task(self._confirmed(batch, confirmations))
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    async def _confirmed(
        self, batch: list[dict[str, Any]], confirmations: list[asyncio.Future[Any]]
    ) -> None:
        try:
            await asyncio.wait(confirmations, timeout=CONFIRM_TIMEOUT_SECONDS)
        finally:  # also when the server stops meanwhile: what is unconfirmed is spooled
            failed = [
                item for item, done in zip(batch, confirmations, strict=True) if not confirmed(done)
            ]
            if failed:
                logger.warning(
                    "RabbitMQ did not confirm %s of %s event(s); spooled to publish again",
                    len(failed),
                    len(batch),
                )
                self._spool_and_retry(failed)

    def _spool_and_retry(self, items: list[dict[str, Any]]) -> None:
        """Spools events that were not published while connected, and publishes the spool again
        soon (not only when the connection is next lost and found)."""
        for item in items:
            self.spool.add(item)
        if not self._retrying() and not self._closing:
            self._retry = self._loop.create_task(self._replay_until_empty())

    def _retrying(self) -> bool:
        return self._retry is not None and not self._retry.done()

    async def _replay_until_empty(self) -> None:
        for attempt in itertools.count():
            await asyncio.sleep(_retry_delay(attempt))
            if self.is_ready():
                await self.replay()
                if not await self.waiting():
                    return

    async def _send(self, event: dict[str, Any], headers: dict[str, str] | None) -> bool:
        assert self._exchange is not None
        try:
            await asyncio.wait_for(
                self._exchange.publish(self._message(event, headers), ""),
                PUBLISH_TIMEOUT_SECONDS,
            )
            return True
        except Exception as exc:
            logger.warning("publishing an event to RabbitMQ failed (%s); spooled", exc)
            return False

    async def waiting(self) -> int:
        """How many events wait for RabbitMQ: in this server's spool and, with PostgreSQL, in
        the shared one, where the spool moves within seconds (an operator asks for both)."""
        waiting = await asyncio.to_thread(self.spool.count)
        if self.shared is not None:
            with contextlib.suppress(Exception):  # the database away: /health says so itself
                waiting += await asyncio.wait_for(self.shared.count(), 2)
        return waiting

    async def replay(self) -> int:
        """Publishes the spooled events; returns how many went out."""
        sent = 0
        async with self._replaying:
            if self.shared is not None:
                published, finished = await self._replay_shared(self.shared)
                sent += published
                if not finished:
                    return sent
            for path in self.spool.files():
                if not self.spool.take_over(path):
                    continue
                published, finished = await self._replay_file(path)
                sent += published
                if not finished:
                    break
        if sent:
            logger.info("published %s spooled event(s) to RabbitMQ", sent)
        return sent

    async def _replay_shared(self, shared: SharedSpool) -> tuple[int, bool]:
        """The spool moved to the database, then published from there in order; on a database
        failure, the local files are published as before."""
        try:
            await shared.ship(self.spool)
            return await shared.do(self._send_item)
        except Exception as exc:
            logger.warning("the shared event spool cannot be read (%s); local only", exc)
            return 0, True

    async def _send_item(self, item: dict[str, Any]) -> bool:
        return self.is_ready() and await self._send(item["event"], item.get("headers"))

    async def _replay_file(self, path: Path) -> tuple[int, bool]:
        sent = 0
        while True:
            text = self.spool.read(path)
            lines = text.splitlines(keepends=True)
            for index, line in enumerate(lines):
                try:
                    item = json.loads(line)
                except json.JSONDecodeError:
                    logger.error("unreadable line in the event spool %s: dropped", path)
                    continue
                if not self.is_ready() or not await self._send(item["event"], item.get("headers")):
                    # what was spooled while we were sending stays behind what we could not send
                    added = self.spool.read(path)[len(text) :]
                    self.spool.rewrite(path, [*lines[index:], added])
                    return sent, False
                sent += 1
            # no await between reading what was added meanwhile and rewriting the file
            added = self.spool.read(path)[len(text) :]
            self.spool.rewrite(path, [added] if added else [])
            if not added:
                return sent, True

    async def close(self) -> None:
        self._closing = True
        if self._flushing is not None:
            with contextlib.suppress(Exception):
                await self._flushing
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._retry
        if self._shipping is not None:
            self._shipping.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._shipping
        if self._connecting is not None:
            self._connecting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connecting
        if self._background_tasks:
            _done, pending = await asyncio.wait(
                list(self._background_tasks), timeout=CLOSE_CONFIRM_SECONDS
            )
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._background_tasks, *pending, return_exceptions=True)
        with contextlib.suppress(Exception):
            await super().close()
        self.spool.close()
