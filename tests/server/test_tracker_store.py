"""The lean SQL tracker store (server/tracker_store.py) against Rasa's own SQLTrackerStore on the
real PostgreSQL: for the same conversations, the same rows in Rasa's `events` table, the same
trackers read back (by either store), and the same events published to the broker. The lean
in-memory store against Rasa's InMemoryTrackerStore: the same conversations kept, and the latest
channel known without loading one, never for a conversation erased or replaced."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from ats import asyncpg_pool
from server.tracker_store import (
    LeanInMemoryTrackerStore,
    LeanSQLTrackerStore,
    latest_input_channel,
)
from tests.server.conftest import (
    postgres_connections,
    postgres_connections_become,
    tracker_store_options,
)
from tests.servers import PROJECT

DOMAIN = Domain.load(str(PROJECT / "domain.yml"))
START = 1_700_000_000.0


class Broker:
    """Stands in for RabbitMQ: keeps what the tracker store publishes."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.published.append(event)


def session_start(at: float) -> list[Event]:
    return [
        ActionExecuted("action_session_start", timestamp=at),
        SessionStarted(timestamp=at + 0.001),
        ActionExecuted("action_listen", timestamp=at + 0.002),
    ]


def user(text: str, intent: str, at: float, channel: str = "rest") -> UserUttered:
    parse_data = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.97},
        "entities": [],
        "intent_ranking": [{"name": intent, "confidence": 0.97}],
    }
    return UserUttered(
        text,
        intent=parse_data["intent"],
        parse_data=parse_data,
        timestamp=at,
        input_channel=channel,
        metadata={"language": "nl"},
    )


def answer(action: str, text: str, at: float) -> list[Event]:
    return [
        ActionExecuted(action, timestamp=at),
        BotUttered(text, {"elements": None}, timestamp=at + 0.001),
        ActionExecuted("action_listen", timestamp=at + 0.002),
    ]


# a conversation as the Rasa server saves it: after each message; two sessions
MESSAGES: list[list[Event]] = [
    [
        *session_start(START),
        user("hoi", "greet", START + 1),
        SlotSet("language", "nl", timestamp=START + 1.5),
        *answer("utter_greet", "Hallo! Ik ben een geautomatiseerde assistent.", START + 2),
    ],
    [
        user("waar staat mijn sollicitatie", "check_status", START + 10),
        *answer("action_check_status", "Met welk e-mailadres heb je gesolliciteerd?", START + 11),
    ],
    [
        *session_start(START + 4000),
        user("ik wil een mens spreken", "request_human", START + 4001, channel="socketio"),
        *answer("action_hand_to_human", "Ik geef je door aan een recruiter.", START + 4002),
    ],
]


Stores = tuple[SQLTrackerStore, LeanSQLTrackerStore]


def options(postgres_url: str) -> dict[str, Any]:
    return {"domain": DOMAIN, **tracker_store_options(postgres_url)}


@pytest.fixture
def stores(postgres_url: str) -> Iterator[Stores]:
    """Rasa's store and the lean one on the same `events` table."""
    rasas = SQLTrackerStore(event_broker=Broker(), **options(postgres_url))
    lean = LeanSQLTrackerStore(event_broker=Broker(), **options(postgres_url))
    yield rasas, lean
    with lean.engine.begin() as connection:
        events = lean.SQLEvent.__table__
        connection.execute(events.delete().where(events.c.sender_id.like("test-lean-%")))
    rasas.engine.dispose()
    lean.engine.dispose()


async def converse(store: SQLTrackerStore | InMemoryTrackerStore, sender_id: str) -> None:
    """The conversation, saved after each message as the Rasa server does."""
    for message in MESSAGES:
        tracker = await store.retrieve(sender_id) or DialogueStateTracker(sender_id, DOMAIN.slots)
        for event in message:
            tracker.update(event, DOMAIN)
        await store.save(tracker)


def rows(store: SQLTrackerStore, sender_id: str) -> list[tuple]:
    events = store.SQLEvent.__table__
    columns = [events.c[name] for name in ("type_name", "timestamp", "intent_name", "action_name")]
    query = sa.select(*columns, events.c.data).where(events.c.sender_id == sender_id)
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query.order_by(events.c.id))]


def conversation(tracker: DialogueStateTracker | None) -> tuple[list[Event], dict[str, Any]]:
    assert tracker is not None
    return list(tracker.events), tracker.current_slot_values()


@pytest.fixture
async def saved(stores: Stores) -> tuple[str, str]:
    """The conversation saved once by each store: Rasa's id and the lean store's."""
    rasas, lean = stores
    by_rasa, by_lean = (f"test-lean-{uuid.uuid4().hex}" for _ in range(2))
    await converse(rasas, by_rasa)
    await converse(lean, by_lean)
    return by_rasa, by_lean


