"""An action runs as in Rasa without the patches of server/action_runs.py: the same events
logged, the same return, the same state given to the action; a rejected action's predicted
events still discarded; a loop still given a copy; the tracker updated the same whether Rasa's
debug records are written or not."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.actions.action import Action, ActionExecutionRejection
from rasa.core.actions.loops import LoopAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.policies.policy import PolicyPrediction
from rasa.core.processor import MessageProcessor
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from ats.settings import ServerSettings
from server import patches

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, check_status]
slots:
  language: {type: text, mappings: [{type: custom}]}
  asked: {type: float, mappings: [{type: custom}]}
responses:
  utter_greet: [{text: "Hello"}]
actions: [action_status]
"""
)


class Recording(Action):
    """An action that answers, sets a slot and notes the state it was given."""

    def __init__(self, name: str = "action_status", reject: bool = False) -> None:
        self._name, self.reject, self.given = name, reject, []

    def name(self) -> str:
        return self._name

    async def run(self, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Event]:
        self.given.append(tracker.current_state(EventVerbosity.ALL))
        if self.reject:
            raise ActionExecutionRejection(self._name)
        return [SlotSet("asked", float(len(tracker.events))), BotUttered("Your application…")]


class Meddling(LoopAction):
    """A loop that changes the tracker it is given, as a form does when it starts."""

    def name(self) -> str:
        return "meddling_loop"

    async def do(self, *args: Any) -> list[Event]:
        return []

    async def activate(self, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list:
        tracker.update(SlotSet("language", "meddled"))
        return []

    async def is_activated(self, *args: Any) -> bool:
        return False

    async def is_done(self, *args: Any) -> bool:
        return True

    async def deactivate(self, *args: Any) -> list[Event]:
        return []


@pytest.fixture
def unpatched() -> Iterator[None]:
    patches.undo_all()
    yield
    patches.undo_all()


def processor() -> MessageProcessor:
    made = MessageProcessor.__new__(MessageProcessor)
    made.domain = DOMAIN
    made.action_endpoint = None
    return made


def conversation() -> DialogueStateTracker:
    tracker = DialogueStateTracker("applicant-1", DOMAIN.slots)
    events: list[Event] = [ActionExecuted("action_session_start"), SessionStarted()]
    for n in range(30):
        intent = {"name": "check_status", "confidence": 0.9}
        events += [
            ActionExecuted("action_listen"),
            UserUttered(f"message {n}", intent, parse_data={"intent": intent, "entities": []}),
            SlotSet("language", "en"),
            ActionExecuted("action_status"),
            BotUttered(f"reply {n}"),
        ]
    events.append(ActionExecuted("action_listen"))
    tracker.update_with_events(events, DOMAIN)
    tracker.update(UserUttered("and now?", {"name": "check_status", "confidence": 0.8}))
    return tracker


def run(action: Action, prediction: PolicyPrediction) -> tuple[Any, list[dict], Any]:
    tracker = conversation()
    channel = CollectingOutputChannel()
    again = asyncio.run(processor()._run_action(action, tracker, channel, None, prediction))
    return again, tracker.current_state(EventVerbosity.ALL)["events"], tracker


def without_times(events: list[dict]) -> list[dict]:
    return [{k: v for k, v in e.items() if k not in ("timestamp", "message_id")} for e in events]


def both_ways(action: Any, prediction: PolicyPrediction) -> list[Any]:
    seen = []
    for patched in (False, True):
        patches.undo_all()
        if patched:
            patches.apply_all(patches.RASA_SERVER, ServerSettings())
        answer, events, _ = run(action(), prediction)
        seen.append((answer, without_times(events)))
    return seen


def test_an_action_logs_the_same_events_with_and_without_the_patch(unpatched: None) -> None:
    before, after = both_ways(Recording, PolicyPrediction([], "RulePolicy"))
    assert after == before
    assert [e["event"] for e in after[1][-3:]] == ["action", "slot", "bot"]
    assert after[1][-2]["value"] == len(conversation().events)  # the action saw it all


def test_the_action_is_given_the_conversation_as_it_was(unpatched: None) -> None:
    given = []
    for patched in (False, True):
        patches.undo_all()
        if patched:
            patches.apply_all(patches.RASA_SERVER, ServerSettings())
        action = Recording()
        run(action, PolicyPrediction([], "RulePolicy"))
        state = action.given[0]
        state["events"] = without_times(state["events"])
        state.pop("latest_event_time")
        given.append(state)
    assert given[1] == given[0]


def test_a_rejected_action_still_has_its_predicted_events_discarded(unpatched: None) -> None:
    prediction = PolicyPrediction([], "RulePolicy", events=[SlotSet("language", "nl")])
    patches.apply_all(patches.RASA_SERVER, ServerSettings())
    action = Recording(reject=True)
    _, events, tracker = run(action, prediction)
    # the action saw the predicted slot, the conversation kept neither it nor a reply
    assert action.given[0]["slots"]["language"] == "nl"
    assert tracker.get_slot("language") == "en"
    assert events[-1]["event"] == "action_execution_rejected"


def test_a_loop_is_still_given_a_copy(unpatched: None) -> None:
    patches.apply_all(patches.RASA_SERVER, ServerSettings())
    _, _, tracker = run(Meddling(), PolicyPrediction([], "RulePolicy"))
    assert tracker.get_slot("language") == "en"  # what the loop changed stayed on its copy
    assert "copy" not in tracker.__dict__ and tracker.copy() is not tracker


def test_after_an_action_a_copy_is_a_copy_again(unpatched: None) -> None:
    patches.apply_all(patches.RASA_SERVER, ServerSettings())
    _, _, tracker = run(Recording(), PolicyPrediction([], "RulePolicy"))
    copied = tracker.copy()
    assert copied is not tracker and list(copied.events) == list(tracker.events)


def test_the_same_events_whether_debug_records_are_written_or_not(
    unpatched: None, caplog: pytest.LogCaptureFixture
) -> None:
    patches.apply_all(patches.RASA_SERVER, ServerSettings())
    logger = logging.getLogger("rasa.core.processor")
    level = logger.level
    seen = []
    try:
        for debug in (False, True):
            logger.setLevel(logging.DEBUG if debug else logging.INFO)
            answer, events, _ = run(Recording(), PolicyPrediction([], "RulePolicy"))
            seen.append((answer, without_times(events)))
    finally:
        logger.setLevel(level)
    assert seen[0] == seen[1]
