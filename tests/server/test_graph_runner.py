"""The trained model run with the help desk's patches (server/patches.py: the graph in a fixed
order, the classifier's coefficients by column, event classes from a table) understands,
predicts and keeps conversations exactly as Rasa does without them: the same intents and
confidences, the same next actions with the same scores, the same trackers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import GraphSchema, SchemaNode

from ats.settings import ServerSettings
from ops.model import ensure_model
from server import patches
from server.graph_runner import run_order

# as applicants write: both languages, references, addresses, codes, typos, mixed
CONVERSATIONS = [
    [
        "Hello",
        "did you get my application?",
        "my reference is AP-6VFK-8RMB",
        "bench3@example.com",
        "123456",
        "thanks!",
    ],
    [
        "Hoi",
        "Hoe staat het met mijn sollicitatie?",
        "AP-6VFK-8RMB",
        "ik wil een mens spreken",
        "Sanne de Vries",
        "sanne@example.nl",
        "doei",
    ],
    ["any news 4 me? applied 3 weeks ago", "??", "I want to talk to a human", "cheers"],
    ["wat is de status", "english please", "forget my data", "yes"],
]


@pytest.fixture(scope="module")
def agent() -> Iterator[Agent]:
    patches.undo_all()
    yield Agent.load(str(ensure_model()))
    patches.undo_all()


def understood(agent: Agent, messages: list[str]) -> list[dict[str, Any]]:
    async def parse() -> list[dict[str, Any]]:
        return [await agent.parse_message(message) for message in messages]

    return asyncio.run(parse())


def conversation(agent: Agent, sender: str, messages: list[str]) -> list[Any]:
    """Each message logged as the server logs it, with the next action predicted after it; the
    tracker as read back from the tracker store at the end."""

    async def converse() -> list[Any]:
        seen: list[Any] = []
        for message in messages:
            await agent.processor.log_message(UserMessage(message, sender_id=sender))
            prediction = await agent.processor.predict_next_for_sender_id(sender)
            assert prediction is not None
            seen.append((prediction["scores"], prediction["policy"], prediction["confidence"]))
        tracker = await agent.tracker_store.retrieve(sender)
        events = [event.as_dict() for event in tracker.events]
        for event in events:  # when, and the random id each message is given
            event.pop("timestamp", None)
            event.pop("message_id", None)
            event.get("parse_data", {}).pop("message_id", None)
        seen.append(events)
        seen.append(tracker.current_slot_values())
        return seen

    return asyncio.run(converse())


def test_the_same_intents_predictions_and_trackers_as_rasas_own(agent: Agent) -> None:
    messages = [message for messages in CONVERSATIONS for message in messages]
    before = understood(agent, messages)
    conversations = [
        conversation(agent, f"rasa-{n}", messages) for n, messages in enumerate(CONVERSATIONS)
    ]

    patches.apply_all(patches.RASA_SERVER, ServerSettings())
    assert "rasa.engine.runner.dask:DaskGraphRunner.run" in patches.applied()
    after = understood(agent, messages)
    assert [parsed["intent"]["name"] for parsed in after][:2] == ["greet", "check_status"]
    assert after == before
    for n, messages in enumerate(CONVERSATIONS):
        assert conversation(agent, f"patched-{n}", messages) == conversations[n]


def schema(**needs: dict[str, str]) -> GraphSchema:
    return GraphSchema(
        {
            name: SchemaNode(
                needs=node_needs, uses=object, constructor_name="create", fn="f", config={}
            )
            for name, node_needs in needs.items()
        }
    )


def test_each_node_runs_after_those_it_needs_and_only_those_the_targets_need() -> None:
    graph = schema(
        tokens={"messages": "__message__"},
        words={"messages": "tokens"},
        letters={"messages": "tokens"},
        intent={"words": "words", "letters": "letters"},
        unused={"messages": "tokens"},
    )
    order = run_order(graph, ["intent"])
    assert [name for name, _ in order] == ["tokens", "words", "letters", "intent"]
    assert dict(order)["intent"] == ("words", "letters")  # in the parameters' order
    assert dict(order)["tokens"] == ("__message__",)  # an input, passed by the run


def test_a_cycle_is_an_error_not_a_hang() -> None:
    with pytest.raises(GraphRunError, match="cycle"):
        run_order(schema(a={"x": "b"}, b={"x": "a"}), ["a"])