async def test_the_same_rows_in_rasas_events_table(stores: Stores, saved: tuple[str, str]) -> None:
    rasas, _lean = stores
    by_rasa, by_lean = saved
    stored = rows(rasas, by_lean)
    assert len(stored) == sum(len(message) for message in MESSAGES)  # each event once
    assert stored == rows(rasas, by_rasa)


@pytest.mark.parametrize("reader", ["rasa", "lean"])
async def test_either_store_reads_back_the_same_trackers(
    stores: Stores, saved: tuple[str, str], reader: str
) -> None:
    store = stores[0] if reader == "rasa" else stores[1]
    by_rasa, by_lean = saved
    everything = [event for message in MESSAGES for event in message]
    latest_session = MESSAGES[-1][1:]  # from its SessionStarted on, as Rasa reads it
    for sender_id in saved:
        full = await store.retrieve_full_tracker(sender_id)
        assert full is not None and list(full.events) == everything
        latest = await store.retrieve(sender_id)
        assert latest is not None and list(latest.events) == latest_session
    for read in (store.retrieve, store.retrieve_full_tracker):
        assert conversation(await read(by_lean)) == conversation(await read(by_rasa))
    assert await store.retrieve(f"test-lean-{uuid.uuid4().hex}") is None


async def test_the_same_events_are_published_to_the_broker(
    stores: Stores, saved: tuple[str, str]
) -> None:
    rasas, lean = stores
    by_rasa, by_lean = saved

    def published(store: SQLTrackerStore, sender_id: str) -> list[dict[str, Any]]:
        events = store.event_broker.published
        assert {event["sender_id"] for event in events} == {sender_id}
        return [{**event, "sender_id": "the conversation"} for event in events]

    assert published(lean, by_lean) == published(rasas, by_rasa)
    assert len(lean.event_broker.published) == sum(len(message) for message in MESSAGES)


async def test_the_latest_channel_without_loading_the_conversation(
    stores: Stores, saved: tuple[str, str]
) -> None:
    rasas, lean = stores
    for sender_id in saved:
        tracker = await rasas.retrieve(sender_id)
        assert tracker is not None
        assert await latest_input_channel(lean, sender_id) == "socketio"
        assert tracker.get_latest_input_channel() == "socketio"
    assert await latest_input_channel(lean, f"test-lean-{uuid.uuid4().hex}") is None


async def test_closing_the_store_closes_its_connections(
    postgres_url: str, saved: tuple[str, str]
) -> None:
    name = f"test-lean-{uuid.uuid4().hex[:8]}"
    lean = LeanSQLTrackerStore(query={"application_name": name}, **options(postgres_url))
    assert await lean.retrieve(saved[1]) is not None
    await lean.save(await lean.retrieve(saved[1]))
    # kept for the next message: asyncpg's, and the one Rasa's engine created the table on
    assert postgres_connections(postgres_url, name) == 2
    await lean.close()
    assert await postgres_connections_become(postgres_url, name, 0) == 0


async def test_a_tracker_saved_again_stores_only_what_is_new(
    stores: Stores, saved: tuple[str, str]
) -> None:
    """The store counts what it loaded instead of asking the database again on each save: a
    second save of the same tracker, with or without new events, stores each event once."""
    rasas, lean = stores
    by_rasa, by_lean = saved
    for store, sender_id in ((rasas, by_rasa), (lean, by_lean)):
        tracker = await store.retrieve(sender_id)
        assert tracker is not None
        for event in answer("utter_anything_else", "Kan ik nog iets voor je doen?", START + 4010):
            tracker.update(event, DOMAIN)
            await store.save(tracker)
        await store.save(tracker)
    assert rows(rasas, by_lean) == rows(rasas, by_rasa)
    assert len(rows(rasas, by_lean)) == sum(len(message) for message in MESSAGES) + 3


async def test_many_events_saved_at_once_are_stored_in_their_order(stores: Stores) -> None:
    """One statement inserts a message's events: the ids they get follow the tracker's order,
    whatever their timestamps (the same second, or a clock that went back)."""
    rasas, lean = stores
    by_rasa, by_lean = (f"test-lean-{uuid.uuid4().hex}" for _ in range(2))
    events: list[Event] = []
    for n in range(120):
        at = START + 10 - (n % 7) * 0.5  # not in time order
        events += [user(f"message {n}", "greet", at), *answer("utter_greet", f"reply {n}", at)]
    for store, sender_id in ((rasas, by_rasa), (lean, by_lean)):
        tracker = DialogueStateTracker(sender_id, DOMAIN.slots)
        for event in events:
            tracker.update(event, DOMAIN)
        await store.save(tracker)
    assert rows(rasas, by_lean) == rows(rasas, by_rasa)
    full = await lean.retrieve_full_tracker(by_lean)
    assert full is not None and list(full.events) == events


