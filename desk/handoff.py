"""A recruiter takes over a conversation, writes in it, and hands it back to the bot.

The desk runs inside the Rasa server, so it works on the conversation itself: claiming pauses
the conversation (Rasa keeps logging the applicant's messages but answers none), the
recruiter's replies are sent through the channel the applicant came from and kept in the
transcript, and resolving resumes the bot. When the applicant cannot be reached in their
channel (the web chat page is closed, a REST client never listens), the reply goes by email:
a letter in the applicant's language (greeting, reply, the recruiter's signature) whose
Reply-To brings their answer back into the escalation (ats/inbound_mail.py). On WhatsApp
outside its 24-hour window it goes as the approved follow-up template first
(channels/whatsapp_followup.py).

Every reply is kept in the escalation's thread (ats/threads.py) with the channel it went by;
the page shows that thread and the conversation's tracker in one time order (`conversation`).
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
    SlotSet,
    UserUttered,
)

from ats.feedback import Asking, ask
from ats.records import Mail
from ats.store import ATSStore
from ats.threads import add_message, thread
from ats.whatsapp_api import WhatsAppError
from desk.escalations import EscalationView
from speech.catalogue import say
from speech.feedback import HANDOVER_QUESTION, score_buttons
from speech.language import DEFAULT_LANGUAGE

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Line:
    """One message of a transcript, as the desk shows it."""

    at: datetime
    speaker: str  # "applicant", "bot" or a recruiter's name
    text: str
    # "applicant", "bot", "recruiter" or "note" (internal: recruiters only)
    kind: str = ""
    # how it went: the conversation's channel, "email", "desk" (a note), "none" (undelivered)
    channel: str | None = None
    # a recruiter's reply that the thread keeps (ats/threads.py): shown from there
    in_thread: bool = False


# marks a recruiter's reply in the tracker: the escalation's thread has it, with its channel
IN_THREAD = "in_thread"
# what the conversation waits for after the feedback question (dialogue/states.py's value;
# the desk does not import the dialogue)
FEEDBACK_SCORE = "feedback_score"
# how a reply went when WhatsApp's window was closed: as the approved follow-up template
TEMPLATE = "whatsapp_template"


async def transcript(agent: Any, conversation_id: str | None) -> list[Line]:
    """The conversation as the tracker has it: the applicant, the bot and recruiters' chat."""
    if not conversation_id or agent is None:
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
                lines.append(Line(at, "applicant", text, "applicant"))
        elif isinstance(event, BotUttered) and (event.text or event.data.get("buttons")):
            metadata = event.metadata or {}
            speaker = metadata.get("recruiter") or "bot"
            buttons = [b.get("title", "") for b in event.data.get("buttons") or []]
            text = event.text or ""
            if buttons:
                text += " [" + " | ".join(buttons) + "]"
            kind = "bot" if speaker == "bot" else "recruiter"
            in_thread = bool(metadata.get(IN_THREAD))
            lines.append(Line(at, speaker, text.strip(), kind, in_thread=in_thread))
    return lines


