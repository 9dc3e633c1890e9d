"""Candidates on Telegram: a Rasa InputChannel on python-telegram-bot 22.

Rasa 3.6's own Telegram channel runs on the unmaintained aiogram 2, accepts any POST, and
cannot send outside a conversation. This one accepts webhook calls only with Telegram's
secret-token header, handles each update once (update ids are stored, so redeliveries and
several Rasa servers are safe), follows the user's language, and retries Telegram's 429 and
5xx answers when it sends.

On when TELEGRAM_BOT_TOKEN is set; otherwise its routes answer 404 and nothing else changes.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import NetworkError, RetryAfter, TelegramError

from helpdesk.language import language_of_locale

logger = logging.getLogger(__name__)

MAX_MESSAGE = 4096  # Telegram's limit for one text message
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)
COMMANDS = {"/help": "/out_of_scope", "/human": "/request_human", "/start": "/greet"}


@dataclass(frozen=True)
class TelegramSettings:
    token: str | None
    webhook_secret: str | None
    webhook_url: str | None
    api_base_url: str

    @classmethod
    def from_env(cls) -> TelegramSettings:
        base = os.environ.get("TELEGRAM_API_BASE_URL", "").strip() or "https://api.telegram.org"
        return cls(
            token=os.environ.get("TELEGRAM_BOT_TOKEN", "").strip() or None,
            webhook_secret=os.environ.get("TELEGRAM_WEBHOOK_SECRET", "").strip() or None,
            webhook_url=os.environ.get("TELEGRAM_WEBHOOK_URL", "").strip() or None,
            api_base_url=base.rstrip("/"),
        )

    def bot(self) -> Bot:
        return Bot(
            self.token,
            base_url=f"{self.api_base_url}/bot",
            base_file_url=f"{self.api_base_url}/file/bot",
        )


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph, line or word ends when possible."""
    pieces = []
    while len(text) > limit:
        cut = max(text.rfind(sep, 0, limit) for sep in ("\n\n", "\n", " "))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


async def with_retries(call: Callable[[], Awaitable[Any]]) -> Any:
    """Telegram says 429 (wait `retry_after`) or fails with 5xx/network: try again, then give up."""
    for attempt, delay in enumerate((*RETRY_DELAYS, None)):
        try:
            return await call()
        except RetryAfter as error:
            if delay is None:
                raise
            wait = error.retry_after
            wait = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            logger.info("Telegram asks to wait %.1f s (attempt %d)", wait, attempt + 1)
            await asyncio.sleep(wait)
        except NetworkError:
            if delay is None:
                raise
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


class TelegramOutput(OutputChannel):
    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        for piece in split_text(text):
            await with_retries(lambda piece=piece: self.bot.send_message(recipient_id, piece))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(b["title"], callback_data=b["payload"][:64])] for b in buttons]
        )
        *first, last = split_text(text) or [""]
        for piece in first:
            await with_retries(lambda piece=piece: self.bot.send_message(recipient_id, piece))
        await with_retries(lambda: self.bot.send_message(recipient_id, last, reply_markup=keyboard))


class TelegramInput(InputChannel):
    """POST /webhooks/telegram/webhook, with the X-Telegram-Bot-Api-Secret-Token header."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(TelegramSettings.from_env())

    def __init__(self, settings: TelegramSettings) -> None:
        self.settings = settings
        self._bot: Bot | None = None
        self._store = None

    async def bot(self) -> Bot:
        if self._bot is None:
            bot = self.settings.bot()
            await with_retries(bot.initialize)
            self._bot = bot
        return self._bot

    def store(self):
        if self._store is None:
            from actions.ats.store import ATSStore

            self._store = ATSStore.from_settings()
        return self._store

    def get_output_channel(self) -> OutputChannel | None:
        # For Rasa's API with output_channel=latest: recruiter replies and notices.
        if not self.settings.token:
            return None
        return TelegramOutput(self._bot or self.settings.bot())

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
            if not self.settings.webhook_secret or not hmac.compare_digest(
                secret, self.settings.webhook_secret
            ):
                return response.json({"error": "wrong or missing secret token"}, status=401)
            try:
                payload = request.json
            except Exception:  # Sanic raises InvalidUsage on a body that is not JSON
                payload = None
            if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
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
            except (TelegramError, KeyError, TypeError, ValueError):
                return response.json({"error": "the body is not a Telegram update"}, status=400)
            if not await self.store().first_time_seen(update.update_id):
                return response.json({"status": "duplicate"})
            try:
                await self.handle(update, bot, on_new_message)
            except Exception:
                # A 500 would only make Telegram redeliver an update we already recorded.
                logger.exception("update %s could not be answered", update.update_id)
                return response.json({"status": "failed"})
            return response.json({"status": "ok"})

        return telegram

    async def handle(
        self,
        update: Update,
        bot: Bot,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        output = TelegramOutput(bot)
        if update.callback_query is not None:
            query = update.callback_query
            await with_retries(lambda: query.answer())
            chat = query.message.chat if query.message else None
            text, user = query.data or "", query.from_user
        elif update.message is not None and update.message.text:
            chat, text, user = update.message.chat, update.message.text, update.message.from_user
        elif update.message is not None:
            # stickers, photos, voice notes: a polite word instead of silence
            await output.send_text_message(
                str(update.message.chat.id),
                "Sorry, I can only read text messages. / Sorry, ik kan alleen tekst lezen.",
            )
            return
        else:
            return  # edited messages, channel posts, membership changes: nothing to answer
        if chat is None:
            return
        command = text.split()[0].split("@")[0] if text.startswith("/") else None
        if command in COMMANDS:
            text = COMMANDS[command]
        metadata = {}
        language = language_of_locale(user.language_code if user else None)
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


ALLOWED_UPDATES = ["message", "callback_query"]


async def set_webhook(settings: TelegramSettings) -> str:
    """Register TELEGRAM_WEBHOOK_URL with Telegram, with the secret token and update types."""
    if not settings.token or not settings.webhook_url or not settings.webhook_secret:
        raise ValueError(
            "set TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_URL (the public https URL of "
            "/webhooks/telegram/webhook) and TELEGRAM_WEBHOOK_SECRET first"
        )
    async with settings.bot() as bot:
        await with_retries(
            lambda: bot.set_webhook(
                url=settings.webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        )
    return settings.webhook_url


async def poll(settings: TelegramSettings, local_webhook: str, *, once: bool = False) -> int:
    """Long-polling bridge for a laptop without a public URL: each update Telegram holds is
    posted to the local webhook, with the secret, exactly as Telegram would. Returns the count.
    """
    import aiohttp

    if not settings.token or not settings.webhook_secret:
        raise ValueError("set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET first")
    forwarded, offset = 0, None
    headers = {"X-Telegram-Bot-Api-Secret-Token": settings.webhook_secret}
    async with settings.bot() as bot, aiohttp.ClientSession() as http:
        # Telegram refuses getUpdates while a webhook is registered.
        await with_retries(lambda: bot.delete_webhook(drop_pending_updates=False))
        while True:
            updates = await with_retries(
                lambda offset=offset: bot.get_updates(
                    offset=offset, timeout=0 if once else 30, allowed_updates=ALLOWED_UPDATES
                )
            )
            for update in updates:
                async with http.post(local_webhook, json=update.to_dict(), headers=headers) as r:
                    if r.status >= 400:
                        logger.warning("update %s refused: %s", update.update_id, r.status)
                forwarded += 1
                offset = update.update_id + 1
            if once:
                return forwarded
