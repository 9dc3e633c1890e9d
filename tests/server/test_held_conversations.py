"""Which channel holds a conversation, as the REST refusal works it out under the lock.

The refusal itself, end to end (403, nothing added, both Rasa servers, PostgreSQL), is tested in
tests/security/test_bad_input.py and tests/production/test_topology.py.
"""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered

from server.held_conversations import holding_channel
from server.tracker_store import LeanInMemoryTrackerStore
from tests.servers import PROJECT

DOMAIN = Domain.load(str(PROJECT / "domain.yml"))


async def test_the_latest_message_tells_the_channel() -> None:
    store = LeanInMemoryTrackerStore(DOMAIN)
    tracker = await store.get_or_create_tracker("chat", append_action_listen=False)
    assert await holding_channel(store, tracker) is None  # a new conversation: nobody's
    tracker.update(UserUttered("hi", input_channel="telegram"))
    tracker.update(UserUttered("hi", input_channel="rest"))
    assert await holding_channel(store, tracker) == "rest"


async def test_a_session_without_messages_yet_asks_the_sessions_before() -> None:
    store = LeanInMemoryTrackerStore(DOMAIN)
    tracker = await store.get_or_create_tracker("chat", append_action_listen=False)
    tracker.update(UserUttered("hi", input_channel="telegram"))
    for event in (ActionExecuted("action_session_start"), SessionStarted()):
        tracker.update(event)
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    latest_session = await store.retrieve("chat")  # what Rasa loads: the latest session only
    assert latest_session is not None
    assert latest_session.get_latest_input_channel() is None
    assert await holding_channel(store, latest_session) == "telegram"
