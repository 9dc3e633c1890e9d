"""The dialogue policies see the same past with the replay kept per tracker (server/prior_states.py)
as with Rasa's replay from scratch: compared after every event of random conversations (rewinds,
reverted actions, restarts, forms, rule-only turns, entities), for every way the policies ask,
while the states handed out are changed as the policies change them."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.constants import ACTION_LISTEN_NAME, PREVIOUS_ACTION, USER
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from ats.settings import ServerSettings
from server.prior_states import KEPT, replayed_once

PROJECT = Path(__file__).resolve().parents[2]

# slots of each kind that shape the conversation, a form, entities with roles: what the help
# desk's own domain has not got, so that the replay is compared on them too
RICH_DOMAIN = """
version: "3.1"
intents:
  - greet
  - inform
  - check_status:
      use_entities: [reference]
  - stop
entities:
  - reference
  - email
  - city:
      roles: [from, to]
slots:
  reference:
    type: text
    mappings: [{type: from_entity, entity: reference}]
  verified:
    type: bool
    mappings: [{type: custom}]
  attempts:
    type: float
    min_value: 0
    max_value: 5
    mappings: [{type: custom}]
  stage:
    type: categorical
    values: [new, screening, offer]
    mappings: [{type: custom}]
  note:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
forms:
  reference_form:
    required_slots: [reference]
responses:
  utter_greet: [{text: "Hello"}]
  utter_ask_reference: [{text: "Your reference?"}]
actions:
  - action_status
  - action_handover
"""

RULE_ONLY = {"rule_only_slots": ["verified"], "rule_only_loops": ["reference_form"]}


@pytest.fixture(scope="module", params=["rich", "help desk"])
def domain(request: pytest.FixtureRequest) -> Domain:
    if request.param == "rich":
        return Domain.from_yaml(RICH_DOMAIN)
    return Domain.load(str(PROJECT / "domain.yml"))


def a_slot_value(domain: Domain, name: str, rng: random.Random) -> Any:
    slot = next(s for s in domain.slots if s.name == name)
    kind = type(slot).__name__
    if kind == "BooleanSlot":
        return rng.choice([True, False, None])
    if kind == "FloatSlot":
        return rng.choice([0.0, 1.0, 2.5, 7.0, None])
    if kind == "CategoricalSlot":
        return rng.choice([*slot.values, None])
    return rng.choice(["AP-6VFK-8RMB", "en", "", None])


def an_event(domain: Domain, rng: random.Random) -> Event:
    """One event as a conversation has them, rewinds and restarts included."""
    actions = [a for a in domain.action_names_or_texts if not a.startswith("utter_ask")]
    roll = rng.random()
    if roll < 0.25:
        entities = rng.sample(
            [
                {"entity": "reference", "value": "AP-6VFK-8RMB", "start": 0, "end": 12},
                {"entity": "email", "value": "a@example.com", "start": 0, "end": 13},
                {"entity": "city", "role": rng.choice(["from", "to"]), "value": "Utrecht"},
            ],
            rng.randint(0, 2),
        )
        intent = rng.choice(domain.intents)
        return UserUttered(
            rng.choice(["hello", "AP-6VFK-8RMB", "where is it?"]),
            {"name": intent, "confidence": rng.random()},
            entities,
        )
    if roll < 0.55:
        return ActionExecuted(rng.choice(actions), hide_rule_turn=rng.random() < 0.3)
    if roll < 0.62:
        return ActionExecuted(ACTION_LISTEN_NAME)
    if roll < 0.75 and domain.slots:
        name = rng.choice(domain.slots).name
        return SlotSet(name, a_slot_value(domain, name, rng))
    if roll < 0.8:
        return ActiveLoop(rng.choice([*domain.form_names, None]))
    if roll < 0.84:
        return BotUttered("Hello")
    if roll < 0.88:
        return UserUtteranceReverted()
    if roll < 0.91:
        return ActionReverted()
    if roll < 0.94:
        return FollowupAction(rng.choice(actions))
    if roll < 0.96:
        return SessionStarted()
    if roll < 0.97:
        return Restarted()
    return ActionExecuted(rng.choice(domain.form_names or actions))


ASKED = [
    {"omit_unset_slots": omit, "ignore_rule_only_turns": ignore, "rule_only_data": data}
    for omit in (False, True)
    for ignore in (False, True)
    for data in (None, RULE_ONLY)
]


def as_the_policies_do(states: list[dict[str, Any]], rng: random.Random) -> None:
    """The featurizer drops the intent or the text of the last user input from the states it is
    given; a replay kept beside the tracker must not see that."""
    if states and states[-1].get(USER):
        states[-1][USER].pop(rng.choice(["intent", "text"]), None)
    for state in states:
        state.pop(PREVIOUS_ACTION, None)


@pytest.mark.parametrize("history", [None, 12], ids=["all events", "the last 12 events"])
@pytest.mark.parametrize("seed", range(30))
def test_the_same_states_as_rasas_after_every_event(
    domain: Domain, seed: int, history: int | None
) -> None:
    original = Domain.states_for_tracker_history
    kept = replayed_once(original, ServerSettings())
    rng = random.Random(seed)
    tracker = DialogueStateTracker(f"fuzz-{seed}", domain.slots, max_event_history=history)
    for _ in range(60):
        tracker.update(an_event(domain, rng), domain)
        for asked in rng.sample(ASKED, 3):
            ours = kept(domain, tracker, **asked)
            assert ours == original(domain, tracker, **asked), asked
            as_the_policies_do(ours, rng)
        assert kept(domain, tracker, **ASKED[0]) == original(domain, tracker, **ASKED[0])
    assert tracker.__dict__[KEPT], "the replay is kept beside the tracker"


def test_a_rewind_replays_from_the_start(domain: Domain) -> None:
    original = Domain.states_for_tracker_history
    kept = replayed_once(original, ServerSettings())
    intent = domain.intents[0]
    tracker = DialogueStateTracker.from_events(
        "rewound",
        [
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered("hi", {"name": intent, "confidence": 1.0}),
            ActionExecuted(domain.action_names_or_texts[-1]),
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered("again", {"name": intent, "confidence": 1.0}),
        ],
        domain.slots,
    )
    before = kept(domain, tracker)
    replay = next(iter(tracker.__dict__[KEPT].values()))
    tracker.update(UserUtteranceReverted(), domain)  # the last message and what followed, undone
    after = kept(domain, tracker)
    assert after == original(domain, tracker)
    assert after != before
    assert next(iter(tracker.__dict__[KEPT].values())) is not replay
