"""The compiled action-response validator accepts and rejects exactly what Rasa's own does; event
classes are found by type name as Rasa finds them; the action server's endpoint keeps one HTTP
session, closed when the server stops."""

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.endpoints import EndpointConfig

from ats.settings import ServerSettings
from server import patches, rasa_speedups
from tests.servers import free_port

GOOD = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "language", "value": "nl"}],
        "responses": [{"text": "Hoi"}],
    },
    {},
]
# every kind of event an action can return, as the help desk's actions and rasa_sdk write them
EVERY_KIND = [
    {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet", "confidence": 1}}},
    {"event": "action", "name": "action_listen", "policy": None, "confidence": 0.9},
    {"event": "slot", "name": "language", "value": None, "timestamp": 1.5},
    {"event": "entities", "entities": [{"entity": "reference", "value": "AP-1", "start": 0}]},
    {"event": "user_featurization", "use_text_for_featurization": False},
    {"event": "cancel_reminder", "name": "r"},
    {"event": "reminder", "intent": "EXTERNAL_x", "date_time": "2026-12-01T10:00:00"},
    {"event": "action_execution_rejected", "name": "a"},
    {"event": "form_validation", "validate": False},
    {"event": "loop_interrupted", "is_interrupted": True},
    {"event": "form", "name": None},
    {"event": "active_loop", "name": None},
    {"event": "reset_slots"},
    {"event": "resume"},
    {"event": "pause"},
    {"event": "followup", "name": "action_x"},
    {"event": "export"},
    {"event": "restart"},
    {"event": "undo"},
    {"event": "rewind"},
    {"event": "bot", "text": "Hello", "data": {"buttons": []}, "metadata": {"a": 1}},
    {"event": "session_started"},
    {"event": "agent", "text": "x"},
]
GOOD.append({"events": EVERY_KIND, "responses": [{"text": "x"}, {"custom": {"a": 1}}]})
GOOD.extend({"events": [event]} for event in EVERY_KIND)
BAD = [
    {"events": "not a list"},
    {"responses": "not a list"},
    {"events": [{"name": "an event without its type"}]},
    {"events": [{"event": "slot", "name": 5}]},
    {"events": [{"event": "slot", "name": "a"}]},  # no value
    {"events": [{"event": "no such kind"}]},
    {"events": [{"event": "slot", "name": "a", "value": 1, "timestamp": "yesterday"}]},
    {"events": [{"event": "user", "parse_data": {"intent": {"confidence": "high"}}}]},
    {"events": [{"event": "entities", "entities": [{"entity": "x"}]}]},
    {"events": [{"event": "action", "hide_rule_turn": "no"}]},
    {"events": [{"event": "bot", "metadata": []}]},
    {"events": [5]},
    {"responses": [["text"]]},
    [],
]


@pytest.mark.parametrize("result", GOOD)
def test_valid_responses_pass(result):
    assert rasa_speedups.validate_action_result(None, result) is True
    jsonschema.validate(result, RemoteAction.action_response_format_spec())


@pytest.mark.parametrize("result", BAD)
def test_invalid_responses_fail_as_with_rasa(result):
    with pytest.raises(jsonschema.ValidationError) as ours:
        rasa_speedups.validate_action_result(None, result)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    assert "Failed to validate Action server response" in ours.value.message


@pytest.mark.parametrize("result", GOOD + BAD)
def test_the_quick_check_never_passes_what_the_schema_refuses(result):
    schema = RemoteAction.action_response_format_spec()
    valid = jsonschema.Draft202012Validator(schema).is_valid(result)
    assert rasa_speedups.quickly_valid(result) == valid


@asynccontextmanager
async def action_server(handler: Any) -> AsyncIterator[str]:
    """An HTTP server answering POST /webhook with `handler`, on loopback: its URL."""
    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        await runner.cleanup()


@pytest.fixture
def patched() -> Iterator[None]:
    patches.apply_all(patches.RASA_SERVER, ServerSettings())
    yield
    patches.undo_all()


async def test_an_endpoint_keeps_one_session_and_connection_across_requests(patched: None) -> None:
    peers = []

    async def handler(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": []})

    async with action_server(handler) as url:
        endpoint = EndpointConfig(url)
        for _ in range(3):
            assert await endpoint.request(json={"next_action": "x"}) == {
                "events": [],
                "responses": [],
            }
        assert len(peers) == 3
        assert len(set(peers)) == 1  # one kept-alive connection, not three
        [kept] = rasa_speedups._sessions.values()
        await rasa_speedups.close_sessions()  # the server stops
        assert kept.closed and not rasa_speedups._sessions


# what a tracker sent to the action server holds: text in any script, addresses, floats, nesting
TRACKER_LIKE = {
    "sender_id": "web/ä-😀",
    "slots": {"language": "nl", "escalation_id": 12.0, "awaiting": None, "pinned": False},
    "latest_message": {
        "text": 'Hoi, "AP-6VFK-8RMB" </script> \\ \n \u2028 ✓',
        "intent": {"name": "check_status", "confidence": 0.9312345678901234},
        "entities": [{"entity": "reference", "start": 5, "end": 17, "value": "AP-6VFK-8RMB"}],
    },
    "events": [{"event": "action", "timestamp": 1764600000.123456, "name": "action_listen"}] * 3,
    "big": 2**63 - 1,
    "small": 1e-300,
}


@pytest.mark.parametrize(
    "body",
    [TRACKER_LIKE, {"confidence": float("nan")}, {"id": 2**70}, [1, "two", None, 3.5]],
    ids=["tracker", "nan", "big integer", "list"],
)
async def test_the_action_server_receives_the_same_json_values(patched: None, body) -> None:
    received: list[bytes] = []

    async def handler(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.json_response({"events": [], "responses": []})

    async with action_server(handler) as url:
        await EndpointConfig(url).request(json=body)
        await rasa_speedups.close_sessions()
    # the same values, each float to the last bit (compared as Python's json writes them: NaN
    # is not equal to itself)
    assert json.dumps(json.loads(received[0])) == json.dumps(body)


def test_every_event_class_is_found_by_its_type_name_as_rasa_finds_it(patched: None) -> None:
    kinds = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "bot", "slot", "action", "session_started"} <= kinds
    for kind in kinds:
        expected = next(cls for cls in all_subclasses(Event) if cls.type_name == kind)
        assert Event.resolve_by_type(kind) is expected
    # what Rasa does with names it does not know
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name 'no such event'"):
        Event.resolve_by_type("no such event")
    assert Event.from_parameters({"event": "slot", "name": "a", "value": 1}).as_dict()["value"] == 1


def test_a_kind_of_event_imported_later_is_found(patched: None) -> None:
    assert Event.resolve_by_type("user") is not None  # the table is made

    class LaterEvent(Event):
        type_name = "helpdesk_test_later"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, LaterEvent)

        def __hash__(self) -> int:
            return 1

        def as_story_string(self) -> None:
            return None

    assert Event.resolve_by_type("helpdesk_test_later") is LaterEvent
