"""The action server's shared resources: one ATS store, mailer and verifier per process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from actions.ats.linking import ChatLinks
from actions.ats.store import ATSStore, utcnow
from actions.ats.verification import Verifier, secret_key
from actions.mail import Mailer
from actions.settings import Settings
from channels.telegram_bot import TelegramSettings, bot_username


@dataclass
class Services:
    settings: Settings
    store: ATSStore
    mailer: Mailer
    verifier: Verifier
    links: ChatLinks
    telegram: TelegramSettings = field(default_factory=TelegramSettings.from_env)
    _background: set[asyncio.Task] = field(default_factory=set)

    def in_background(self, work: Coroutine[Any, Any, None], what: str) -> None:
        """Runs `work` without holding up the reply; a failure is logged."""

        async def logged() -> None:
            try:
                await work
            except Exception:
                logging.getLogger(__name__).exception("%s failed", what)

        task = asyncio.create_task(logged())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def settle(self) -> None:
        """Waits for the work still running in the background (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    @classmethod
    def create(
        cls,
        settings: Settings,
        store: ATSStore | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
        telegram: TelegramSettings | None = None,
    ) -> Services:
        store = store or ATSStore.from_settings(settings)
        links = ChatLinks(
            store,
            secret_key(settings),
            valid_for=timedelta(hours=settings.link_hours),
            clock=clock,
        )
        return cls(
            settings,
            store,
            Mailer(store, settings),
            Verifier(store, settings, clock),
            links,
            telegram or TelegramSettings.from_env(),
        )

    async def telegram_link(self, email: str) -> str | None:
        """A one-time t.me deep link for this applicant, or None when Telegram is off."""
        username = await bot_username(self.telegram)
        if not username:
            return None
        token = await self.links.create_token(email)
        return f"https://t.me/{username}?start={token}" if token else None


_current: Services | None = None


def services() -> Services:
    """The process's services, created on first use (inside the server's event loop)."""
    global _current
    if _current is None:
        _current = Services.create(Settings.from_env())
    return _current


def use_services(replacement: Services | None) -> None:
    """Swap in other services (tests), or forget them so the next call builds new ones."""
    global _current
    _current = replacement
