"""Candidates on WhatsApp: a Rasa InputChannel on Meta's WhatsApp Cloud API.

Meta calls GET /webhooks/whatsapp/webhook once to verify the subscription (the verify token,
echoing `hub.challenge`), then POSTs every message and status to it, signed with the app
secret (`X-Hub-Signature-256`). A body whose signature does not match is refused before it is
parsed. Meta waits for nobody: the POST is answered at once and the messages are handled in a
background task, each message id once (ats/whatsapp_store.py), whichever server gets it.

One conversation per WhatsApp number, "wa-<wa_id>" (ats.whatsapp_api.conversation_of: a
Telegram chat id may have the same digits); the number is personal data and appears in logs
masked. Texts and button replies go to Rasa; images, voice notes, locations
and anything unknown get a polite sentence. A sent message's statuses are recorded; one Meta
reports as failed is kept as undelivered with Meta's reason. A number sending more than
HELPDESK_MESSAGES_PER_MINUTE messages a minute is told once and then ignored for that minute.

On when WHATSAPP_ACCESS_TOKEN is set; otherwise its routes answer 404 and nothing else changes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from ats.services import services
from ats.undelivered import record_undelivered
from ats.whatsapp_api import (
    SIGNATURE_HEADER,
    Button,
    WhatsAppClient,
    WhatsAppError,
    WhatsAppSettings,
    challenge_answer,
    conversation_of,
    language_of_number,
    masked,
    number_of,
    signature_valid,
)
from ats.whatsapp_store import (
    first_time_seen,
    note_inbound,
    record_status,
    remember_sent,
    window_open,
)
from channels.clients import client_ids
from channels.message_limit import TOO_MANY, MessageLimit, message_limit
from channels.telegram import COMMANDS, LANGUAGE_WORDS, said_by
from channels.whatsapp_followup import FollowUpTemplate
from speech.catalogue import say
from speech.language import DEFAULT_LANGUAGE, detect_language, requested_language

logger = logging.getLogger(__name__)

ONLY_TEXT = "channels.whatsapp_only_text"
CHOOSE = "channels.whatsapp_choose"
WA_ID = re.compile(r"^[0-9]{5,20}$")
MAX_MESSAGE_ID = 512
CLOSED_WINDOW = (
    "not sent: more than 24 hours since the applicant last wrote on WhatsApp, "
    "and outside that window Meta takes only approved templates"
)

Undelivered = Callable[[str, str, str], Awaitable[Any]]
OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def as_intent(text: str) -> str:
    """A typed "/human" or "/language nl" is the command Telegram knows; any other text
    starting with "/" is not taken as an intent (no entities smuggled in), and no link tokens:
    linking a number is not offered on WhatsApp yet."""
    if not text.startswith("/"):
        return text
    command, _, argument = text.partition(" ")
    command, argument = command.lower(), argument.strip().lower()
    if command == "/language" and argument in LANGUAGE_WORDS:
        return f'/switch_language{{"language_choice": "{LANGUAGE_WORDS[argument]}"}}'
    return COMMANDS.get(command, "/out_of_scope")


def language_for(wa_id: str, text: str) -> str | None:
    """What the message says (by name or by its words), else the number's country."""
    return requested_language(text) or detect_language(text) or language_of_number(wa_id)


def reply_of(message: dict[str, Any]) -> tuple[str | None, bool]:
    """What a message says to the assistant and whether it is a button's payload (already an
    intent); (None, False) for what cannot be read (media, locations, unknown types)."""
    kind = message.get("type")
    if kind == "text":
        body = (
            (message.get("text") or {}).get("body")
            if isinstance(message.get("text"), dict)
            else None
        )
        return (body, False) if isinstance(body, str) and body.strip() else (None, False)
    if kind == "interactive" and isinstance(message.get("interactive"), dict):
        interactive = message["interactive"]
        chosen = interactive.get(interactive.get("type") or "")
        if interactive.get("type") in ("button_reply", "list_reply") and isinstance(chosen, dict):
            payload = chosen.get("id")
            if isinstance(payload, str) and payload:
                return payload, True
    if kind == "button" and isinstance(message.get("button"), dict):  # a template's button
        text = message["button"].get("text")
        if isinstance(text, str) and text.strip():
            return text, False
    return None, False