async def test_connections_the_database_dropped_are_replaced_and_nothing_is_lost(
    postgres_url: str, saved: tuple[str, str]
) -> None:
    """After a database restart or failover, the first message finds its pooled connection
    gone: it is read and stored on a new one."""
    name = f"test-lean-{uuid.uuid4().hex[:8]}"
    lean = LeanSQLTrackerStore(query={"application_name": name}, **options(postgres_url))
    try:
        tracker = await lean.retrieve(saved[1])
        assert tracker is not None and postgres_connections(postgres_url, name) == 2
        with sa.create_engine(postgres_url).connect() as connection:
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :name"
                ),
                {"name": name},
            )
        assert await postgres_connections_become(postgres_url, name, 0) == 0
        assert await latest_input_channel(lean, saved[1]) == "socketio"
        tracker.update(user("en nu?", "check_status", START + 4020), DOMAIN)
        await lean.save(tracker)
        again = await lean.retrieve(saved[1])
        assert again is not None and list(again.events) == list(tracker.events)
    finally:
        await lean.close()


async def test_a_busy_server_opens_no_more_connections_than_configured(
    postgres_url: str, saved: tuple[str, str]
) -> None:
    """Statements run side by side on the event loop: HELPDESK_TRACKER_STORE_CONNECTIONS, not
    the number of conversations at once, bounds what a server asks of PostgreSQL."""
    name = f"test-lean-{uuid.uuid4().hex[:8]}"
    lean = LeanSQLTrackerStore(
        query={"application_name": name}, max_connections=3, **options(postgres_url)
    )
    try:
        trackers = await asyncio.gather(*(lean.retrieve(saved[1]) for _ in range(40)))
        assert all(t is not None and len(t.events) == len(MESSAGES[-1]) - 1 for t in trackers)
        assert postgres_connections(postgres_url, name) == 1 + 3  # Rasa's engine's, and the pool
    finally:
        await lean.close()


async def test_closing_does_not_wait_for_ever_on_a_statement_that_hangs(
    postgres_url: str, saved: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server stopping while the database holds a statement (here: a lock another session
    keeps on the table) still stops: the busy connection is cut."""
    monkeypatch.setattr(asyncpg_pool, "CLOSE_SECONDS", 0.5)
    lean = LeanSQLTrackerStore(**options(postgres_url))
    blocker = sa.create_engine(postgres_url).connect()
    try:
        transaction = blocker.begin()
        blocker.execute(sa.text("LOCK TABLE events IN ACCESS EXCLUSIVE MODE"))
        stuck = asyncio.create_task(lean.retrieve(saved[1]))
        await asyncio.sleep(0.5)
        assert not stuck.done()
        started = asyncio.get_running_loop().time()
        await asyncio.wait_for(lean.close(), 10)  # before: waited for the lock, for ever
        assert asyncio.get_running_loop().time() - started < 5
        with pytest.raises(Exception):  # noqa: B017 - whichever error asyncpg gives a cut one
            await stuck
        transaction.rollback()
    finally:
        blocker.close()


async def test_a_password_with_url_characters_reaches_the_database(
    postgres_url: str, saved: tuple[str, str]
) -> None:
    """SQLAlchemy 1.4 renders a password's %, ? and # unescaped: the store passes the parts, not
    a rendered URL (this PostgreSQL trusts local connections, so any password gets in: what is
    tested is that the password does not break the address)."""
    settings = {**options(postgres_url), "password": "p@ss:w/rd%?#x"}
    lean = LeanSQLTrackerStore(query={"application_name": "test-lean-password"}, **settings)
    try:
        assert await latest_input_channel(lean, saved[1]) == "socketio"
    finally:
        await lean.close()


def test_the_lean_store_is_for_postgresql_only(tmp_path) -> None:
    with pytest.raises(ValueError, match="runs on PostgreSQL, not sqlite"):
        LeanSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "trackers.db"))


async def test_in_memory_the_same_conversations_and_the_channel_without_loading_one() -> None:
    rasas, lean = InMemoryTrackerStore(DOMAIN), LeanInMemoryTrackerStore(DOMAIN)
    await converse(rasas, "applicant")
    await converse(lean, "applicant")
    assert lean.store == rasas.store
    assert conversation(await lean.retrieve("applicant")) == conversation(
        await rasas.retrieve("applicant")
    )

    async def loading(_sender_id: str) -> None:
        raise AssertionError("the conversation was loaded")

    lean.retrieve = loading  # type: ignore[method-assign]
    assert await latest_input_channel(lean, "applicant") == "socketio"
    assert await latest_input_channel(lean, "nobody") is None


async def test_in_memory_a_conversation_replaced_or_erased_is_not_answered_from_before() -> None:
    lean = LeanInMemoryTrackerStore(DOMAIN)
    await converse(lean, "applicant")
    assert await latest_input_channel(lean, "applicant") == "socketio"
    # replaced outside save(): read from what is stored now
    lean.store["applicant"] = lean.store["applicant"].replace('"socketio"', '"telegram"')
    assert await latest_input_channel(lean, "applicant") == "telegram"
    # erased (server/erasures.py deletes from `store`): nothing, and nothing kept about it
    del lean.store["applicant"]
    assert await latest_input_channel(lean, "applicant") is None
    assert "applicant" not in lean._channels
