"""Fixes for Rasa 3.6's per-message overhead in the Rasa server (applied by server/patches.py).

- Rasa checks every action server response with `jsonschema.validate(result, schema)`, which
  re-validates the schema itself on every call; with the jsonschema versions Rasa 3.6 installs,
  that is most of the Rasa server's CPU once each message runs a custom action (measured: 68% of
  samples under 20 concurrent conversations). Here the schema is checked once and one compiled
  validator does the same validation, raising the same errors. Even compiled, the schema's
  `oneOf` of 23 event kinds tried every kind for every event (5% of a busy server); an event
  can only match the kind its `event` names (their constants differ), so each event is checked
  against that kind alone: the same verdict. Anything that fails that check is validated in
  full again, for Rasa's own error.
- Rasa finds an event's class by its type name walking every subclass of Event, checking each
  for abstract methods, for every event of every conversation it loads (11% of a busy server).
  Here the classes are looked up in a table, made again when a new kind of event is imported.
- Rasa opens a new HTTP client session, so a new connection, for every call to the action
  server (7% of samples). Here each endpoint keeps one session per event loop, with keep-alive;
  `close_sessions()` closes them when the server stops (server/lifecycle.py). The session writes
  its JSON bodies (the whole conversation, for every action) with ujson, which Sanic installs,
  rather than Python's json module (2% of a busy server): the same JSON values, written without
  the spaces; whatever ujson refuses (NaN, integers beyond 64 bits) Python's json writes as
  before.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import aiohttp
import ujson
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.shared.utils.schemas.events import EVENT_SCHEMA
from rasa.utils.endpoints import EndpointConfig

from ats.settings import ServerSettings


@lru_cache(maxsize=1)
def _validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@lru_cache(maxsize=1)
def _event_validators() -> dict[str, Validator]:
    """An event kind (its `event` constant) -> a validator of the event schema with that kind's
    branch of `oneOf` alone."""
    cls = validator_for(RemoteAction.action_response_format_spec())
    common = {key: value for key, value in EVENT_SCHEMA.items() if key != "oneOf"}
    validators = {}
    for kind in EVENT_SCHEMA["oneOf"]:
        name = kind["properties"]["event"]["const"]
        validators[name] = cls({"allOf": [common, kind]})
    return validators


def quickly_valid(result: Any) -> bool:
    """True when `result` is a valid action response, checked kind by kind; False when it may
    not be (then the full schema decides)."""
    if not isinstance(result, dict):
        return False
    responses = result.get("responses", [])
    if not isinstance(responses, list) or not all(isinstance(r, dict) for r in responses):
        return False
    events = result.get("events", [])
    if not isinstance(events, list):
        return False
    validators = _event_validators()
    for event in events:
        kind = event.get("event") if isinstance(event, dict) else None
        validator = validators.get(kind) if isinstance(kind, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def validate_action_result(self: RemoteAction | None, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with one compiled validator: the same verdicts and
    errors."""
    if quickly_valid(result):
        return True
    error = best_match(_validator().iter_errors(result))
    if error is None:
        return True
    if isinstance(error, ValidationError):
        error.message += (
            ". Failed to validate Action server response from API, make sure your response "
            f"from the Action endpoint is valid. For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
    raise error


def compiled_validation(
    _original: Callable[..., Any], _servers: ServerSettings
) -> Callable[..., Any]:
    """Replaces RemoteAction._validate_action_result (server/patches.py)."""
    return validate_action_result


# Event classes by type name, and the number of Event's direct subclasses when the table was
# made: a kind imported since (a plugin) makes it again. Rasa's order is kept: the first class
# in all_subclasses() with a type name is the one found.
_event_classes: tuple[int, dict[str, type[Event]]] = (-1, {})


def _event_class_table() -> dict[str, type[Event]]:
    global _event_classes
    known, table = _event_classes
    if known != len(Event.__subclasses__()):
        table = {}
        for cls in all_subclasses(Event):
            table.setdefault(cls.type_name, cls)
        _event_classes = (len(Event.__subclasses__()), table)
    return table


def event_types_in_a_table(
    original: Callable[..., Any], _servers: ServerSettings
) -> Callable[..., Any]:
    """Replaces Event.resolve_by_type (a staticmethod; server/patches.py)."""

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        found = _event_class_table().get(type_name)
        if found is not None:
            return found
        return original(type_name, default)  # unknown: Rasa's answer and error

    return resolve_by_type


# one session per endpoint and event loop: a session belongs to the loop it was made in
_sessions: dict[tuple[int, int], aiohttp.ClientSession] = {}


class _Kept:
    """`async with endpoint.session() as session` hands out the kept session, unclosed."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *_exc: object) -> bool:
        return False


def keeping_sessions(
    new_session: Callable[[EndpointConfig], aiohttp.ClientSession], _servers: ServerSettings
) -> Callable[[EndpointConfig], Any]:
    """Replaces EndpointConfig.session (Rasa's, `new_session`) with one that keeps them."""

    def session(self: EndpointConfig) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # outside a loop: Rasa's own behaviour
            return new_session(self)
        key = (id(self), id(loop))
        kept = _sessions.get(key)
        if kept is None or kept.closed:
            kept = _sessions[key] = new_session(self)
            # what `json=` bodies are written with (ClientSession's json_serialize)
            kept._json_serialize = json_text
        return _Kept(kept)

    return session


def json_text(value: Any) -> str:
    """`value` as JSON: ujson's, or Python's json module's for what ujson refuses."""
    try:
        text: str = ujson.dumps(value, ensure_ascii=True, escape_forward_slashes=False)
        return text
    except (TypeError, ValueError, OverflowError):  # OverflowError: NaN, infinity, big integers
        return json.dumps(value)


async def close_sessions() -> None:
    """Closes the sessions kept in the running event loop."""
    loop = id(asyncio.get_running_loop())
    for key in [key for key in _sessions if key[1] == loop]:
        await _sessions.pop(key).close()
