"""In the Rasa server: a REST message for a conversation another channel holds is refused, under
the conversation's lock, from the conversation Rasa loads there anyway.

Conversation ids are shared by all channels, and a REST client chooses its own: without this, a
client sending as a Telegram chat's id (a number anyone in a group can see) or a WhatsApp
number would continue that conversation, verified applications included. The REST channel
(channels/rest.py) used to ask the tracker store before handing the message to Rasa: one more
statement per message, and a moment between the answer and the lock in which the other channel
could take the conversation. Here the question is answered after Rasa has taken the lock and
loaded the conversation, before anything is added to it (no session start, no parsing).

The loaded conversation is its latest session only (the SQL store reads from the last
`session_started`); when that holds no message at all, the store is asked about every session,
as the REST channel did.

This replaces Rasa's method as server/patches.py lists it; server/rasa_server.py applies it when
the server starts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from ats.settings import ServerSettings
from server.tracker_store import latest_input_channel

# The REST channel's name (channels/rest.py): the only channel whose callers name the
# conversation themselves. The others' ids come from the channel's own verified request.
REST_CHANNEL = "rest"


class HeldByAnotherChannel(Exception):
    """The conversation is another channel's: the message was not added to it."""

    def __init__(self, channel: str) -> None:
        super().__init__(f"this conversation belongs to another channel ({channel})")
        self.channel = channel


async def holding_channel(store: Any, tracker: DialogueStateTracker) -> str | None:
    """The channel whose message the conversation last had (None for a new conversation)."""
    channel = tracker.get_latest_input_channel()
    if channel is None and tracker.events:
        # a session that has no message yet (one started from the API): the earlier ones tell
        channel = await latest_input_channel(store, tracker.sender_id)
    return channel


LogMessage = Callable[[MessageProcessor, UserMessage, bool], Awaitable[DialogueStateTracker]]


def refusing_other_channels(log_message: LogMessage, _servers: ServerSettings) -> Any:
    """Replaces MessageProcessor.log_message (Rasa's, `log_message`) for REST messages."""

    async def log(
        self: MessageProcessor, message: UserMessage, should_save_tracker: bool = True
    ) -> DialogueStateTracker:
        if message.input_channel != REST_CHANNEL:
            return await log_message(self, message, should_save_tracker)
        # Rasa's log_message, with fetch_tracker_and_update_session's two steps apart: the
        # question comes between loading the conversation and starting a session in it
        tracker = await self.get_tracker(message.sender_id)
        channel = await holding_channel(self.tracker_store, tracker)
        if channel is not None and channel != REST_CHANNEL:
            raise HeldByAnotherChannel(channel)
        await self._update_tracker_session(tracker, message.output_channel, message.metadata)
        await self._handle_message_with_tracker(message, tracker)
        if should_save_tracker:
            await self.save_tracker(tracker)
        return tracker

    return log
