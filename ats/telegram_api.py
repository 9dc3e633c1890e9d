"""Telegram's Bot API, through python-telegram-bot: settings, retries, the bot's username,
registering the webhook and the long-polling bridge.

Kept apart from the Rasa channel (channels/telegram.py) so that the action server can build
t.me links without importing Rasa.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import aiohttp
from telegram import Bot, BotCommand
from telegram.error import NetworkError, RetryAfter, TelegramError

from ats.settings import TelegramSettings

logger = logging.getLogger(__name__)

MAX_MESSAGE = 4096  # Telegram's limit for one text message
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)


def bot_for(settings: TelegramSettings) -> Bot:
    """A python-telegram-bot client for the configured bot and Bot API server."""
    if not settings.token:
        raise ValueError("set TELEGRAM_BOT_TOKEN first")
    return Bot(
        settings.token,
        base_url=f"{settings.api_base_url}/bot",
        base_file_url=f"{settings.api_base_url}/file/bot",
    )


_usernames: dict[str, str] = {}


async def bot_username(settings: TelegramSettings) -> str | None:
    """The bot's @username, for t.me links: from settings, else asked once from getMe.

    None when Telegram is off or cannot be reached (then no link is offered).
    """
    if not settings.token:
        return None
    if settings.username:
        return settings.username
    if settings.token not in _usernames:
        try:
            async with bot_for(settings) as bot:
                _usernames[settings.token] = bot.username
        except TelegramError as error:
            logger.warning("Telegram's getMe failed, no t.me link offered: %s", error)
            return None
    return _usernames[settings.token]


def message_sender(settings: TelegramSettings) -> Callable[[str, str], Awaitable[None]] | None:
    """An async (chat_id, text) sender for messages outside a conversation (deadline notices);
    None when Telegram is off. Retries like the channel; a final failure raises."""
    if not settings.token:
        return None
    bot = bot_for(settings)

    async def send(chat_id: str, text: str) -> None:
        await with_retries(bot.initialize)  # once; later calls return at once
        for piece in split_text(text):
            await with_retries(functools.partial(bot.send_message, chat_id, piece))

    return send


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
            after = error.retry_after
            wait = after.total_seconds() if isinstance(after, timedelta) else float(after)
            logger.info("Telegram asks to wait %.1f s (attempt %d)", wait, attempt + 1)
            await asyncio.sleep(wait)
        except NetworkError:
            if delay is None:
                raise
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


ALLOWED_UPDATES = ["message", "callback_query"]


async def set_webhook(
    settings: TelegramSettings, menus: Mapping[str | None, Sequence[tuple[str, str]]]
) -> str:
    """Register TELEGRAM_WEBHOOK_URL with Telegram, with the secret token and update types, and
    the menu Telegram shows under "/" per app language (None: every other language), as
    (command, description) pairs (speech.catalogue.telegram_menus)."""
    webhook_url = settings.webhook_url
    if not settings.token or not webhook_url or not settings.webhook_secret:
        raise ValueError(
            "set TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_URL (the public https URL of "
            "/webhooks/telegram/webhook) and TELEGRAM_WEBHOOK_SECRET first"
        )
    async with bot_for(settings) as bot:
        await with_retries(
            lambda: bot.set_webhook(
                url=webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        )
        for language, commands in menus.items():
            await with_retries(
                functools.partial(
                    bot.set_my_commands,
                    [BotCommand(name, description) for name, description in commands],
                    language_code=language,
                )
            )
    return webhook_url


async def poll(settings: TelegramSettings, local_webhook: str, *, once: bool = False) -> int:
    """Long-polling bridge for a laptop without a public URL: each update Telegram holds is
    posted to the local webhook, with the secret, exactly as Telegram would. Returns the count.
    """
    if not settings.token or not settings.webhook_secret:
        raise ValueError("set TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET first")
    forwarded, offset = 0, None
    headers = {"X-Telegram-Bot-Api-Secret-Token": settings.webhook_secret}
    async with bot_for(settings) as bot, aiohttp.ClientSession() as http:
        # Telegram refuses getUpdates while a webhook is registered.
        await with_retries(lambda: bot.delete_webhook(drop_pending_updates=False))
        while True:
            updates = await with_retries(
                functools.partial(
                    bot.get_updates,
                    offset=offset,
                    timeout=0 if once else 30,
                    allowed_updates=ALLOWED_UPDATES,
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
