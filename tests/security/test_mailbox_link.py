"""Strangers cannot lock an applicant out by typing wrong codes (issue 14, finding 6).

Against the running help desk of tests/security/conftest.py, over HTTP: strangers, each from a
client address of their own, spend an application's bound on wrong codes; its applicant, with
their mailbox, still gets in: the right code, then the one-click link in the same mail (which
only confirms on a POST: mail scanners fetch links), then the code again.
"""

from __future__ import annotations

import email
import re
import time

import pytest
import requests

from tests.security.conftest import new_client
from tests.servers import RunningHelpdesk
from tests.web.conftest import last_code

pytestmark = pytest.mark.server

JAMES = ("AP-4HD8-2MWR", "james.carter@example.com")  # Backend Developer, first interview
CONFIRM = "please first open the link in the same email"
LINK = re.compile(r"https?://\S+/verify/([A-Za-z0-9_-]+)")


class Conversation:
    def __init__(self, helpdesk: RunningHelpdesk, sender: str) -> None:
        self.helpdesk, self.sender, self.client = helpdesk, sender, new_client()

    def say(self, text: str) -> str:
        answer = requests.post(
            self.helpdesk.webhook,
            json={"sender": self.sender, "message": text},
            headers=self.client,
            timeout=30,
        )
        answer.raise_for_status()
        return " ".join(m.get("text") or "" for m in answer.json())


def last_link(helpdesk: RunningHelpdesk, address: str) -> str:
    mails = [
        email.message_from_bytes(path.read_bytes())
        for path in sorted(helpdesk.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    ]
    bodies = [
        m.get_payload(decode=True).decode()
        for m in mails
        if m["To"] == address and "code" in m["Subject"].lower()
    ]
    return LINK.search(bodies[-1]).group(1)


def base(helpdesk: RunningHelpdesk) -> str:
    return f"http://localhost:{helpdesk.rasa_port}"


def test_strangers_guessing_cannot_lock_the_applicant_out(helpdesk):
    reference, address = JAMES
    for number in range(3):  # 15 wrong codes from three strangers: the bound is 10
        stranger = Conversation(helpdesk, f"stranger-{number}")
        stranger.say(f"my application {reference}, {address}")
        code = last_code(helpdesk, address)
        for guess in ("111111", "222222", "333333", "444444", "555555"):
            if guess != code:
                stranger.say(guess)

    james = Conversation(helpdesk, "james-at-home")
    assert "emailed a 6-digit code" in james.say(f"Where is {reference}? {address}")
    code = last_code(helpdesk, address)
    assert CONFIRM in james.say(code)
    token = last_link(helpdesk, address)

    # opening the page changes nothing; it asks, in a page that loads nothing from elsewhere
    page = requests.get(f"{base(helpdesk)}/verify/{token}", timeout=10)
    assert page.status_code == 200 and "Yes, this is my address" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert CONFIRM in james.say(code)

    confirmed = requests.post(f"{base(helpdesk)}/verify/{token}", timeout=10)
    assert confirmed.status_code == 200 and "type your code there again" in confirmed.text
    answer = james.say(code)
    assert CONFIRM not in answer and "Backend Developer" in answer

    # the link has done its work: used up, like a guessed one
    assert requests.post(f"{base(helpdesk)}/verify/{token}", timeout=10).status_code == 404
    assert requests.get(f"{base(helpdesk)}/verify/{'x' * 32}", timeout=10).status_code == 404


def test_a_stranger_with_a_right_guess_still_proves_nothing(helpdesk):
    """The bound spent above holds for 15 minutes: a right code alone is not enough."""
    reference, address = JAMES
    stranger = Conversation(helpdesk, "lucky-stranger")
    stranger.say(f"{reference} {address}")
    code = last_code(helpdesk, address)  # as if guessed
    answer = stranger.say(code)
    assert CONFIRM in answer and "Backend Developer" not in answer
    time.sleep(0.1)
    assert "Backend Developer" not in stranger.say("what is my status?")
