"""One builder for every process: the settings it read once, and the ATS store, mailer,
verifier and chat links wired on them.

The command line, the deadline monitor, the action server and the Rasa server (its channels and
the desk) each build their `Services` once, at their start, from the settings they read once,
and close them when they stop: one ATS store (one connection pool) per process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ats.linking import ChatLinks
from ats.mail import Mailer
from ats.settings import Settings, TelegramSettings
from ats.store import ATSStore
from ats.store_basics import utcnow
from ats.telegram_api import bot_username
from ats.verification import Verifier, secret_key


@dataclass
class Services:
    settings: Settings
    store: ATSStore
    mailer: Mailer
    verifier: Verifier
    links: ChatLinks
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    _background: set[asyncio.Task[None]] = field(default_factory=set)

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
            telegram or settings.telegram,
        )

    async def close(self) -> None:
        """Finishes the work left in the background and closes the store's connections."""
        await self.settle()
        await self.store.close()

    async def telegram_link(self, email: str) -> str | None:
        """A one-time t.me deep link for this applicant, or None when Telegram is off."""
        username = await bot_username(self.telegram)
        if not username:
            return None
        token = await self.links.create_token(email)
        return f"https://t.me/{username}?start={token}" if token else None


_current: Services | None = None


def services() -> Services:
    """The process's services: those its entry point installed, else built once from the
    environment (a Rasa server loads the channels and the desk itself, and they ask here)."""
    global _current
    if _current is None:
        _current = Services.create(Settings.from_env())
    return _current


def installed_services() -> Services | None:
    """The services the process's entry point installed, if it did (none are built here)."""
    return _current


def use_services(replacement: Services | None) -> None:
    """Install the process's services (an entry point, a test), or forget them."""
    global _current
    _current = replacement
