"""The action server's shared resources: one ATS store, mailer and verifier per process."""

from __future__ import annotations

from dataclasses import dataclass

from actions.ats.store import ATSStore
from actions.ats.verification import Verifier
from actions.mail import Mailer
from actions.settings import Settings


@dataclass
class Services:
    settings: Settings
    store: ATSStore
    mailer: Mailer
    verifier: Verifier

    @classmethod
    def create(cls, settings: Settings) -> Services:
        store = ATSStore.from_settings(settings)
        return cls(settings, store, Mailer(store, settings), Verifier(store, settings))


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