def error_of_status(status: dict[str, Any]) -> str | None:
    """Meta's reason for a failed message, "131047 Re-engagement message: …"."""
    errors = status.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], dict):
        return None
    first = errors[0]
    data = first.get("error_data")
    details = data.get("details") if isinstance(data, dict) else None
    title = first.get("title") or first.get("message") or ""
    return " ".join(str(p) for p in (first.get("code"), title, details) if p)[:2000]


class WhatsAppOutput(OutputChannel):
    """Sends the assistant's messages to a number and remembers them for Meta's statuses.

    In a conversation a failure is raised (logged by the background task). Outside one
    (recruiter replies and notices through Rasa's API) it is recorded as undelivered instead,
    as is a message to a number that has not written for 24 hours (Meta's window; outside it
    only templates may be sent).
    """

    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    def __init__(self, client: WhatsAppClient, undelivered: Undelivered | None = None) -> None:
        self.client = client
        self.undelivered = undelivered

    async def _send(self, conversation: str, text: str, buttons: list[Button] | None) -> None:
        wa_id = number_of(conversation)
        if self.undelivered is not None and not await window_open(services().store, conversation):
            # Meta would accept it and report it failed (131047) later: keep it now instead
            logger.warning("a WhatsApp message to %s is outside the window", masked(wa_id))
            await self.undelivered(conversation, text, CLOSED_WINDOW)
            return
        try:
            if buttons:
                language = language_of_number(wa_id) or DEFAULT_LANGUAGE
                ids = await self.client.send_buttons(wa_id, text, buttons, say(CHOOSE, language))
            else:
                ids = await self.client.send_text(wa_id, text)
        except WhatsAppError as error:
            logger.error("a WhatsApp message to %s was not delivered: %s", masked(wa_id), error)
            if self.undelivered is None:
                raise
            await self.undelivered(conversation, text, str(error))
            return
        await remember_sent(services().store, ids, conversation, text)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(recipient_id, said_by(text, kwargs), None)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        choices = [Button(str(b["title"]), str(b["payload"])) for b in buttons]
        await self._send(recipient_id, text, choices)


class WindowPresence:
    """For the desk (desk/handoff.py, desk/reach.py): a number can be written to in the chat
    while its 24-hour window is open; outside it a recruiter's reply goes as the follow-up
    template (channels/whatsapp_followup.py), by email when Meta refuses that."""

    async def is_open(self, conversation: str) -> bool:
        return await window_open(services().store, conversation)


