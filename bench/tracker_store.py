"""The SQL tracker store alone, as a Rasa server uses it per message: load the conversation,
add the message's events, save. N conversations at once on the real PostgreSQL; prints the
messages per second and this process's CPU time per message (all its threads), for the lean
store (server/tracker_store.py) and, with --rasa, Rasa's own SQLTrackerStore beside it.

    .venv/bin/python bench/tracker_store.py [--conversations 200] [--messages 8] [--rasa]

Needs PostgreSQL (ATS_TEST_POSTGRES_URL's server; a database `helpdesk_bench_trackers` is
created and dropped). Run from another checkout with PYTHONPATH set to measure its store.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from pathlib import Path
from typing import Any

import psycopg2
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from server.held_conversations import holding_channel
from server.tracker_store import LeanSQLTrackerStore

PROJECT = Path(__file__).resolve().parent.parent
DATABASE = "helpdesk_bench_trackers"
CONCURRENCY = 20


class Broker:
    """Keeps nothing: the events' way to RabbitMQ is measured by bench/conversation_load.py."""

    def publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        pass


def message_events(n: int, at: float) -> list:
    """One message's events as the help desk stores them: the applicant's words, a slot, the
    reply."""
    intent = {"name": "check_status", "confidence": 0.97}
    parse = {"text": f"message {n}", "intent": intent, "entities": [], "intent_ranking": [intent]}
    return [
        UserUttered(f"message {n}", intent, parse_data=parse, timestamp=at, input_channel="rest"),
        SlotSet("language", "en", timestamp=at + 0.001),
        ActionExecuted("action_check_status", timestamp=at + 0.002),
        BotUttered(f"reply {n} " + "x" * 200, {"elements": None}, timestamp=at + 0.003),
        ActionExecuted("action_listen", timestamp=at + 0.004),
    ]


async def converse(store: SQLTrackerStore, domain: Domain, sender: str, messages: int) -> None:
    for n in range(messages):
        tracker = await store.retrieve(sender)
        if tracker is not None:
            await holding_channel(store, tracker)  # the REST channel's check, under the lock
        events = message_events(n, time.time())
        if tracker is None:
            tracker = DialogueStateTracker(sender, domain.slots)
            now = time.time()
            events = [
                ActionExecuted("action_session_start", timestamp=now),
                SessionStarted(timestamp=now),
                ActionExecuted("action_listen", timestamp=now),
                *events,
            ]
        for event in events:
            tracker.update(event, domain)
        await store.save(tracker)


async def measure(kind: type[SQLTrackerStore], options: dict, conversations: int, messages: int):
    domain = Domain.load(str(PROJECT / "domain.yml"))
    store = kind(domain=domain, event_broker=Broker(), **options)
    waiting = asyncio.Semaphore(CONCURRENCY)

    async def one(i: int) -> None:
        async with waiting:
            await converse(store, domain, f"{kind.__name__}-{i}", messages)

    await converse(store, domain, f"{kind.__name__}-warm-up", 2)
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(i) for i in range(conversations)))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    if hasattr(store, "close"):
        await store.close()
    store.engine.dispose()
    total = conversations * messages
    print(
        f"| {kind.__name__} | {total} | {total / wall:.0f} | {1000 * cpu / total:.2f} ms |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--messages", type=int, default=8)
    parser.add_argument("--rasa", action="store_true", help="Rasa's SQLTrackerStore too")
    args = parser.parse_args()
    server = make_url(
        os.environ.get("ATS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    )
    admin = psycopg2.connect(host=server.host, port=server.port or 5432, user=server.username)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    options = {
        "dialect": "postgresql",
        "host": server.host,
        "port": server.port or 5432,
        "db": DATABASE,
        "username": server.username,
    }
    print(f"{args.conversations} conversations of {args.messages} messages, {CONCURRENCY} at once")
    print("| store | messages | msg/s | CPU per message |\n|---|---|---|---|")
    try:
        kinds = [LeanSQLTrackerStore, *([SQLTrackerStore] if args.rasa else [])]
        for kind in kinds:
            asyncio.run(measure(kind, options, args.conversations, args.messages))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.close()


if __name__ == "__main__":
    main()
