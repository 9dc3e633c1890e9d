"""The desk's shared resources in the Rasa server process: the process's settings, ATS store
and mailer (ats/services.py), and the recruiters' accounts on them."""

from __future__ import annotations

from dataclasses import dataclass

from ats.mail import Mailer
from ats.services import services
from ats.settings import Settings
from ats.store import ATSStore
from ats.verification import secret_key
from desk.accounts import DeskAccounts


def public_url(settings: Settings) -> str:
    """Where recruiters reach the desk, for links in mails: HELPDESK_PUBLIC_URL, as for the
    set-password links (ops/cli.py). Never the request's Host header, which the caller
    chooses: a login link pointing elsewhere would hand its token to whoever is there."""
    return settings.public_base_url


@dataclass
class DeskServices:
    settings: Settings
    store: ATSStore
    accounts: DeskAccounts
    mailer: Mailer

    _current = None

    @classmethod
    def get(cls) -> DeskServices:
        """Made on first use from the process's services (one store and mailer for the
        channels and the desk alike)."""
        if cls._current is None:
            shared = services()
            accounts = DeskAccounts(
                shared.store,
                secret_key(shared.settings),
                mailer=shared.mailer,
                base_url=public_url(shared.settings),
            )
            cls._current = cls(shared.settings, shared.store, accounts, shared.mailer)
        return cls._current