class WhatsAppInput(InputChannel):
    """GET and POST /webhooks/whatsapp/webhook, as Meta's webhooks call them."""

    @classmethod
    def name(cls) -> str:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(services().settings.whatsapp)

    def __init__(self, settings: WhatsAppSettings, limit: MessageLimit | None = None) -> None:
        self.settings = settings
        self._limit = limit
        self._client: WhatsAppClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()  # kept so they are not collected midway
        self.presence = WindowPresence()
        # outside the window the desk's replies go as a template (None: the channel is off)
        self.followup = FollowUpTemplate(settings) if settings.enabled else None

    @property
    def limit(self) -> MessageLimit:
        return self._limit or message_limit()

    @property
    def client(self) -> WhatsAppClient:
        if self._client is None:
            self._client = WhatsAppClient(self.settings)
        return self._client

    async def record_undelivered(self, conversation: str, text: str, error: str) -> None:
        await record_undelivered(services().store, self.name(), conversation, text, error)

    def get_output_channel(self) -> OutputChannel | None:
        # For Rasa's API with output_channel=latest: recruiter replies and notices.
        if not self.settings.enabled:
            return None
        return WhatsAppOutput(self.client, self.record_undelivered)

    async def drain(self) -> None:
        """Wait for the deliveries being handled (tests; a graceful stop)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        whatsapp = Blueprint("whatsapp_webhook", __name__)

        @whatsapp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.enabled else "off"})

        @whatsapp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self.settings.enabled:
                return response.json({"error": "WhatsApp is not configured"}, status=404)
            params = {key: request.args.get(key, "") for key in request.args}
            challenge = challenge_answer(self.settings, params)
            if challenge is None:
                return response.text("forbidden", status=403)
            return response.text(challenge, status=200, content_type="text/plain")

        @whatsapp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.settings.enabled:
                return response.json({"error": "WhatsApp is not configured"}, status=404)
            # the raw body, before any parsing: that is what Meta signed
            if not signature_valid(
                self.settings.app_secret, request.body, request.headers.get(SIGNATURE_HEADER)
            ):
                return response.json({"error": "wrong or missing signature"}, status=403)
            try:
                payload = json.loads(request.body)
            except ValueError:
                return response.json({"error": "the body is not JSON"}, status=400)
            if not isinstance(payload, dict):
                return response.json({"error": "the body is not a WhatsApp event"}, status=400)
            task = asyncio.create_task(self.process(payload, on_new_message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return response.json({"status": "accepted"})

        return whatsapp

    async def process(self, payload: dict[str, Any], on_new_message: OnNewMessage) -> None:
        """Every message and status in a delivery; one failing does not stop the others."""
        for value in _values(payload):
            number_id = (value.get("metadata") or {}).get("phone_number_id")
            if number_id is not None and str(number_id) != str(self.settings.phone_number_id):
                continue  # for another number of the same business account
            for status in _dicts(value.get("statuses")):
                try:
                    await self.status(status)
                except Exception:
                    logger.exception("a WhatsApp status could not be recorded")
            for message in _dicts(value.get("messages")):
                try:
                    await self.message(message, on_new_message)
                except Exception:
                    logger.exception("a WhatsApp message could not be answered")

    async def status(self, status: dict[str, Any]) -> None:
        message_id, state = status.get("id"), status.get("status")
        recipient = status.get("recipient_id")
        if not (isinstance(message_id, str) and isinstance(state, str)):
            return
        if not (isinstance(recipient, str) and WA_ID.match(recipient)):
            return
        error = error_of_status(status)
        await record_status(services().store, message_id, state, conversation_of(recipient), error)
        if state == "failed":
            logger.warning("WhatsApp could not deliver to %s: %s", masked(recipient), error)

    async def message(self, message: dict[str, Any], on_new_message: OnNewMessage) -> None:
        wa_id, message_id = message.get("from"), message.get("id")
        if not (isinstance(wa_id, str) and WA_ID.match(wa_id)):
            return
        if not (isinstance(message_id, str) and 0 < len(message_id) <= MAX_MESSAGE_ID):
            return
        if not await first_time_seen(services().store, message_id):
            return
        conversation = conversation_of(wa_id)
        await note_inbound(services().store, conversation)
        try:
            await self.client.mark_read(message_id)
        except WhatsAppError as error:  # the ticks are a courtesy; the answer matters
            logger.info("WhatsApp read receipt for %s failed: %s", masked(wa_id), error)
        output = WhatsAppOutput(self.client)
        text, is_payload = reply_of(message)
        # a button's payload has no words: the conversation keeps its language
        language = None if is_payload else language_for(wa_id, text or "")
        fallback = language or language_of_number(wa_id) or DEFAULT_LANGUAGE
        verdict = await self.limit.take(client_ids().hash(f"whatsapp:{wa_id}"))
        if not verdict.allowed:
            if verdict.first_refusal:
                await output.send_text_message(conversation, say(TOO_MANY, fallback))
            return
        if text is None:
            await output.send_text_message(conversation, say(ONLY_TEXT, fallback))
            return
        metadata = {"language": language} if language else {}
        await on_new_message(
            UserMessage(
                text if is_payload else as_intent(text),
                output,
                conversation,
                input_channel=self.name(),
                metadata=metadata,
            )
        )


def _dicts(items: Any) -> list[dict[str, Any]]:
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _values(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """entry[].changes[].value of a `whatsapp_business_account` delivery."""
    values = []
    for entry in _dicts(payload.get("entry")):
        for change in _dicts(entry.get("changes")):
            if isinstance(change.get("value"), dict):
                values.append(change["value"])
    return values
