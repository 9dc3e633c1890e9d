"""In the Rasa server: an applicant always gets an answer, whatever service is down or slow.

Rasa 3.6 waits up to five minutes for the action server, and when it, the tracker store or the
lock store fails, it logs the error and the applicant hears nothing. Here

- a custom action that does not answer within HELPDESK_ACTION_TIMEOUT_SECONDS (default 4), or
  whose server cannot be reached, is replaced by an apology in the applicant's language, and the
  bot listens again; the applicant's message stays in the tracker; a request for a person is
  kept and handed over when the action server answers again (server/handovers.py);
- a message that cannot be handled at all (tracker store or lock store unreachable) is answered
  with the same apology through the channel it came from, instead of Rasa's fallback to an
  in-memory tracker that has forgotten the conversation;
- every message is counted and timed for the Prometheus metrics (ats/metrics.py).

These replace Rasa's methods as server/patches.py lists them; server/rasa_server.py applies
them when the server starts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered, Event, FollowupAction

from ats.metrics import MESSAGE_FAILURES, MESSAGE_SECONDS, MESSAGES
from ats.settings import ServerSettings
from server import handovers
from server.held_conversations import HeldByAnotherChannel
from speech.catalogue import say
from speech.language import detect_language

logger = logging.getLogger(__name__)

APOLOGY = "conversation.error"  # the catalogue's "our system cannot be reached"


def _language(tracker: Any = None, text: str | None = None) -> str:
    slot = tracker.get_slot("language") if tracker is not None else None
    return slot if slot in ("en", "nl") else detect_language(text or "") or "en"


RunAction = Callable[[RemoteAction, Any, Any, Any, Any], Awaitable[list[Event]]]


def with_timeout(run_remote_action: RunAction, servers: ServerSettings) -> RunAction:
    """Replaces RemoteAction.run (Rasa's, `run_remote_action`): at most the settings'
    action_timeout_seconds (HELPDESK_ACTION_TIMEOUT_SECONDS), then an apology."""
    seconds = servers.action_timeout_seconds

    async def run(
        self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
    ) -> list[Event]:
        try:
            return await asyncio.wait_for(
                run_remote_action(self, output_channel, nlg, tracker, domain), seconds
            )
        except ActionExecutionRejection:
            raise  # Rasa's own protocol: the action declined, another is predicted
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if handovers.replaying.get():
                raise  # the spooled hand-over stays in the spool
            return _instead_of_the_action(self, tracker, exc)

    return run


def _instead_of_the_action(action: RemoteAction, tracker: Any, exc: Exception) -> list[Event]:
    cause = "action_timeout" if isinstance(exc, asyncio.TimeoutError) else "action_server"
    MESSAGE_FAILURES.labels(cause).inc()
    logger.error(
        "custom action %s failed in conversation %s (%s: %s); the applicant was told to try again",
        action.name(),
        tracker.sender_id,
        cause,
        exc,
    )
    key = APOLOGY
    if action.name() in handovers.DEFERRABLE:
        handovers.defer(tracker.sender_id, action.name(), tracker.get_latest_input_channel())
        key = "conversation.handover_deferred"
    text = say(key, _language(tracker, tracker.latest_message.text))
    return [BotUttered(text), FollowupAction("action_listen")]


HandleMessage = Callable[[Agent, UserMessage], Awaitable[Any]]


def counting_messages(handle_message: HandleMessage, _servers: ServerSettings) -> HandleMessage:
    """Replaces Agent.handle_message (Rasa's, `handle_message`)."""

    async def handle(self: Agent, message: UserMessage) -> Any:
        channel = message.input_channel or "unknown"
        started = time.perf_counter()
        try:
            return await handle_message(self, message)
        except (asyncio.CancelledError, HeldByAnotherChannel):
            raise  # the channel answers a refusal itself, not with an apology
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

    return handle


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


def no_fallback(self: Any, error: Exception) -> None:
    raise TrackerStoreUnavailable(str(error)) from error


def without_fallback(_original: Callable[..., Any], _servers: ServerSettings) -> Callable[..., Any]:
    """Replaces FailSafeTrackerStore's fallback to an in-memory tracker store on this one
    server: the applicant would meet a bot that has forgotten the conversation, and what is
    said meanwhile would be lost when the database returns. An apology, with the conversation
    intact afterwards, is better."""
    return no_fallback
