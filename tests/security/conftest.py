"""One running help desk for the security tests: every channel on, with known secrets.

`helpdesk run` (the Rasa server and the action server) in a folder of its own, with the
Telegram channel talking to the fake Bot API, Rasa's HTTP API behind a token and careers-site
logins accepted; the tests send it bad input over real HTTP and read its ATS and outbox.

It trusts one proxy (SANIC_PROXIES_COUNT=1), as behind nginx, so that a test can be any client
by its X-Forwarded-For: the channels allow each client (address) HELPDESK_MESSAGES_PER_MINUTE
messages a minute, and the tests that send thousands do so as many clients (`new_client`).
"""

from __future__ import annotations

import ipaddress
import itertools
import sqlite3
import threading
from collections.abc import Iterator

import pytest

from tests.channels.fake_telegram import FakeTelegram
from tests.servers import RunningHelpdesk

TELEGRAM_SECRET = "security-webhook-secret"
API_TOKEN = "security-rasa-api-token"
JWT_SECRET = "security-careers-site-secret"
GREENHOUSE_SECRET = "security-greenhouse-secret"
SECRET_KEY = "test-secret"  # RunningHelpdesk's HELPDESK_SECRET_KEY: the key of helpdesk_client
MESSAGES_PER_MINUTE = 30  # the default, set here so the tests can say it


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def helpdesk(running_helpdesk, fake_telegram) -> RunningHelpdesk:
    return running_helpdesk(
        "security",
        **{
            **fake_telegram.environment(TELEGRAM_SECRET),
            "HELPDESK_RASA_API_TOKEN": API_TOKEN,
            "HELPDESK_WEBCHAT_JWT_SECRET": JWT_SECRET,
            # every matching address is mailed, so that the timing check sees the mail's cost
            # (the hourly limit is checked in tests/actions/test_status.py)
            "HELPDESK_CODE_MAILS_PER_HOUR": "1000",
            "GREENHOUSE_WEBHOOK_SECRET": GREENHOUSE_SECRET,
            "LEVER_WEBHOOK_SECRET": "security-lever-secret",
            "RECRUITEE_WEBHOOK_SECRET": "security-recruitee-secret",
            "WORKABLE_WEBHOOK_SECRET": "security-workable-secret",
            "HELPDESK_MESSAGES_PER_MINUTE": str(MESSAGES_PER_MINUTE),
            "SANIC_PROXIES_COUNT": "1",  # X-Forwarded-For names the client, as behind nginx
        },
    )


def base_url(helpdesk: RunningHelpdesk) -> str:
    return f"http://localhost:{helpdesk.rasa_port}"


def ats_counts(helpdesk: RunningHelpdesk) -> dict[str, int]:
    """Rows in the ATS tables that chat input must never add to."""
    with sqlite3.connect(helpdesk.home / "ats.db") as db:
        return {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("applications", "candidates", "vacancies", "recruiters")
        }


_clients = itertools.count(1)
_clients_lock = threading.Lock()
FIRST_CLIENT = ipaddress.IPv4Address("198.18.0.0")  # RFC 2544's test network: nobody's


def new_client() -> dict[str, str]:
    """Headers that make requests come from a client address of their own (a new one on every
    call), through the proxy the help desk trusts."""
    with _clients_lock:
        number = next(_clients)
    return {"X-Forwarded-For": str(FIRST_CLIENT + number % 131_072)}
