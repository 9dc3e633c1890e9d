"""Rasa's tracker stores, same contents and same results, at a fraction of the cost per message.

Profiled under load on the production topology (py-spy, 20 concurrent conversations), Rasa
3.6's SQLTrackerStore took over half of a Rasa server's event-loop time, nearly all of it in
SQLAlchemy's ORM: each message loaded the conversation twice (once for the reply, once more to
work out which events to publish to the broker), counted its events through an ORM query and
inserted events one ORM object at a time. This store reads with one Core query of the `data`
column, counts with one, inserts new events in one executemany, and publishes to the broker
exactly the events it stored, after they are committed. Its queries run in a worker thread:
SQLAlchemy's engine is synchronous, and a slow or unreachable database must not stall every
other conversation on the server's event loop.

The `events` table, its columns and the order of events are Rasa's own, so the store can be
switched back to Rasa's `SQL` type (or read by Rasa X style tooling) at any time.

The in-memory store (the default) is Rasa's, answering the REST channel's question of which
channel holds a conversation without loading it (LeanInMemoryTrackerStore).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)
T = TypeVar("T")


class LeanSQLTrackerStore(SQLTrackerStore):
    """Configured like Rasa's `SQL` tracker store."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A read is one statement, which sees one snapshot by itself. Its connections stay in
        # autocommit, so psycopg2 sends no BEGIN before a read and no ROLLBACK after it (one
        # round trip of three); switching a pooled connection to autocommit and back for each
        # read cost as much, in psycopg2's set_isolation_level.
        self._reader = sa.create_engine(
            self.engine.url, isolation_level="AUTOCOMMIT", **create_engine_kwargs(self.engine.url)
        )
        events = self.SQLEvent.__table__
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(
                events.c.sender_id == sa.bindparam("sender"),
                events.c.type_name == SessionStarted.type_name,
            )
            .scalar_subquery()
        )
        of_sender = events.c.sender_id == sa.bindparam("sender")
        # the latest conversation session: from its SessionStarted on (all when there is none)
        in_session = sa.or_(session_start.is_(None), events.c.timestamp >= session_start)
        self._session_events = (
            sa.select(events.c.data).where(of_sender, in_session).order_by(events.c.id)
        )
        self._all_events = sa.select(events.c.data).where(of_sender).order_by(events.c.id)
        self._session_count = sa.select(sa.func.count()).where(of_sender, in_session)
        self._insert = events.insert()
        self._latest_user_event = (
            sa.select(events.c.data)
            .where(of_sender, events.c.type_name == "user")
            .order_by(events.c.id.desc())
            .limit(1)
        )

    async def latest_input_channel(self, sender_id: str) -> str | None:
        """The channel of the conversation's latest message, without loading the conversation."""

        def read() -> str | None:
            with self._reader.connect() as connection:
                return connection.execute(self._latest_user_event, {"sender": sender_id}).scalar()

        data = await self._once_more_if_dropped(read)
        return json.loads(data).get("input_channel") if data else None

    async def close(self) -> None:
        """Closes the pooled connections to the database (the server stops)."""
        await asyncio.to_thread(self.engine.dispose)
        await asyncio.to_thread(self._reader.dispose)

    async def _once_more_if_dropped(self, work: Callable[[], T]) -> T:
        """Runs `work` in a worker thread, and once more when the database had dropped the
        pooled connection it drew (a restart, a failover): nothing was done on a dropped
        connection, so repeating is safe, and cheaper than checking every connection first."""
        try:
            return await asyncio.to_thread(work)
        except sa.exc.DBAPIError as error:
            if not error.connection_invalidated:
                raise
            logger.info("the tracker store's connection had been dropped; trying once more")
            return await asyncio.to_thread(work)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        query = self._all_events if fetch_events_from_all_sessions else self._session_events

        def read() -> list[str]:
            with self._reader.connect() as connection:
                return connection.execute(query, {"sender": sender_id}).scalars().all()

        rows = await self._once_more_if_dropped(read)
        if not rows or not self.domain:
            return None
        return DialogueStateTracker.from_dict(
            sender_id, [json.loads(data) for data in rows], self.domain.slots
        )

    async def save(self, tracker: DialogueStateTracker) -> None:
        def write() -> list[tuple[dict[str, Any], dict[str, Any]]]:
            with self.engine.begin() as connection:
                stored = connection.execute(self._session_count, {"sender": tracker.sender_id})
                new: list[Event] = list(
                    itertools.islice(tracker.events, stored.scalar_one(), len(tracker.events))
                )
                rows = [self._row(tracker.sender_id, event) for event in new]
                if rows:
                    connection.execute(self._insert, [row for row, _ in rows])
                return rows

        rows = await self._once_more_if_dropped(write)
        if self.event_broker is not None:
            for _row, data in rows:
                self.event_broker.publish({"sender_id": tracker.sender_id, **data})

    @staticmethod
    def _row(sender_id: str, event: Event) -> tuple[dict[str, Any], dict[str, Any]]:
        data = event.as_dict()
        row = {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
        return row, data


class LeanInMemoryTrackerStore(InMemoryTrackerStore):
    """Rasa's in-memory store (the default without HELPDESK_TRACKER_STORE_URL), which also
    knows each conversation's latest input channel without loading it.

    The REST channel asks that of every message (channels/rest.py); Rasa's store could answer
    only by turning the whole conversation back into a tracker, a second time per message (9%
    of a busy server). The answer is kept beside the serialised conversation it was read from,
    and given only while that is the one stored: a conversation erased or replaced since
    (server/erasures.py works on `store` directly) is read again, or is not there."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # sender -> (hash and length of the stored text, channel): never the text itself, which
        # an erasure must be able to drop from memory by deleting it from `store`
        self._channels: dict[str, tuple[tuple[int, int], str | None]] = {}

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        serialised = self.store.get(tracker.sender_id)
        if serialised is not None:
            channel = tracker.get_latest_input_channel()
            self._channels[tracker.sender_id] = (_mark(serialised), channel)

    def forget(self, sender_id: str) -> None:
        """Drops a conversation (erased, or idle and never verified), and what is known of it."""
        self.store.pop(sender_id, None)
        self._channels.pop(sender_id, None)

    async def latest_input_channel(self, sender_id: str) -> str | None:
        """The channel of the conversation's latest message (None for a new conversation)."""
        serialised = self.store.get(sender_id)
        if serialised is None:
            self._channels.pop(sender_id, None)
            return None
        known = self._channels.get(sender_id)
        if known is not None and known[0] == _mark(serialised):
            return known[1]
        tracker = await self.retrieve(sender_id)
        channel = tracker.get_latest_input_channel() if tracker is not None else None
        self._channels[sender_id] = (_mark(serialised), channel)
        return channel


def _mark(serialised: str) -> tuple[int, int]:
    """Which stored text an answer was read from (Python keeps a string's hash once made)."""
    return hash(serialised), len(serialised)


def forget(store: InMemoryTrackerStore, sender_id: str) -> None:
    """Drops a conversation from an in-memory store, the lean store's channel answer too."""
    if isinstance(store, LeanInMemoryTrackerStore):
        store.forget(sender_id)
    else:
        store.store.pop(sender_id, None)


def unwrapped(store: Any) -> Any:
    """The tracker store itself, inside Rasa's fail-safe and awaitable wrappers."""
    while hasattr(store, "_tracker_store"):
        store = store._tracker_store
    return store


async def latest_input_channel(store: Any, sender_id: str) -> str | None:
    """The channel a conversation last heard from (None for a new conversation)."""
    inner = unwrapped(store)
    if isinstance(inner, (LeanSQLTrackerStore, LeanInMemoryTrackerStore)):
        return await inner.latest_input_channel(sender_id)
    tracker = await store.retrieve(sender_id)
    return tracker.get_latest_input_channel() if tracker is not None else None
