"""Candidates on Telegram: a Rasa InputChannel on python-telegram-bot 22.

Rasa 3.6's own Telegram channel runs on the unmaintained aiogram 2, accepts any POST, and
cannot send outside a conversation. This one accepts webhook calls only with Telegram's
secret-token header, handles each update once (update ids are stored, so redeliveries and
several Rasa servers are safe), follows the user's language, and retries Telegram's 429 and
5xx answers when it sends.

Only private chats are answered. In a group, a supergroup or a channel every member would share
one conversation (the chat's), whatever one of them verified, and could link it: their updates
are recorded as seen and ignored. A chat sending more than HELPDESK_MESSAGES_PER_MINUTE
messages a minute is told once and the rest of that minute is ignored
(channels/message_limit.py).

On when TELEGRAM_BOT_TOKEN is set; otherwise its routes answer 404 and nothing else changes.
"""

from __future__ import annotations

import functools
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from ats.services import services
from ats.telegram_api import TelegramSettings, bot_for, split_text, with_retries
from ats.undelivered import record_undelivered
from channels.clients import client_ids
from channels.message_limit import TOO_MANY, MessageLimit, message_limit
from speech.catalogue import say
from speech.language import DEFAULT_LANGUAGE, language_of_locale

logger = logging.getLogger(__name__)

# Bot commands, as the intents they stand for (Rasa reads "/intent{entities}" as given).
COMMANDS = {
    "/start": "/greet",
    "/help": "/out_of_scope",
    "/human": "/request_human",
    "/forget": "/forget_chat",
    "/language": "/switch_language",
}
LANGUAGE_WORDS = {
    "en": "en",
    "english": "en",
    "engels": "en",
    "nl": "nl",
    "nederlands": "nl",
    "dutch": "nl",
}
# A deep-link token as ChatLinks makes them; anything else after /start is a plain /start.
LINK_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ONLY_TEXT = "channels.telegram_only_text"  # the answer to a photo, a sticker, a voice message

Undelivered = Callable[[str, str, str], Awaitable[Any]]


def as_intent(text: str) -> str:
    """What a typed message means: a command becomes its intent, anything else stays text."""
    if not text.startswith("/"):
        return text
    command, _, argument = text.partition(" ")
    command, argument = command.split("@")[0].lower(), argument.strip()
    intent = COMMANDS.get(command, "/out_of_scope")  # an unknown command: say what works
    if command == "/start" and LINK_TOKEN.match(argument):
        return f'/greet{{"link_token": "{argument}"}}'
    if command == "/language" and argument.lower() in LANGUAGE_WORDS:
        return f'/switch_language{{"language_choice": "{LANGUAGE_WORDS[argument.lower()]}"}}'
    return intent


def is_int64(value: Any) -> bool:
    """Telegram's ids are 64-bit integers; a bigger one makes the database fail."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def is_update_id(value: Any) -> bool:
    return is_int64(value) and value >= 0


def well_formed(update: Update) -> bool:
    """What python-telegram-bot does not check and the conversation depends on: the chat id
    (the conversation id, and where replies go) and the texts that become messages."""
    chat = update.effective_chat
    if chat is not None and not is_int64(chat.id):
        return False
    message, query = update.message, update.callback_query
    texts = [message.text if message else None, query.data if query else None]
    return all(text is None or isinstance(text, str) for text in texts)


def said_by(text: str, kwargs: dict[str, Any]) -> str:
    """A recruiter's own message (desk/handoff.py passes `recruiter`; joining and leaving,
    `handover`, are the bot's words) starts with their name: "Eva Jansen: Hi Aisha, …"."""
    recruiter = kwargs.get("recruiter")
    if isinstance(recruiter, str) and recruiter.strip() and not kwargs.get("handover"):
        return f"{recruiter.strip()}: {text}"
    return text


class TelegramOutput(OutputChannel):
    """Sends the bot's messages to a chat; `undelivered` keeps what finally could not be sent.

    In a conversation a failure is raised (the webhook logs it; the applicant can ask again).
    Outside one (recruiter replies and notices through Rasa's API) it is recorded instead, so
    that the message is never lost silently and Rasa still keeps it in the transcript.
    """

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(
        self, bot: Callable[[], Awaitable[Bot]], undelivered: Undelivered | None = None
    ) -> None:
        self.bot = bot
        self.undelivered = undelivered

    async def _send(self, chat_id: str, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
        pieces = split_text(text) or [""]
        try:
            bot = await self.bot()
            for number, piece in enumerate(pieces, start=1):
                markup = keyboard if number == len(pieces) else None
                await with_retries(
                    functools.partial(bot.send_message, chat_id, piece, reply_markup=markup)
                )
        except TelegramError as error:
            # not the chat's id: it names a person (undelivered_messages keeps it, with the text)
            logger.error("a message to a Telegram chat was not delivered: %s", error)
            if self.undelivered is None:
                raise
            await self.undelivered(chat_id, text, f"{type(error).__name__}: {error}")

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send(recipient_id, said_by(text, kwargs), None)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(b["title"], callback_data=b["payload"][:64])] for b in buttons]
        )
        await self._send(recipient_id, text, keyboard)


