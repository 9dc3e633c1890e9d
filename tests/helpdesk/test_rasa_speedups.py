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
    original = RemoteAction._validate_action_result
    try:
        rasa_speedups.apply()
        assert RemoteAction._validate_action_result is rasa_speedups._validate_action_result
    finally:
        RemoteAction._validate_action_result = original
