"""Fixes for Rasa 3.6's action-call overhead in the Rasa server (applied by server/patches.py).

- Rasa checks every action server response with `jsonschema.validate(result, schema)`, which
  re-validates the schema itself on every call; with the jsonschema versions Rasa 3.6 installs,
  that is most of the Rasa server's CPU once each message runs a custom action (measured: 68% of
  samples under 20 concurrent conversations). Here the schema is checked once and one compiled
  validator does the same validation, raising the same errors.
- Rasa opens a new HTTP client session, so a new connection, for every call to the action
  server (7% of samples). Here each endpoint keeps one session per event loop, with keep-alive;
  `close_sessions()` closes them when the server stops (server/lifecycle.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import aiohttp
from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.utils.endpoints import EndpointConfig

from ats.settings import ServerSettings


@lru_cache(maxsize=1)
def _validator() -> Validator:
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction | None, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with one compiled validator: the same verdicts and
    errors."""
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
        return _Kept(kept)

    return session


async def close_sessions() -> None:
    """Closes the sessions kept in the running event loop."""
    loop = id(asyncio.get_running_loop())
    for key in [key for key in _sessions if key[1] == loop]:
        await _sessions.pop(key).close()
