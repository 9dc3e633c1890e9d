"""Erased conversations leave the Rasa server too (server/erasures.py): its in-memory tracker
store (Rasa's own, with Rasa's trackers), and the spool files of this process and of processes
that stopped, never the file of another live process; conversations that never verified go from
memory after HELPDESK_UNVERIFIED_RETENTION_DAYS. On SQLite and PostgreSQL ATS databases, and
once in a running help desk."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import (
    AwaitableTrackerStore,
    FailSafeTrackerStore,
    InMemoryTrackerStore,
)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select

from ats.models import AuditEntry, Candidate, ErasureAnnouncement, LinkedChat
from ats.privacy.conversations import remember_conversation
from ats.privacy.erasure import Eraser
from ats.privacy.erasure_steps import request_tracker_erasures
from ats.privacy.keys import ErasureKeys
from ats.review import Noticed, keep_for_review, waiting_for_review
from ats.services import Services, use_services
from ats.settings import ServerSettings, Settings
from ats.store import ATSStore
from server import erasures
from server.erasures import ConversationEraser, SpoolFolder, spooled_event, spooled_handover
from server.lifecycle import closing_ours_too, starting_ours_too
from server.spool import Spool
from server.tracker_store import LeanInMemoryTrackerStore
from tests.ats.helpers import add, row
from tests.servers import get_text
from tests.web.conftest import API_TOKEN, PLAIN

UTC = timezone.utc
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PROJECT = Path(__file__).parents[2]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def eraser_settings(db_settings: Settings, tmp_path: Path) -> Settings:
    """The in-memory tracker store (no tracker store URL), a spool folder of the test's own."""
    return dataclasses.replace(
        db_settings,
        secret_key="erasure-test-key",
        outbox_dir=tmp_path / "outbox",
        servers=ServerSettings(spool_dir=tmp_path / "spool"),
    )


def memory() -> LeanInMemoryTrackerStore:
    """The in-memory store a Rasa server runs with by default (server/endpoints.py)."""
    return LeanInMemoryTrackerStore(Domain.empty())


async def talk(trackers: InMemoryTrackerStore, sender: str, at: datetime, text: str) -> None:
    """A message and the assistant's answer, saved as Rasa saves a conversation."""
    tracker = await trackers.retrieve(sender) or DialogueStateTracker(sender, slots=[])
    moment = at.timestamp()
    tracker.update(UserUttered(text, timestamp=moment))
    tracker.update(ActionExecuted("utter_greet", timestamp=moment + 1))
    tracker.update(BotUttered("Hello! How can I help?", timestamp=moment + 1))
    await trackers.save(tracker)


async def erasure_asked(store: ATSStore, settings: Settings, sender: str, at: datetime) -> None:
    """What the purge writes for a conversation it erased (ats/privacy/erasure.py)."""
    async with store.session() as session, session.begin():
        await request_tracker_erasures(session, [ErasureKeys.of(settings).conversation(sender)], at)


# -- the in-memory tracker store ---------------------------------------------------------------


