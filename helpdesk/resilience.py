"""In the Rasa server: an applicant always gets an answer, whatever service is down or slow.

Rasa 3.6 waits up to five minutes for the action server, and when it, the tracker store or the
lock store fails, it logs the error and the applicant hears nothing. Here

- a custom action that does not answer within HELPDESK_ACTION_TIMEOUT_SECONDS (default 4), or
  whose server cannot be reached, is replaced by an apology in the applicant's language, and the
  bot listens again; the applicant's message stays in the tracker; a request for a person is
  kept and handed over when the action server answers again (helpdesk/handovers.py);
- a message that cannot be handled at all (tracker store or lock store unreachable) is answered
  with the same apology through the channel it came from, instead of Rasa's fallback to an
  in-memory tracker that has forgotten the conversation;
- every message is counted and timed for the Prometheus metrics (helpdesk/metrics.py).

`apply()` patches Rasa once per process; channels/ops.py calls it when Rasa loads the channels.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from rasa.core import tracker_store
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, Event, FollowupAction

from actions.texts import say
from helpdesk import handovers
from helpdesk.language import detect_language
from helpdesk.metrics import MESSAGE_FAILURES, MESSAGE_SECONDS, MESSAGES

logger = logging.getLogger(__name__)

DEFAULT_ACTION_TIMEOUT_SECONDS = 4.0
APOLOGY = "error"  # the text actions/texts.py has for "our system cannot be reached"


def action_timeout() -> float:
    raw = os.environ.get("HELPDESK_ACTION_TIMEOUT_SECONDS", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_ACTION_TIMEOUT_SECONDS
    except ValueError:
        value = DEFAULT_ACTION_TIMEOUT_SECONDS
    return value if value > 0 else DEFAULT_ACTION_TIMEOUT_SECONDS


def _language(tracker: Any = None, text: str | None = None) -> str:
    slot = tracker.get_slot("language") if tracker is not None else None
    return slot if slot in ("en", "nl") else detect_language(text or "") or "en"


_run_remote_action = RemoteAction.run
_handle_message = Agent.handle_message


async def _run_with_timeout(
    self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> list[Event]:
    try:
        return await asyncio.wait_for(
            _run_remote_action(self, output_channel, nlg, tracker, domain), action_timeout()
        )
    except ActionExecutionRejection:
        raise  # Rasa's own protocol: the action declined, another is predicted
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if handovers.replaying.get():
            raise  # the spooled hand-over stays in the spool
        cause = "action_timeout" if isinstance(exc, asyncio.TimeoutError) else "action_server"
        MESSAGE_FAILURES.labels(cause).inc()
        logger.error(
            "custom action %s failed in conversation %s (%s: %s); the applicant was told to "
            "try again",
            self.name(),
            tracker.sender_id,
            cause,
            exc,
        )
        key = APOLOGY
        if self.name() in handovers.DEFERRABLE:
            handovers.defer(tracker.sender_id, self.name(), tracker.get_latest_input_channel())
            key = "handover_deferred"
        text = say(key, _language(tracker, tracker.latest_message.text))
        return [BotUttered(text), FollowupAction("action_listen")]


async def _handle_counted(self: Agent, message: UserMessage) -> Any:
    channel = message.input_channel or "unknown"
    started = time.perf_counter()
    try:
        return await _handle_message(self, message)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        MESSAGE_FAILURES.labels("store").inc()
        logger.error(
            "message in conversation %s on %s could not be handled (%s: %s); the applicant "
            "was told to try again",
            message.sender_id,
            channel,
            type(exc).__name__,
            exc,
        )
        await _apologise(message)
        return None
    finally:
        MESSAGES.labels(channel).inc()
        MESSAGE_SECONDS.labels(channel).observe(time.perf_counter() - started)


async def _apologise(message: UserMessage) -> None:
    if message.output_channel is None:
        return
    text = say(APOLOGY, _language(text=message.text))
    try:
        await message.output_channel.send_text_message(message.sender_id, text)
    except Exception as exc:  # the channel itself is down: nothing more to do here
        # not the conversation's id: a web chat's is a bearer secret
        logger.error("could not send the apology in %s: %s", message.input_channel, exc)


class TrackerStoreUnavailable(Exception):
    """The tracker store failed; the message is answered with an apology."""


def _no_fallback(self: Any, error: Exception) -> None:
    raise TrackerStoreUnavailable(str(error)) from error


def apply() -> None:
    if RemoteAction.run is not _run_with_timeout:
        # Rasa falls back to an in-memory tracker store on that one server: the applicant meets
        # a bot that has forgotten the conversation, and what is said meanwhile is lost when the
        # database returns. An apology, with the conversation intact afterwards, is better.
        tracker_store.FailSafeTrackerStore.on_tracker_store_error = _no_fallback
        tracker_store.FailSafeTrackerStore.on_tracker_store_retrieve_error = _no_fallback
        RemoteAction.run = _run_with_timeout
        Agent.handle_message = _handle_counted
