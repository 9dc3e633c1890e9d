"""Browser tests: Playwright driving Debian's Chromium, headless, against the running help desk.

Chromium is never downloaded: it is /usr/bin/chromium (or HELPDESK_CHROMIUM), which
`make test` installs when it can. Without it these tests skip with a message saying so, unless
HELPDESK_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import email
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import RunningHelpdesk

CHROMIUM = os.environ.get("HELPDESK_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("HELPDESK_REQUIRE_BROWSER") == "1"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
JWT_SECRET = "careers-site-secret-for-the-browser-tests"


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message + " and HELPDESK_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(message + "; the browser tests are skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


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
