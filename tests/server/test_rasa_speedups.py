"""The compiled action-response validator accepts and rejects exactly what Rasa's own does; the
action server's endpoint keeps one HTTP session, closed when the server stops."""

from collections.abc import Iterator

import jsonschema
import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
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
BAD = [
    {"events": "not a list"},
    {"responses": "not a list"},
    {"events": [{"name": "an event without its type"}]},
    {"events": [{"event": "slot", "name": 5}]},
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

    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
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
    finally:
        await runner.cleanup()
