"""Rasa's tracker stores, same contents and same results, at a fraction of the cost per message.

Profiled under load on the production topology (py-spy, 20 concurrent conversations), Rasa
3.6's SQLTrackerStore took over half of a Rasa server's event-loop time, nearly all of it in
SQLAlchemy's ORM: each message loaded the conversation twice (once for the reply, once more to
work out which events to publish to the broker), counted its events through an ORM query and
inserted events one ORM object at a time. This store reads the `data` column alone, counts
only when it did not load the conversation itself, inserts new events in one statement, and
publishes to the broker exactly the events it stored, after they are committed. Its statements
run with asyncpg on the event loop (server/pg_events.py): a slow or unreachable database holds
up only the conversations waiting on it.

The `events` table, its columns and the order of events are Rasa's own, so the store can be
switched back to Rasa's `SQL` type (or read by Rasa X style tooling) at any time.

The in-memory store (the default) is Rasa's, answering the REST channel's question of which
channel holds a conversation without loading it (LeanInMemoryTrackerStore).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from server.pg_events import EventRow, PostgresEvents

# on a tracker this store loaded: how many of its events are stored (its latest session's)
_STORED = "_lean_store_events_stored"


class LeanSQLTrackerStore(SQLTrackerStore):
    """Configured like Rasa's `SQL` tracker store, on PostgreSQL."""

    def __init__(self, *args: Any, max_connections: int = 10, **kwargs: Any) -> None:
        # Rasa's constructor creates the database and the `events` table; its engine stays
        # for Rasa's own uses of it (the list of conversations, the health check)
        super().__init__(*args, **kwargs)
        url = self.engine.url
        if url.get_backend_name() != "postgresql":
            raise ValueError(
                f"the lean SQL tracker store runs on PostgreSQL, not {url.get_backend_name()}: "
                "use Rasa's own SQL tracker store there"
            )
        # HELPDESK_TRACKER_STORE_CONNECTIONS (server/endpoints.py): statements run side by
        # side on the event loop, so the pool, not a thread pool, bounds what a busy server
        # asks of PostgreSQL's max_connections
        self._events = PostgresEvents(url, int(max_connections))

    async def latest_input_channel(self, sender_id: str) -> str | None:
        """The channel of the conversation's latest message, without loading the conversation."""
        data = await self._events.latest_of_type(sender_id, UserUttered.type_name)
        return json.loads(data).get("input_channel") if data else None

    async def close(self) -> None:
        """Closes the connections to the database (the server stops)."""
        await self._events.close()
        await asyncio.to_thread(self.engine.dispose)

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        session = None if fetch_events_from_all_sessions else SessionStarted.type_name
        rows = await self._events.events(sender_id, session)
        if not rows or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(
            sender_id, [json.loads(data) for data in rows], self.domain.slots
        )
        if session is not None:
            # what Rasa would count again when the tracker is saved: the lock keeps any other
            # server from storing events of this conversation in between
            setattr(tracker, _STORED, len(rows))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        stored = getattr(tracker, _STORED, None)
        if stored is None:
            stored = await self._events.count(tracker.sender_id, SessionStarted.type_name)
        new = list(itertools.islice(tracker.events, stored, len(tracker.events)))
        rows = [self._row(tracker.sender_id, event) for event in new]
        await self._events.append([row for row, _ in rows])
        setattr(tracker, _STORED, stored + len(rows))
        if self.event_broker is not None:
            for _row, data in rows:
                self.event_broker.publish({"sender_id": tracker.sender_id, **data})

    @staticmethod
    def _row(sender_id: str, event: Event) -> tuple[EventRow, dict[str, Any]]:
        data = event.as_dict()
        row = (
            sender_id,
            event.type_name,
            data.get("timestamp"),
            data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            data.get("name"),
            json.dumps(data),
        )
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