class TelegramInput(InputChannel):
    """POST /webhooks/telegram/webhook, with the X-Telegram-Bot-Api-Secret-Token header."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(services().settings.telegram)

    def __init__(self, settings: TelegramSettings, limit: MessageLimit | None = None) -> None:
        self.settings = settings
        self._limit = limit  # None: the server's shared one, made at the first message
        self._bot: Bot | None = None

    @property
    def limit(self) -> MessageLimit:
        return self._limit or message_limit()

    async def bot(self) -> Bot:
        if self._bot is None:
            bot = bot_for(self.settings)
            await with_retries(bot.initialize)
            self._bot = bot
        return self._bot

    async def record_undelivered(self, chat_id: str, text: str, error: str) -> None:
        await record_undelivered(services().store, self.name(), chat_id, text, error)

    def get_output_channel(self) -> OutputChannel | None:
        # For Rasa's API with output_channel=latest: recruiter replies and notices.
        if not self.settings.token:
            return None
        return TelegramOutput(self.bot, self.record_undelivered)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram = Blueprint("telegram_webhook", __name__)

        @telegram.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.token else "off"})

        @telegram.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.settings.token:
                return response.json({"error": "Telegram is not configured"}, status=404)
            secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            # Compared as bytes: compare_digest raises on str with non-ASCII characters, and
            # Sanic keeps bytes that are not UTF-8 as surrogates.
            if not self.settings.webhook_secret or not hmac.compare_digest(
                secret.encode(errors="surrogateescape"), self.settings.webhook_secret.encode()
            ):
                return response.json({"error": "wrong or missing secret token"}, status=401)
            try:
                payload = request.json
            except Exception:  # Sanic raises InvalidUsage on a body that is not JSON
                payload = None
            if not isinstance(payload, dict) or not is_update_id(payload.get("update_id")):
                return response.json({"error": "the body is not a Telegram update"}, status=400)
            try:
                bot = await self.bot()
            except TelegramError as error:
                # Not recorded as seen: Telegram delivers it again once we can answer.
                logger.warning(
                    "Telegram unreachable, update %s deferred: %s", payload["update_id"], error
                )
                return response.json({"error": "Telegram cannot be reached"}, status=503)
            try:
                update = Update.de_json(payload, bot)
            except Exception:  # python-telegram-bot trusts the shape: a string for an object
                # raises AttributeError, a date out of range OverflowError, and so on
                update = None
            if update is None or not well_formed(update):
                return response.json({"error": "the body is not a Telegram update"}, status=400)
            if not await services().store.first_time_seen(update.update_id):
                return response.json({"status": "duplicate"})
            try:
                await self.handle(update, on_new_message)
            except Exception:
                # A 500 would only make Telegram redeliver an update we already recorded.
                logger.exception("update %s could not be answered", update.update_id)
                return response.json({"status": "failed"})
            return response.json({"status": "ok"})

        return telegram

    async def handle(
        self, update: Update, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        output = TelegramOutput(self.bot)
        message, query = update.message, update.callback_query
        chat = message.chat if message else query.message.chat if query and query.message else None
        if chat is None or chat.type != "private":
            # edited messages, channel posts, membership changes, and anything from a group,
            # supergroup or channel: nothing to answer
            return
        # a chat comes from the message, or else from the button's query
        user = message.from_user if message else query.from_user if query else None
        language = language_of_locale(user.language_code if user else None)
        verdict = await self.limit.take(client_ids().hash(f"telegram:{chat.id}"))
        if not verdict.allowed:
            if verdict.first_refusal:
                await output.send_text_message(
                    str(chat.id), say(TOO_MANY, language or DEFAULT_LANGUAGE)
                )
            return
        if query is not None:
            await with_retries(lambda: query.answer())
            text = query.data or ""
        elif message is not None and message.text:
            text = message.text
        else:
            # stickers, photos, voice notes: a polite word instead of silence
            await output.send_text_message(
                str(chat.id), say(ONLY_TEXT, language or DEFAULT_LANGUAGE)
            )
            return
        if update.callback_query is None:
            text = as_intent(text)  # a button's payload is already an intent
        metadata = {}
        if language:
            metadata["language"] = language
        await on_new_message(
            UserMessage(
                text,
                output,
                str(chat.id),
                input_channel=self.name(),
                metadata=metadata,
            )
        )
