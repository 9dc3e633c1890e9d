"""The web chat's browser tests: the help desk they run against, and reading codes.

The `chromium` fixture (Debian's Chromium through Playwright) is in tests/conftest.py.
"""

from __future__ import annotations

import email
import re
import time

import pytest

from tests.servers import RunningHelpdesk

JWT_SECRET = "careers-site-secret-for-the-browser-tests"
API_TOKEN = "browser-tests-rasa-api-token"  # to read what the server kept of a conversation


# The help desk without Telegram, shared with tests/test_conversations.py. Every browser here is
# one client (127.0.0.1): the limit per client is tested in tests/security/test_bad_input.py.
PLAIN = {
    "HELPDESK_WEBCHAT_JWT_SECRET": JWT_SECRET,
    "TELEGRAM_BOT_TOKEN": "",
    "HELPDESK_RASA_API_TOKEN": API_TOKEN,
}


@pytest.fixture(scope="module")
def helpdesk(running_helpdesk) -> RunningHelpdesk:
    return running_helpdesk("plain", **PLAIN)


@pytest.fixture
def context(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()


_codes_seen: dict[tuple[str, str], int] = {}


def last_code(helpdesk: RunningHelpdesk, address: str, timeout: float = 15) -> str:
    """The one-time code just mailed to `address`, from the help desk's outbox.

    Code mails are sent just after the bot's answer, so the mail may not be there yet: this
    waits for one newer than the last this function returned for the address (a test that
    expects no new mail gets the newest after the timeout).
    """
    key = (str(helpdesk.outbox), address)
    deadline = time.monotonic() + timeout
    while True:
        mails = [
            email.message_from_bytes(path.read_bytes())
            for path in sorted(helpdesk.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
        ]
        codes = [
            re.search(r"\b(\d{6})\b", m.get_payload(decode=True).decode()).group(1)
            for m in mails
            if m["To"] == address and "code" in m["Subject"].lower()
        ]
        if len(codes) > _codes_seen.get(key, 0) or (codes and time.monotonic() > deadline):
            _codes_seen[key] = len(codes)
            return codes[-1]
        assert time.monotonic() < deadline, f"no code mail to {address}"
        time.sleep(0.1)
