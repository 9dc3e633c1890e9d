"""The desk's shared resources in the Rasa server process: settings, ATS store, accounts, mail."""

from __future__ import annotations

import os
from dataclasses import dataclass

from actions.ats.store import ATSStore
from actions.ats.verification import secret_key
from actions.mail import Mailer
from actions.settings import Settings
from desk.accounts import DeskAccounts


def public_url(settings: Settings) -> str:
    """Where recruiters reach the desk, for links in mails: HELPDESK_PUBLIC_URL, as for the
    set-password links (helpdesk/cli.py). Never the request's Host header, which the caller
    chooses: a login link pointing elsewhere would hand its token to whoever is there."""
    port = os.environ.get("HELPDESK_RASA_PORT", "5005").strip() or "5005"
    return settings.public_url or f"http://localhost:{port}"


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
            mailer = Mailer(store, settings)
            accounts = DeskAccounts(
                store, secret_key(settings), mailer=mailer, base_url=public_url(settings)
            )
            cls._current = cls(settings, store, accounts, mailer)
        return cls._current