async def test_an_erased_applicants_conversation_leaves_the_memory_and_others_stay(
    store: ATSStore, eraser_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(START)
    await add(
        store,
        eraser_settings,
        row(2),
        row(3, candidate_name="James Smith", candidate_email="james@example.com"),
        now=START,
    )
    async with store.session() as session, session.begin():
        await remember_conversation(session, "james@example.com", "rest", "web-james", START)
        await remember_conversation(session, "sanne@example.nl", "rest", "web-sanne", START)
    trackers = memory()
    await talk(trackers, "web-james", START, "Status please, James Smith here")
    await talk(trackers, "web-sanne", START, "Waar staat mijn sollicitatie?")
    eraser = ConversationEraser(
        store,
        eraser_settings,
        tracker_store=FailSafeTrackerStore(AwaitableTrackerStore(trackers)),  # as the agent has it
        lock_store=InMemoryLockStore(),
        clock=clock,
    )
    assert (await eraser.check()).conversations == 0  # nothing asked yet

    clock.now = START + timedelta(hours=2)
    erased = await Eraser(store, eraser_settings, clock).erase_applicant(
        "james@example.com", actor="admin@example.com"
    )
    assert erased is not None and erased.applicants == 1
    with caplog.at_level(logging.INFO, logger="server.erasures"):
        done = await eraser.check()
    assert (done.requests, done.conversations) == (1, 1)
    assert await trackers.retrieve("web-james") is None
    # nor is its id kept beside its channel (a web chat's id is a bearer secret)
    assert "web-james" not in trackers._channels and "web-sanne" in trackers._channels
    sanne = await trackers.retrieve("web-sanne")
    assert sanne is not None and sanne.latest_message.text == "Waar staat mijn sollicitatie?"
    # counted, never named
    assert "1 erased conversation(s)" in caplog.text
    assert "web-" not in caplog.text and "James" not in caplog.text

    # James writes again from the same conversation id: a new conversation, not erased again
    # (the next checks still read the erasure, within the hour they look back)
    clock.now = START + timedelta(hours=2, minutes=5)
    await talk(trackers, "web-james", clock.now, "Hello again")
    assert (await eraser.check()).conversations == 0
    again = await trackers.retrieve("web-james")
    assert again is not None and again.latest_message.text == "Hello again"


async def test_an_erasure_asked_in_the_middle_of_a_message_waits_for_the_conversations_lock(
    store: ATSStore, eraser_settings: Settings
) -> None:
    trackers = memory()
    locks = InMemoryLockStore()
    await talk(trackers, "web-james", START, "Status please")
    await erasure_asked(store, eraser_settings, "web-james", START + timedelta(minutes=1))
    eraser = ConversationEraser(
        store, eraser_settings, tracker_store=trackers, lock_store=locks, clock=Clock(START)
    )
    async with locks.lock("web-james"):  # the server is handling a message of James
        check = asyncio.create_task(eraser.check())
        for _ in range(1000):  # until the check queues for the conversation's lock
            lock = locks.get_lock("web-james")
            if lock is not None and len(lock.tickets) == 2:
                break
            await asyncio.sleep(0.01)
        tracker = await trackers.retrieve("web-james")
        assert tracker is not None and not check.done()
        tracker.update(BotUttered("Your application is with the recruiter"))
        await trackers.save(tracker)  # the reply, saved before the lock is let go
    done = await check
    # dropped after the reply was saved, not before (the reply would have brought it back)
    assert done.conversations == 1 and await trackers.retrieve("web-james") is None


async def test_conversations_that_never_verified_leave_the_memory_after_the_period(
    store: ATSStore, eraser_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings = dataclasses.replace(eraser_settings, unverified_retention_days=30)
    await add(store, settings, row(2), now=START)
    async with store.session() as session, session.begin():
        await remember_conversation(session, "sanne@example.nl", "rest", "web-sanne", START)
    await link_chat(store, "telegram", "777", "sanne@example.nl")
    trackers = memory()
    for sender in ("web-stranger", "web-sanne", "777"):
        await talk(trackers, sender, START, "hello, I am Pim, pim@nowhere.example")
    await talk(trackers, "web-recent", START + timedelta(days=20), "hi")
    clock = Clock(START + timedelta(days=29))
    eraser = ConversationEraser(store, settings, tracker_store=trackers, clock=clock)
    assert (await eraser.check()).idle == 0  # not idle long enough yet
    assert set(trackers.store) == {"web-stranger", "web-sanne", "777", "web-recent"}

    clock.now = START + timedelta(days=31)
    with caplog.at_level(logging.INFO, logger="server.erasures"):
        done = await eraser.check()
    assert done.idle == 1
    # the stranger is gone; the verified conversation, the linked chat and the recent one stay
    assert set(trackers.store) == {"web-sanne", "777", "web-recent"}
    assert "1 idle one(s)" in caplog.text and "stranger" not in caplog.text
    async with store.session() as session:
        [announcement] = (await session.scalars(select(ErasureAnnouncement.payload))).all()
        [audit] = (await session.scalars(select(AuditEntry))).all()
    event = json.loads(announcement)
    assert (event["reason"], event["sender_ids"]) == ("unverified", ["web-stranger"])
    assert audit.detail == "unverified in memory: 1 conversation(s)"

    clock.now = START + timedelta(days=51)
    assert (await eraser.check()).idle == 1 and set(trackers.store) == {"web-sanne", "777"}
    # within the hour the next checks do not parse every conversation again
    await talk(trackers, "web-old", START, "old")
    clock.now += timedelta(minutes=5)
    assert (await eraser.check()).idle == 0 and "web-old" in trackers.store
    clock.now += timedelta(hours=1)
    assert (await eraser.check()).idle == 1 and "web-old" not in trackers.store


async def test_an_idle_strangers_message_leaves_the_review_inbox_with_the_memory(
    store: ATSStore, eraser_settings: Settings
) -> None:
    settings = dataclasses.replace(eraser_settings, unverified_retention_days=30)
    trackers = memory()
    said = "zwrx, mail me at pim@nowhere.example"
    await talk(trackers, "web-stranger", START, said)
    hashed = ErasureKeys.of(settings).conversation("web-stranger")
    noticed = Noticed("web-stranger", hashed, START, said, "greet", 0.3, "fallback")
    assert await keep_for_review(store, noticed, START)
    [item] = await waiting_for_review(store)
    assert item.text == "zwrx, mail me at name@example.com"

    eraser = ConversationEraser(
        store, settings, tracker_store=trackers, clock=Clock(START + timedelta(days=31))
    )
    assert (await eraser.check()).idle == 1
    assert await waiting_for_review(store) == []


async def link_chat(store: ATSStore, channel: str, chat_id: str, email: str) -> None:
    """A chat linked to an applicant, and nothing else (ats/linking.py also remembers it as
    the applicant's conversation): the linked chat alone keeps it."""
    async with store.session() as session, session.begin():
        candidate_id = await session.scalar(select(Candidate.id).where(Candidate.email == email))
        session.add(
            LinkedChat(channel=channel, chat_id=chat_id, candidate_id=candidate_id, linked_at=START)
        )


# -- the spool files -------------------------------------------------------------------------

WRITER = """
import json, sys
from pathlib import Path
from server.spool import Spool
spool = Spool(Path(sys.argv[1]))
for line in sys.argv[2:]:
    spool.add(json.loads(line))
print(spool.path, flush=True)
sys.stdin.readline()  # stays alive, its file locked, until told
"""


class Writer:
    """Another Rasa server process with a spool file of its own in `folder`."""

    def __init__(self, folder: Path, *items: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), *(json.dumps(i) for i in items)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=PROJECT,
        )
        assert self.process.stdout is not None
        self.path = Path(self.process.stdout.readline().strip())

    def stop(self) -> None:
        """Its process ends without closing its spool: what it spooled stays for others."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(timeout=30)

    def lines(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines()]


@pytest.fixture
def writers() -> Iterator[list[Writer]]:
    started: list[Writer] = []
    yield started
    for writer in started:
        writer.stop()


def handover(sender: str, at: datetime) -> dict[str, Any]:
    return {
        "conversation_id": sender,
        "action": "action_hand_to_human",
        "channel": "rest",
        "at": at.timestamp(),
    }


def event(sender: str, at: datetime, text: str) -> dict[str, Any]:
    return {
        "event": {"event": "user", "sender_id": sender, "text": text, "timestamp": at.timestamp()},
        "headers": None,
    }


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_erased_conversations_leave_this_process_spool_and_stopped_ones_not_live_ones(
    store: ATSStore, eraser_settings: Settings, writers: list[Writer]
) -> None:
    asked = START + timedelta(hours=2)
    before, after = START, asked + timedelta(minutes=1)
    handovers = eraser_settings.servers.spool_dir / "handovers"
    events = eraser_settings.servers.spool_dir / "events"
    own = Spool(handovers)
    try:
        own.add(handover("web-james", before))
        own.add(handover("web-sanne", before))
        own.add(handover("web-james", after))  # asked again in a new conversation: kept
        stopped = Writer(handovers, handover("web-sanne", before), handover("web-james", before))
        only_james = Writer(handovers, handover("web-james", before))
        live = Writer(handovers, handover("web-james", before), handover("web-sanne", before))
        stopped_events = Writer(
            events,
            event("web-james", before, "James Smith here"),
            event("web-sanne", before, "hoi"),
        )
        live_events = Writer(events, event("web-james", before, "James Smith here"))
        writers.extend([stopped, only_james, live, stopped_events, live_events])
        for writer in (stopped, only_james, stopped_events):
            writer.stop()
        await erasure_asked(store, eraser_settings, "web-james", asked)
        eraser = ConversationEraser(
            store,
            eraser_settings,
            spools=(
                SpoolFolder(events, None, spooled_event),  # this process has no event broker
                SpoolFolder(handovers, own, spooled_handover),
            ),
            clock=Clock(asked),
        )
        assert (await eraser.check()).spooled == 4

        assert [(i["conversation_id"], i["at"]) for i in map(json.loads, own_lines(own))] == [
            ("web-sanne", before.timestamp()),
            ("web-james", after.timestamp()),
        ]
        assert [i["conversation_id"] for i in stopped.lines()] == ["web-sanne"]
        assert not only_james.path.exists()  # nothing left: the file goes
        assert [i["event"]["sender_id"] for i in stopped_events.lines()] == ["web-sanne"]
        # another server still appends to these: left alone, its own check filters them
        assert [i["conversation_id"] for i in live.lines()] == ["web-james", "web-sanne"]
        assert [i["event"]["sender_id"] for i in live_events.lines()] == ["web-james"]
        # this process goes on spooling into its file
        own.add(handover("web-piet", after))
        assert len(own_lines(own)) == 3

        # once that server has stopped, the next check here filters what it left
        live.stop()
        live_events.stop()
        assert (await eraser.check()).spooled == 2
        assert [i["conversation_id"] for i in live.lines()] == ["web-sanne"]
        assert not live_events.path.exists()
    finally:
        own.close()


def own_lines(spool: Spool) -> list[str]:
    return spool.read(spool.path).splitlines()


# -- failures, and the Rasa server's start and stop --------------------------------------------


async def test_a_failing_database_is_logged_and_the_next_check_tries_again(
    store: ATSStore, eraser_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    trackers = memory()
    await talk(trackers, "web-james", START, "Status please, James Smith here")
    await erasure_asked(store, eraser_settings, "web-james", START + timedelta(minutes=1))
    eraser = ConversationEraser(store, eraser_settings, tracker_store=trackers, clock=Clock(START))
    await rename(store, "tracker_erasures", "tracker_erasures_away")  # the database fails
    try:
        with caplog.at_level(logging.INFO, logger="server.erasures"):
            checking = asyncio.create_task(eraser.loop(interval=1))
            await until(lambda: "the erasure check failed" in caplog.text)
            assert "web-james" in trackers.store
    finally:
        await rename(store, "tracker_erasures_away", "tracker_erasures")
    try:
        await until(lambda: "web-james" not in trackers.store)
        assert "trying again in 1.0 s" in caplog.text and "web-james" not in caplog.text
    finally:
        await erasures.stop_checking()
    assert checking.done() and not erasures._checks


async def rename(store: ATSStore, table: str, to: str) -> None:
    async with store.engine.begin() as connection:
        await connection.exec_driver_sql(f"ALTER TABLE {table} RENAME TO {to}")


async def until(condition: Any) -> None:
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the erasure check did not get there")


async def test_the_rasa_server_checks_from_its_start_until_it_stops(
    store: ATSStore, eraser_settings: Settings
) -> None:
    servers = dataclasses.replace(eraser_settings.servers, erasure_check_seconds=1)
    eraser_settings = dataclasses.replace(eraser_settings, servers=servers)
    now = datetime.now(UTC)  # the server's own clock
    trackers = memory()
    await talk(trackers, "web-james", now, "Status please, James Smith here")
    await talk(trackers, "web-sanne", now, "Hoi")
    await erasure_asked(store, eraser_settings, "web-james", now + timedelta(minutes=1))
    agent = SimpleNamespace(
        tracker_store=FailSafeTrackerStore(AwaitableTrackerStore(trackers)),
        lock_store=InMemoryLockStore(),
    )

    async def rasas_load(*_: Any) -> Any:
        return agent

    async def rasas_close(*_: Any) -> None:
        return None

    app = SimpleNamespace(
        ctx=SimpleNamespace(input_channels=[], agent=agent),
        add_task=lambda work: asyncio.get_running_loop().create_task(work),
    )
    use_services(Services.create(eraser_settings, store))
    try:
        load = starting_ours_too(rasas_load, eraser_settings.servers)
        assert await load(None, None, None, app, asyncio.get_running_loop()) is agent
        await until(lambda: "web-james" not in trackers.store)  # the first check, at once
        assert "web-sanne" in trackers.store and erasures._checks
        [checking] = erasures._checks
        # a new model through Rasa's API: a new agent, with a new in-memory tracker store
        replaced = memory()
        await talk(replaced, "web-james", now, "Status please, James Smith here")
        app.ctx.agent = SimpleNamespace(tracker_store=replaced, lock_store=agent.lock_store)
        await until(lambda: "web-james" not in replaced.store)
        await closing_ours_too(rasas_close, eraser_settings.servers)(app, None)
        assert checking.done() and not erasures._checks
    finally:
        use_services(None)


# -- a running help desk -----------------------------------------------------------------------


async def test_a_running_help_desk_forgets_a_conversation_erased_in_its_database(
    running_helpdesk: Any,
) -> None:
    helpdesk = running_helpdesk("erasure", **PLAIN, HELPDESK_ERASURE_CHECK_SECONDS="1")
    james, sanne = f"rest-james-{uuid.uuid4().hex}", f"rest-sanne-{uuid.uuid4().hex}"
    helpdesk.send(james, "Hi, I have a question")
    helpdesk.send(sanne, "Hoi, ik heb een vraag")
    assert said(helpdesk, james) == ["Hi, I have a question"]

    # what an erasure (the desk's "erase now", the retention purge) records for the servers
    settings = Settings.from_env(
        {
            "ATS_DATABASE_URL": f"sqlite:///{helpdesk.home / 'ats.db'}",
            "HELPDESK_SECRET_KEY": "test-secret",
        }
    )
    ats = ATSStore.from_settings(settings)
    try:
        await erasure_asked(ats, settings, james, datetime.now(UTC))
    finally:
        await ats.close()
    for _ in range(300):  # checked every second
        if "Hi, I have a question" not in said(helpdesk, james):
            break
        await asyncio.sleep(0.1)
    assert said(helpdesk, james) == []
    assert said(helpdesk, sanne) == ["Hoi, ik heb een vraag"]


def said(helpdesk: Any, sender: str) -> list[str]:
    """What the applicant said in the conversation the Rasa server holds (Rasa's API)."""
    status, kept = get_text(
        f"http://localhost:{helpdesk.rasa_port}/conversations/{sender}/tracker"
        f"?include_events=ALL&token={API_TOKEN}"
    )
    assert status == 200
    return [e["text"] for e in json.loads(kept)["events"] if e["event"] == "user"]
