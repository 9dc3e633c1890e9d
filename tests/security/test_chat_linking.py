"""Linking a Telegram chat to someone else, as the security review did it (issue 14,
finding 1), over HTTP against the running help desk of tests/security/conftest.py.

An applicant asks a code for their own address, clears the chat ("/forget"), asks for a person
giving a victim's address as contact, then types their own code. The chat must not be linked
to the victim, tell the victim's status, or be able to withdraw the victim's application.
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from tests.channels.test_telegram import _post, _update
from tests.security.conftest import TELEGRAM_SECRET
from tests.servers import RunningHelpdesk
from tests.web.conftest import last_code

pytestmark = pytest.mark.server

ATTACKER = "fatima.elamrani@example.nl"  # an applicant too: her own code reaches her
VICTIM = ("AP-8YJS-4GQA", "emily.clarke@example.com", "Emily")
CHAT = 7_300_001


class TelegramChat:
    def __init__(self, helpdesk: RunningHelpdesk, fake, chat_id: int) -> None:
        self.helpdesk, self.fake, self.chat_id = helpdesk, fake, chat_id
        self.update_id = chat_id * 100

    def say(self, text: str) -> str:
        self.update_id += 1
        before = len(self.fake.sent())
        url = f"http://localhost:{self.helpdesk.rasa_port}/webhooks/telegram/webhook"
        body = json.dumps(_update(self.update_id, text, chat_id=self.chat_id)).encode()
        status, _ = _post(url, body, TELEGRAM_SECRET)
        assert status == 200
        self.fake.wait_for(before + 1)
        time.sleep(0.3)  # a reply may come in several messages
        return " ".join(
            m["text"] for m in self.fake.sent()[before:] if str(m["chat_id"]) == str(self.chat_id)
        )


def linked_to(helpdesk: RunningHelpdesk, chat_id: int) -> list[str]:
    with sqlite3.connect(helpdesk.home / "ats.db") as db:
        return [
            email
            for (email,) in db.execute(
                "SELECT candidates.email FROM linked_chats JOIN candidates"
                " ON candidates.id = linked_chats.candidate_id"
                " WHERE linked_chats.channel = 'telegram' AND linked_chats.chat_id = ?",
                (str(chat_id),),
            )
        ]


def status_of(helpdesk: RunningHelpdesk, reference: str) -> str:
    with sqlite3.connect(helpdesk.home / "ats.db") as db:
        return db.execute(
            "SELECT status FROM applications WHERE reference = ?", (reference,)
        ).fetchone()[0]


def test_a_code_never_links_the_chat_to_an_address_typed_after_it(helpdesk, fake_telegram):
    chat = TelegramChat(helpdesk, fake_telegram, CHAT)
    chat.say("Did you receive my application?")
    assert "emailed a 6-digit code" in chat.say(ATTACKER)
    code = last_code(helpdesk, ATTACKER)
    chat.say("/forget")
    chat.say("/human")
    chat.say("Emily Clarke")
    chat.say(VICTIM[1])
    chat.say("the marketing job")
    answer = chat.say(code)
    assert VICTIM[2] not in answer and VICTIM[0] not in answer
    assert VICTIM[1] not in linked_to(helpdesk, CHAT)

    # later: nothing of the victim's in this chat, and no withdrawing her application
    later = chat.say("any news on my application?")
    assert VICTIM[2] not in later and VICTIM[0] not in later
    chat.say("I want to withdraw my application")
    chat.say("yes")
    assert status_of(helpdesk, VICTIM[0]) != "withdrawn"
    assert VICTIM[1] not in linked_to(helpdesk, CHAT)
