"""Running an action without copying the conversation for nothing (applied by
server/patches.py).

- Before every action, Rasa 3.6's `MessageProcessor._run_action` copies the tracker, replaying
  every event of the conversation into a new one, so that the events the policy predicted with
  the action can be thrown away if the action rejects itself. A prediction with no events (all
  of the help desk's) has nothing to throw away, and an action that does not change the tracker
  it is given sees the same state in the original; so the copy is made only where it can
  matter: a prediction with events, or a loop (a form changes the tracker it is given). About
  4% of a busy Rasa server's time.
- `_log_action_on_tracker` deep-copies the action's events for two debug records, whether or not
  debug records are written (about 2%). Here they are copied and logged only when the
  `rasa.core.processor` logger writes debug records (`LOG_LEVEL=DEBUG`); the tracker is updated
  the same either way.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.actions.action import Action
from rasa.core.actions.loops import LoopAction
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.events import ActionExecutionRejected, Event
from rasa.shared.core.trackers import DialogueStateTracker

from ats.settings import ServerSettings

_processor_log = logging.getLogger("rasa.core.processor")


class _ItselfOnce:
    """Stands in for `tracker.copy` for one call: gives the tracker itself, then steps aside
    so that any later copy is a real one."""

    def __init__(self, tracker: DialogueStateTracker) -> None:
        self.tracker = tracker

    def __call__(self) -> DialogueStateTracker:
        self.tracker.__dict__.pop("copy", None)
        return self.tracker


def copying_only_what_may_be_discarded(
    original: Callable[..., Awaitable[bool]], servers: ServerSettings
) -> Callable[..., Awaitable[bool]]:
    """MessageProcessor._run_action, its first copy of the tracker made only when the policy's
    events might have to be discarded or the action is a loop."""

    async def _run_action(
        self: Any,
        action: Action,
        tracker: DialogueStateTracker,
        output_channel: Any,
        nlg: Any,
        prediction: PolicyPrediction,
    ) -> bool:
        if prediction.events or isinstance(action, LoopAction):
            return await original(self, action, tracker, output_channel, nlg, prediction)
        tracker.copy = _ItselfOnce(tracker)  # type: ignore[method-assign]
        try:
            return await original(self, action, tracker, output_channel, nlg, prediction)
        finally:
            tracker.__dict__.pop("copy", None)

    return _run_action


def deep_copies_only_when_logged(
    original: Callable[..., None], servers: ServerSettings
) -> Callable[..., None]:
    """MessageProcessor._log_action_on_tracker without its debug records' deep copies while
    those records are not written."""

    def _log_action_on_tracker(
        self: Any,
        tracker: DialogueStateTracker,
        action: Action,
        events: list[Event] | None,
        prediction: PolicyPrediction,
    ) -> None:
        if _processor_log.isEnabledFor(logging.DEBUG):
            original(self, tracker, action, events, prediction)
            return
        # Rasa 3.6.21's own steps, without the two structlogger.debug calls
        events = events or []
        if not any(isinstance(event, ActionExecutionRejected) for event in events):
            tracker.update_with_events(prediction.events, self.domain)
            tracker.update(action.event_for_successful_execution(prediction))
        tracker.update_with_events(events, self.domain)

    return _log_action_on_tracker
