"""A recruiter takes over a conversation, writes in it, and hands it back to the bot.

The desk runs inside the Rasa server, so it works on the conversation itself: claiming pauses
the conversation (Rasa keeps logging the applicant's messages but answers none), the
recruiter's replies are sent through the channel the applicant came from and kept in the
transcript, and resolving resumes the bot. When the applicant cannot be reached in their
channel (the web chat page is closed, a REST client never listens), the reply goes by email.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel
from rasa.shared.core.events import (
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    UserUttered,
)

from ats.records import Mail
from desk.escalations import EscalationView
from speech.catalogue import say
from speech.language import DEFAULT_LANGUAGE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    """One message of a transcript, as the desk shows it."""

    at: datetime
    speaker: str  # "applicant", "bot" or a recruiter's name
    text: str


async def transcript(agent: Any, conversation_id: str | None) -> list[Line]:
    if not conversation_id:
        return []
    tracker = await agent.tracker_store.retrieve(conversation_id)
    if tracker is None:
        return []
    lines = []
    for event in tracker.events:
        at = datetime.fromtimestamp(event.timestamp, timezone.utc)
        if isinstance(event, UserUttered) and event.text:
            text = _readable(event.text)
            if text:
                lines.append(Line(at, "applicant", text))
        elif isinstance(event, BotUttered) and (event.text or event.data.get("buttons")):
            speaker = (event.metadata or {}).get("recruiter") or "bot"
            buttons = [b.get("title", "") for b in event.data.get("buttons") or []]
            text = event.text or ""
            if buttons:
                text += " [" + " | ".join(buttons) + "]"
            lines.append(Line(at, speaker, text.strip()))
    return lines


def _readable(text: str) -> str:
    """A button's payload as what it chose ('/provide_reference{"reference": "AP-…"}' becomes
    'AP-…'); a bare command such as the widget's silent '/greet' is left out."""
    if not text.startswith("/"):
        return text
    _, brace, entities = text.partition("{")
    try:
        values = json.loads(brace + entities) if brace else {}
    except ValueError:
        return text
    return " ".join(str(v) for v in values.values()) if isinstance(values, dict) else text


class Handoff:
    """Talks in a conversation on the recruiter's behalf, through Rasa's agent and channels."""

    def __init__(self, agent: Any, input_channels: list[Any], mailer: Any) -> None:
        self.agent = agent
        self.input_channels = input_channels
        self.mailer = mailer

    async def join(self, escalation: EscalationView, recruiter: str) -> str:
        """Pause the bot and tell the applicant who joined. Returns how they were told."""
        return await self._say(escalation, "recruiter_joined", recruiter, pause=True)

    async def reply(self, escalation: EscalationView, recruiter: str, text: str) -> str:
        return await self._say(escalation, None, recruiter, text=text)

    async def leave(self, escalation: EscalationView, recruiter: str) -> str:
        """Resume the bot and tell the applicant so."""
        return await self._say(escalation, "recruiter_left", recruiter, resume=True)

    async def _say(
        self,
        escalation: EscalationView,
        key: str | None,
        recruiter: str,
        *,
        text: str = "",
        pause: bool = False,
        resume: bool = False,
    ) -> str:
        conversation_id = escalation.conversation_id
        if not conversation_id:
            if text:
                await self._mail(escalation, recruiter, text, DEFAULT_LANGUAGE)
                return "email"
            return "none"
        async with self.agent.lock_store.lock(conversation_id):
            tracker = await self.agent.processor.get_tracker(conversation_id)
            language = tracker.get_slot("language") or DEFAULT_LANGUAGE
            message = say(f"conversation.{key}", language, recruiter=recruiter) if key else text
            if pause:
                tracker.update(ConversationPaused())
            if resume:
                tracker.update(ConversationResumed())
            tracker.update(BotUttered(message, metadata={"recruiter": recruiter}))
            await self.agent.processor.save_tracker(tracker)
            channel = tracker.get_latest_input_channel()
        output = self._output(channel)
        if output is not None and await self._connected(channel, conversation_id):
            # who wrote it, for the channel to show (channels/webchat.py, channels/telegram.py)
            said = {
                "recruiter": recruiter,
                "handover": "joined" if pause else "left" if resume else None,
            }
            await output.send_text_message(conversation_id, message, **said)
            return channel or "channel"
        if text:  # the recruiter's own words must reach them: by email, then
            await self._mail(escalation, recruiter, text, language)
            return "email"
        return "none"

    def _output(self, channel: str | None) -> OutputChannel | None:
        for input_channel in self.input_channels:
            if input_channel.name() == channel:
                output = input_channel.get_output_channel()
                if output is not None and not isinstance(output, CollectingOutputChannel):
                    return output
        return None

    async def _connected(self, channel: str | None, conversation_id: str) -> bool:
        """Telegram always delivers (or records why not); a web chat only to an open page."""
        for input_channel in self.input_channels:
            presence = getattr(input_channel, "presence", None)
            if input_channel.name() == channel and presence is not None:
                return await presence.is_open(conversation_id)
        return True

    async def _mail(
        self, escalation: EscalationView, recruiter: str, text: str, language: str
    ) -> None:
        if not escalation.applicant_email:
            logger.warning("escalation %s: reply not delivered, no email", escalation.id)
            return
        subject = say("mail.desk_reply.subject", language, recruiter=recruiter)
        await self.mailer.send([Mail(escalation.applicant_email, subject, text, "recruiter_reply")])