async def conversation(agent: Any, store: ATSStore, escalation: EscalationView) -> list[Line]:
    """One thread in time order: the chat from the tracker (the applicant, the bot, a
    recruiter joining and leaving) and what the escalation's thread keeps (every recruiter
    reply with the channel it went by, the applicant's email answers, internal notes)."""
    lines = [
        Line(line.at, line.speaker, line.text, line.kind, escalation.channel)
        for line in await transcript(agent, escalation.conversation_id)
        if not line.in_thread
    ]
    for message in await thread(store, escalation.id):
        speaker = message.recruiter_name or message.kind
        lines.append(Line(message.at, speaker, message.text, message.kind, message.channel))
    lines.sort(key=lambda line: line.at)  # stable: the same moment keeps the order above
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

    def __init__(
        self, agent: Any, input_channels: list[Any], mailer: Any, store: ATSStore | None = None
    ) -> None:
        self.agent = agent
        self.input_channels = input_channels
        self.mailer = mailer
        self.store: ATSStore = store or mailer.store

    async def join(self, escalation: EscalationView, recruiter: str) -> str:
        """Pause the bot and tell the applicant who joined ("a recruiter" when `recruiter` is
        empty: their name is not set yet). Returns how they were told."""
        key = "recruiter_joined" if recruiter else "recruiter_joined_unnamed"
        return await self._say(escalation, key, recruiter, pause=True)

    async def reply(
        self,
        escalation: EscalationView,
        recruiter: str,
        text: str,
        recruiter_id: int | None = None,
    ) -> str:
        """Send the recruiter's words to the applicant and keep them in the escalation's
        thread with the channel they went by ("none": there was no way to reach them)."""
        how = await self._say(escalation, None, recruiter, text=text)
        await add_message(
            self.store, escalation.id, "recruiter", text, channel=how, recruiter_id=recruiter_id
        )
        return how

    async def leave(
        self, escalation: EscalationView, recruiter: str, *, ask_feedback: bool = False
    ) -> str:
        """Resume the bot and tell the applicant so; with `ask_feedback` (the recruiter
        resolved it), in the same message: how helpful was this? with its 1-5 buttons, unless
        they were asked in the past week (ats/feedback.py) or are not in the chat now. The
        answer is read in the conversation (dialogue/feedback.py)."""
        key = "recruiter_left" if recruiter else "recruiter_left_unnamed"
        return await self._say(escalation, key, recruiter, resume=True, feedback=ask_feedback)

    async def passed_on(
        self, escalation: EscalationView, recruiter: str, colleague: str | None, *, resume: bool
    ) -> str:
        """Tell the applicant their question went to a colleague (or back to the queue), and
        let the bot answer again if a recruiter had joined."""
        if colleague:
            key = "recruiter_passed_on"
        else:
            key = "recruiter_passed_back"
        return await self._say(
            escalation, key, recruiter, resume=resume, values={"colleague": colleague or ""}
        )

    async def _say(
        self,
        escalation: EscalationView,
        key: str | None,
        recruiter: str,
        *,
        text: str = "",
        pause: bool = False,
        resume: bool = False,
        values: dict[str, str] | None = None,
        feedback: bool = False,
    ) -> str:
        conversation_id = escalation.conversation_id
        if not conversation_id:
            if text:
                language = escalation.applicant_language or DEFAULT_LANGUAGE
                return await self._mail(escalation, recruiter, text, language)
            return "none"
        async with self.agent.lock_store.lock(conversation_id):
            tracker = await self.agent.processor.get_tracker(conversation_id)
            language = tracker.get_slot("language") or DEFAULT_LANGUAGE
            message = (
                say(f"conversation.{key}", language, recruiter=recruiter, **(values or {}))
                if key
                else text
            )
            if pause:
                tracker.update(ConversationPaused())
            if resume:
                tracker.update(ConversationResumed())
            channel = tracker.get_latest_input_channel()
            buttons = None
            if feedback and await self._asks_feedback(escalation, channel, language):
                message = f"{message} {say(HANDOVER_QUESTION, language)}"
                buttons = score_buttons(language)
                tracker.update(SlotSet("awaiting", FEEDBACK_SCORE))
            metadata = {"recruiter": recruiter, **({IN_THREAD: True} if text else {})}
            data = {"buttons": buttons} if buttons else None
            tracker.update(BotUttered(message, data=data, metadata=metadata))
            await self.agent.processor.save_tracker(tracker)
        output = self._output(channel)
        if output is not None and await self._connected(channel, conversation_id):
            # who wrote it, for the channel to show (channels/webchat.py, channels/telegram.py)
            said = {
                "recruiter": recruiter,
                "handover": "joined" if pause else "left" if resume else None,
            }
            if buttons:
                await output.send_text_with_buttons(conversation_id, message, buttons, **said)
            else:
                await output.send_text_message(conversation_id, message, **said)
            return channel or "channel"
        if text:  # the recruiter's own words must reach them: as a template, else by email
            followup = self.followup(channel)
            if followup is not None:
                employer = self.mailer.settings.employer_name
                try:
                    await followup.send(conversation_id, recruiter, employer, text, language)
                    return TEMPLATE
                except WhatsAppError as error:
                    logger.warning(
                        "escalation %s: WhatsApp refused the follow-up template (%s)",
                        escalation.id,
                        error,
                    )
            return await self._mail(escalation, recruiter, text, language)
        return "none"

    async def _asks_feedback(
        self, escalation: EscalationView, channel: str | None, language: str
    ) -> bool:
        """Whether the applicant, in the chat now, is to be asked (and the asking recorded)."""
        conversation_id = escalation.conversation_id or ""
        if self._output(channel) is None or not await self._connected(channel, conversation_id):
            return False
        asking = Asking(
            "handover",
            conversation_id,
            escalation.applicant_email or conversation_id,
            channel=channel,
            language=language,
            escalation_id=escalation.id,
            recruiter_id=escalation.claimed_by_id or escalation.recruiter_id,
        )
        return await ask(self.store, self.mailer.settings, asking) is not None

    def followup(self, channel: str | None) -> Any:
        """The channel's way to write outside its chat window (WhatsApp's approved template,
        channels/whatsapp_followup.py), or None."""
        for input_channel in self.input_channels:
            if input_channel.name() == channel:
                return getattr(input_channel, "followup", None)
        return None

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
    ) -> str:
        """Mail the reply as a letter; "email", or "none" when there is no address."""
        if not escalation.applicant_email:
            logger.warning("escalation %s: reply not delivered, no email", escalation.id)
            return "none"
        employer = self.mailer.settings.employer_name
        mail = Mail(
            escalation.applicant_email,
            reply_subject(escalation, language, employer),
            reply_letter(
                escalation,
                recruiter,
                text,
                language,
                employer,
                answerable=bool(self.mailer.settings.inbound_domain),
            ),
            "recruiter_reply",
            sender_name=recruiter or None,
        )
        await self.mailer.send([mail], escalation_id=escalation.id)
        return "email"


def reply_subject(escalation: EscalationView, language: str, employer: str) -> str:
    """ "Re: your application AP-… — Data Analyst", in the applicant's language."""
    if not escalation.reference and not escalation.vacancy_title:
        return say("mail.thread_reply.subject_general", language, employer=employer)
    subject = say("mail.thread_reply.subject", language)
    if escalation.reference:
        subject += f" {escalation.reference}"
    if escalation.vacancy_title:
        subject += f" \u2014 {escalation.vacancy_title}"
    return subject


def reply_letter(
    escalation: EscalationView,
    recruiter: str,
    text: str,
    language: str,
    employer: str,
    *,
    answerable: bool = False,
) -> str:
    """Greeting by first name, the reply, how to answer (when an answer comes back to the
    thread: HELPDESK_INBOUND_DOMAIN), and the recruiter's signature."""
    first_name = (escalation.applicant_name or "").split(maxsplit=1)[:1]
    greeting = (
        say("mail.thread_reply.greeting", language, name=first_name[0])
        if first_name
        else say("mail.thread_reply.greeting_unnamed", language)
    )
    parts = [greeting, text.strip()]
    if answerable:
        parts.append(say("mail.thread_reply.answer_hint", language, recruiter=recruiter))
    parts.append(
        say("mail.thread_reply.signature", language, recruiter=recruiter, employer=employer)
    )
    return "\n\n".join(parts) + "\n"
