"""The desk's shared resources in the Rasa server process: settings, ATS store, accounts, mail."""

from __future__ import annotations

from dataclasses import dataclass

from actions.ats.store import ATSStore
from actions.ats.verification import secret_key
from actions.mail import Mailer
from actions.settings import Settings
from desk.accounts import DeskAccounts


@dataclass
class DeskServices:
    settings: Settings
    store: ATSStore
    accounts: DeskAccounts
    mailer: Mailer

    _current = None

    @classmethod
    def get(cls) -> DeskServices:
        """Created on first use, inside the server's event loop."""
        if cls._current is None:
            settings = Settings.from_env()
            store = ATSStore.from_settings(settings)
            cls._current = cls(
                settings, store, DeskAccounts(store, secret_key(settings)), Mailer(store, settings)
            )
        return cls._current
