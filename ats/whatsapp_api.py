"""Meta's WhatsApp Cloud API (the Graph API's /{phone-number-id}/messages): the client, the
webhook's signature check, and what a WhatsApp number tells about a person.

Kept apart from the Rasa channel (channels/whatsapp.py) so that the action server and the
deadline monitor can send without importing Rasa. Sending goes through aiohttp (as the Telegram
bridge does); Meta's 429 and 5xx answers are retried with backoff, any other refusal is raised
as a `WhatsAppError` with Meta's code (131047: outside the 24-hour customer-service window).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from ats.settings import WhatsAppSettings
from ats.telegram_api import split_text

logger = logging.getLogger(__name__)

MAX_TEXT = 4096  # a text message's body
MAX_INTERACTIVE_BODY = 1024  # the body of a reply-buttons or list message
MAX_BUTTONS = 3  # reply buttons in one message
MAX_BUTTON_TITLE = 20
MAX_BUTTON_ID = 256
MAX_ROWS = 10  # rows of a list message, all sections together
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_ROW_ID = 200
MAX_LIST_BUTTON = 20  # the label of the button that opens the list
RETRY_DELAYS = (0.5, 1.0, 2.0)
OUTSIDE_WINDOW = 131047  # Meta's code: more than 24 hours since the user last wrote
SIGNATURE_HEADER = "X-Hub-Signature-256"

# Countries whose numbers speak Dutch; other numbers get no opinion (the message decides).
DUTCH_PREFIXES = ("31", "597", "297", "599")


class WhatsAppError(Exception):
    """The Graph API refused a call (after retries, when the refusal was 429 or 5xx)."""

    def __init__(self, status: int, code: int | None, message: str, details: str = "") -> None:
        self.status, self.code, self.message, self.details = status, code, message, details
        super().__init__(f"WhatsApp error {code} (HTTP {status}): {message} {details}".strip())

    @property
    def outside_window(self) -> bool:
        return self.code == OUTSIDE_WINDOW


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


CONVERSATION_PREFIX = "wa-"  # Telegram's chat ids are digits too: the two must never meet


def conversation_of(wa_id: str) -> str:
    """The conversation (Rasa's sender id) of a WhatsApp number: "wa-31612345678". Stored
    rows (windows, sent messages, undelivered ones, linked chats) use it too, so that an
    erasure of the conversation finds them."""
    return f"{CONVERSATION_PREFIX}{wa_id}"


def number_of(conversation_id: str) -> str:
    """The wa_id a conversation writes to."""
    return conversation_id.removeprefix(CONVERSATION_PREFIX)


def chat_link(settings: WhatsAppSettings, text: str = "") -> str | None:
    """A "Chat on WhatsApp" link to the business number, the message typed in advance; None
    when the channel is off or the number is not set (WHATSAPP_DISPLAY_NUMBER)."""
    if not settings.enabled or not settings.display_number:
        return None
    return f"https://wa.me/{settings.display_number}" + (f"?text={quote(text)}" if text else "")


def masked(wa_id: str) -> str:
    """A number as it may appear in logs: all but its last three digits hidden."""
    return f"…{wa_id[-3:]}" if len(wa_id) > 3 else "…"


def language_of_number(wa_id: str) -> str | None:
    """'nl' for a number from the Netherlands (31…) or another Dutch-speaking country."""
    return "nl" if wa_id.startswith(DUTCH_PREFIXES) else None


def signature_valid(app_secret: str | None, body: bytes, header: str | None) -> bool:
    """Whether `X-Hub-Signature-256` is `sha256=<HMAC-SHA256 of the raw body under the app
    secret>`, compared in constant time. Without an app secret nothing is valid."""
    if not app_secret or not header:
        return False
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    # as bytes: compare_digest refuses str with non-ASCII characters
    return hmac.compare_digest(header.strip().encode(errors="surrogateescape"), expected.encode())


def challenge_answer(settings: WhatsAppSettings, params: dict[str, str]) -> str | None:
    """The subscription handshake: `hub.challenge` when the mode is subscribe and the verify
    token matches (constant time), else None."""
    token, expected = params.get("hub.verify_token", ""), settings.verify_token or ""
    if params.get("hub.mode") != "subscribe" or not expected:
        return None
    if not hmac.compare_digest(token.encode(errors="surrogateescape"), expected.encode()):
        return None
    return params.get("hub.challenge", "")


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _error_of(status: int, body: Any) -> WhatsAppError:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return WhatsAppError(status, None, f"unexpected answer: {str(body)[:200]}")
    code = error.get("code")
    data = error.get("error_data")
    details = data.get("details", "") if isinstance(data, dict) else ""
    return WhatsAppError(
        status, code if isinstance(code, int) else None, str(error.get("message", "")), details
    )


class WhatsAppClient:
    """Sends messages from the configured business number. Each call opens its own HTTP
    session, so one client serves any event loop (Rasa's, a test's, the monitor's)."""

    def __init__(self, settings: WhatsAppSettings) -> None:
        if not settings.access_token or not settings.phone_number_id:
            raise ValueError("set WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID first")
        self.settings = settings
        self.url = f"{settings.api_base_url}/{settings.phone_number_id}/messages"

    async def post(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST to /messages; 429, 5xx and network failures are tried again, then raised."""
        headers = {"Authorization": f"Bearer {self.settings.access_token}"}
        timeout = aiohttp.ClientTimeout(total=30)
        for attempt, delay in enumerate((*RETRY_DELAYS, None), start=1):
            try:
                async with (
                    aiohttp.ClientSession(timeout=timeout) as http,
                    http.post(self.url, json=body, headers=headers) as answer,
                ):
                    try:
                        result = await answer.json(content_type=None)
                    except ValueError:
                        result = None
                    if answer.status < 300 and isinstance(result, dict):
                        return result
                    error = _error_of(answer.status, result)
                    if answer.status != 429 and answer.status < 500:
                        raise error
            except (aiohttp.ClientError, asyncio.TimeoutError) as failure:
                error = WhatsAppError(0, None, f"{type(failure).__name__}: {failure}")
            if delay is None:
                raise error
            logger.info("WhatsApp: %s, trying again (attempt %d)", error, attempt)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    @staticmethod
    def _message_id(result: dict[str, Any]) -> str:
        messages = result.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            return str(messages[0].get("id", ""))
        return ""

    def _envelope(self, to: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": kind,
            kind: content,
        }

    async def send_text(self, to: str, text: str) -> list[str]:
        """A text, in as many messages as its length needs; the message ids (wamid)."""
        ids = []
        for piece in split_text(text, MAX_TEXT) or [""]:
            body = self._envelope(to, "text", {"body": piece, "preview_url": False})
            ids.append(self._message_id(await self.post(body)))
        return ids

    async def send_buttons(
        self, to: str, text: str, buttons: Sequence[Button], list_label: str
    ) -> list[str]:
        """A text with choices: reply buttons when there are at most three short ones, else a
        list message (at most ten rows) opened by `list_label`. Text beyond what an
        interactive message holds goes first, as plain text."""
        pieces = split_text(text, MAX_TEXT) or ["…"]
        *before, last = pieces
        if len(last) > MAX_INTERACTIVE_BODY:
            *more, last = split_text(last, MAX_INTERACTIVE_BODY)
            before += more
        ids = [mid for piece in before for mid in await self.send_text(to, piece)]
        result = await self.post(
            self._envelope(to, "interactive", interactive(last, buttons, list_label))
        )
        return [*ids, self._message_id(result)]

    async def mark_read(self, message_id: str) -> None:
        """Tell the applicant their message was read (the blue ticks)."""
        await self.post(
            {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
        )

    async def send_template(
        self, to: str, name: str, language: str, parameters: Sequence[str] = ()
    ) -> str:
        """An approved message template, the only kind allowed outside the 24-hour window."""
        template: dict[str, Any] = {"name": name, "language": {"code": language}}
        if parameters:
            template["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}
            ]
        return self._message_id(await self.post(self._envelope(to, "template", template)))


def interactive(text: str, buttons: Sequence[Button], list_label: str) -> dict[str, Any]:
    """The `interactive` object for a body and its choices (see WhatsAppClient.send_buttons)."""
    body = {"text": text or "…"}
    if len(buttons) <= MAX_BUTTONS and all(len(b.title) <= MAX_BUTTON_TITLE for b in buttons):
        return {
            "type": "button",
            "body": body,
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": b.payload[:MAX_BUTTON_ID], "title": b.title}}
                    for b in buttons
                ]
            },
        }
    if len(buttons) > MAX_ROWS:
        logger.warning("WhatsApp lists hold %d rows; %d choices cut", MAX_ROWS, len(buttons))
    rows = []
    for b in buttons[:MAX_ROWS]:
        row = {"id": b.payload[:MAX_ROW_ID], "title": _shorten(b.title, MAX_ROW_TITLE)}
        if len(b.title) > MAX_ROW_TITLE:  # the whole title stays readable underneath
            row["description"] = _shorten(b.title, MAX_ROW_DESCRIPTION)
        rows.append(row)
    return {
        "type": "list",
        "body": body,
        "action": {"button": _shorten(list_label, MAX_LIST_BUTTON), "sections": [{"rows": rows}]},
    }
