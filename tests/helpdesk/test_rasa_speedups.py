"""The compiled action-response validator accepts and rejects exactly what Rasa's own does."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from helpdesk import rasa_speedups

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
    assert rasa_speedups._validate_action_result(None, result) is True
    jsonschema.validate(result, RemoteAction.action_response_format_spec())


@pytest.mark.parametrize("result", BAD)
def test_invalid_responses_fail_as_with_rasa(result):
    with pytest.raises(jsonschema.ValidationError) as ours:
        rasa_speedups._validate_action_result(None, result)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    assert "Failed to validate Action server response" in ours.value.message


def test_apply_replaces_rasas_validation():
    from rasa.utils.endpoints import EndpointConfig

    original, session = RemoteAction._validate_action_result, EndpointConfig.session
    try:
        rasa_speedups.apply()
        assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result
    finally:
        RemoteAction._validate_action_result = original
        EndpointConfig.session = session


async def test_an_endpoint_keeps_one_session_and_connection_across_requests():
    from aiohttp import web
    from rasa.utils.endpoints import EndpointConfig

    from tests.servers import free_port

    peers = []

    async def handler(request):
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({"events": [], "responses": []})

    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    original = EndpointConfig.session
    try:
        rasa_speedups.apply()
        endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook")
        for _ in range(3):
            assert await endpoint.request(json={"next_action": "x"}) == {
                "events": [],
                "responses": [],
            }
        assert len(peers) == 3
        assert len(set(peers)) == 1  # one kept-alive connection, not three
    finally:
        EndpointConfig.session = original
        for session in rasa_speedups._sessions.values():
            await session.close()
        rasa_speedups._sessions.clear()
        await runner.cleanup()
