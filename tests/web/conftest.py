"""The web chat's browser tests: the help desk they run against, and reading codes.

The `chromium` fixture (Debian's Chromium through Playwright) is in tests/conftest.py.
"""

from __future__ import annotations

import email
import re
import time
from collections.abc import Iterator

import pytest

from tests.servers import RunningHelpdesk

JWT_SECRET = "careers-site-secret-for-the-browser-tests"


@pytest.fixture(scope="module")
def helpdesk(tmp_path_factory) -> Iterator[RunningHelpdesk]:
    running = RunningHelpdesk(
        tmp_path_factory.mktemp("webchat"),
        extra_env={"HELPDESK_WEBCHAT_JWT_SECRET": JWT_SECRET, "TELEGRAM_BOT_TOKEN": ""},
    ).start()
    yield running
    running.stop()


@pytest.fixture
def context(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()


def last_code(helpdesk: RunningHelpdesk, address: str, timeout: float = 15) -> str:
    """The newest one-time code mailed to `address`, from the help desk's outbox."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = [
            email.message_from_bytes(path.read_bytes())
            for path in sorted(helpdesk.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
        ]
        codes = [
            re.search(r"\b(\d{6})\b", m.get_payload(decode=True).decode()).group(1)
            for m in mails
            if m["To"] == address and "code" in m["Subject"].lower()
        ]
        if codes:
            return codes[-1]
        time.sleep(0.2)
    raise AssertionError(f"no code mailed to {address}")
