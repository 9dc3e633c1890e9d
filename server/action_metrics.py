"""Every action the action server runs, counted and timed for Prometheus (ats/metrics.py).

`counting_actions` replaces rasa_sdk's ActionExecutor.run, as server/patches.py lists it; the
action server applies it when it starts (server/action_server.py).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa_sdk.executor import ActionExecutor

from ats.metrics import ACTION_SECONDS, ACTIONS
from ats.settings import ServerSettings

RunAction = Callable[[ActionExecutor, dict[str, Any]], Awaitable[Any]]


def counting_actions(run_action: RunAction, _servers: ServerSettings) -> RunAction:
    """Replaces ActionExecutor.run (rasa_sdk's, `run_action`)."""

    async def run(self: ActionExecutor, action_call: dict[str, Any]) -> Any:
        name = str(action_call.get("next_action") or "unknown")
        started = time.perf_counter()
        outcome = "failed"
        try:
            result = await run_action(self, action_call)
            outcome = "ok"
            return result
        finally:
            ACTIONS.labels(name, outcome).inc()
            ACTION_SECONDS.labels(name).observe(time.perf_counter() - started)

    return run
