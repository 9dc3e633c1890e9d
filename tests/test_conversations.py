"""Whole conversations with the trained model over Rasa's REST channel, in English and Dutch.

One `helpdesk run` (Rasa server + action server, demo ATS, outbox in a temporary folder) serves
the module; each test is its own conversation.
"""

from __future__ import annotations

import email
import json
import uuid

import pytest

from speech.catalogue import say
from tests.servers import RunningHelpdesk, get_text, post_json
from tests.web.conftest import API_TOKEN, PLAIN, last_code

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def helpdesk(running_helpdesk) -> RunningHelpdesk:
    # the web chat's browser tests share it (tests/web/conftest.py)
    return running_helpdesk("plain", **PLAIN)


class Conversation:
    def __init__(self, helpdesk: RunningHelpdesk, metadata: dict | None = None) -> None:
        self.helpdesk = helpdesk
        self.sender = f"test-{uuid.uuid4().hex[:10]}"
        self.metadata = metadata

    def say(self, message: str) -> str:
        replies = self.helpdesk.send(self.sender, message, self.metadata)
        self.last = replies
        return " ".join(r.get("text", "") for r in replies)


def mails(helpdesk: RunningHelpdesk, to: str) -> list[email.message.Message]:
    found = []
    for path in sorted(helpdesk.outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        if message["To"] == to:
            found.append(message)
    return found


def code_for(helpdesk: RunningHelpdesk, to: str) -> str:
    return last_code(helpdesk, to)  # mailed just after the answer


def test_english_verified_status_answer(helpdesk):
    chat = Conversation(helpdesk)
    assert "automated assistant" in chat.say("Hi there")
    asked = chat.say("Did you receive my application?")
    assert "reference" in asked and "AP-" in asked
    assert "email address" in chat.say("my reference is AP-6VFK-8RMB")
    assert "6-digit code" in chat.say("aisha.okafor@example.com")
    answer = chat.say(code_for(helpdesk, "aisha.okafor@example.com"))
    assert "Thanks, Aisha" in answer
    assert "Data Analyst" in answer and "Eva Jansen" in answer


def test_dutch_verified_status_answer(helpdesk):
    chat = Conversation(helpdesk)
    assert "digitale assistent" in chat.say("Goedemiddag")
    asked = chat.say("hebben jullie mijn sollicitatie ontvangen?")
    assert "referentie" in asked
    assert "e-mailadres" in chat.say("mijn referentie is AP-5CWN-ZH3T")
    assert "code van 6 cijfers" in chat.say("thijs.mulder@example.nl")
    answer = chat.say(f"de code is {code_for(helpdesk, 'thijs.mulder@example.nl')}")
    assert "Dank je, Thijs" in answer and "Priya Sharma" in answer


def test_overdue_application_escalates_and_mails_the_recruiter(helpdesk):
    chat = Conversation(helpdesk)
    chat.say("any news about my application?")
    chat.say("sanne.devries@example.nl")
    answer = chat.say(code_for(helpdesk, "sanne.devries@example.nl"))
    assert "Eva Jansen" in answer
    assert "beloofd" in answer or "promised" in answer
    [mail] = [m for m in mails(helpdesk, "eva.jansen@example.com") if "Sanne" in m["Subject"]]
    assert "acknowledgement overdue" in mail["Subject"]


def test_wrong_code_and_lockout(helpdesk):
    chat = Conversation(helpdesk)
    chat.say("what is the status of my application")
    chat.say("emily.clarke@example.com")
    code = code_for(helpdesk, "emily.clarke@example.com")
    wrong = "000000" if code != "000000" else "111111"
    assert "isn't right" in chat.say(wrong)
    for _ in range(3):
        chat.say(wrong)
    assert "too many wrong codes" in chat.say(wrong)
    assert "Data Analyst" not in chat.say(code)


def test_numbers_among_words_are_not_a_code_and_cheers_is_a_thank_you(helpdesk):
    """Issue 20: text-speak with digits is a status question, not a code typed (only six digits
    on their own are a code: server/code_guard.py), and a British "cheers" is a thank you."""
    chat = Conversation(helpdesk)
    asked = chat.say("hi any news 4 me? applied 3 weeks ago")
    assert "reference" in asked and "code" not in asked
    assert "6-digit code" in chat.say("aisha.okafor@example.com")
    answer = chat.say(code_for(helpdesk, "aisha.okafor@example.com"))
    assert "Thanks, Aisha" in answer and "Data Analyst" in answer
    # a thank-you, and (after a status answer) how helpful it was
    thanks = chat.say("cheers mate")
    assert thanks.startswith(say("conversation.thanks_short", "en")), thanks
    assert "how helpful was this" in thanks
    # not a score: the question is dropped, and this is a thank-you too
    assert chat.say("thx 4 ur help") == say("conversation.thanks", "en")


def test_an_informal_dutch_withdrawal_is_a_withdrawal_not_unlinking_the_chat(helpdesk):
    chat = Conversation(helpdesk)
    asked = chat.say("laat maar zitten met die vacature")
    assert "referentie" in asked
    assert asked != say("conversation.nothing_to_forget", "nl")
    chat.say("AP-5CWN-ZH3T")
    chat.say("thijs.mulder@example.nl")
    confirm = chat.say(code_for(helpdesk, "thijs.mulder@example.nl"))
    assert "intrekken" in confirm
    assert "blijft gewoon staan" in chat.say("nee")  # and the demo application stays


def test_several_applications_are_listed(helpdesk):
    chat = Conversation(helpdesk)
    chat.say("can you check my application status")
    chat.say("daniel.kim@example.com")
    listed = chat.say(code_for(helpdesk, "daniel.kim@example.com"))
    assert "2 applications" in listed
    payloads = [b["payload"] for r in chat.last for b in r.get("buttons", [])]
    assert len(payloads) == 2
    answer = chat.say(payloads[0])
    assert "Thanks, Daniel" in answer


def test_unknown_applicant_is_handed_to_a_recruiter(helpdesk):
    chat = Conversation(helpdesk)
    chat.say("did you get my application?")
    assert "6-digit code" in chat.say("my email is noor.bakker@example.org")
    assert "name" in chat.say("no, I didn't get anything")
    assert "vacancy" in chat.say("Noor Bakker")
    done = chat.say("Data Analyst")
    assert "Noor Bakker" in done and "Eva Jansen" in done


def test_asking_for_a_person_escalates_at_once(helpdesk):
    chat = Conversation(helpdesk)
    chat.say("what's the status of my application?")
    reply = chat.say("I want to speak to a human please")
    assert "Eva Jansen" in reply and "reference" not in reply


def test_channel_metadata_sets_dutch(helpdesk):
    chat = Conversation(helpdesk, metadata={"language": "nl"})
    assert "digitale assistent" in chat.say("hi")


def test_withdrawal_in_english(helpdesk):
    chat = Conversation(helpdesk)
    assert "reference" in chat.say("I'd like to withdraw my application please")
    chat.say("my reference is AP-H4NT-6KYD")
    chat.say("sophie.turner@example.com")
    confirm = chat.say(code_for(helpdesk, "sophie.turner@example.com"))
    assert "withdraw your application for Verpleegkundige Intensive Care" in confirm
    done = chat.say("/affirm")  # the Yes button
    assert "withdrawn" in done and "Daan Bakker" in done


def test_privacy_request_in_dutch(helpdesk):
    chat = Conversation(helpdesk)
    reply = chat.say("ik wil graag dat jullie mijn gegevens verwijderen")
    # erased only at the applicant's own request: a code first, or a person who checks
    assert "referentie" in reply and "mailbox" in reply
    assert "doorgegeven aan" in chat.say("ik kan niet meer bij die mailbox")
    assert "4 weken" in chat.say("hoe lang bewaren jullie mijn gegevens?")


def test_timeline_and_bot_challenge_and_language_switch(helpdesk):
    chat = Conversation(helpdesk)
    assert "5 working days" in chat.say("how long does it take before I hear something?")
    assert "automated assistant" in chat.say("am I talking to a bot?")
    assert "Nederlands" in chat.say("kunnen we Nederlands praten?")
    assert "digitale assistent" in chat.say("ben je een robot?")


def test_rasas_fallback_is_the_help_desks_own_in_the_applicants_language(helpdesk):
    """action_default_fallback (the RulePolicy's core fallback) runs on the action server: the
    catalogue's sentence in the conversation's language, and the message reverted."""
    for greeting, language in (("Hoi, ik heb een vraag", "nl"), ("Hi, I have a question", "en")):
        chat = Conversation(helpdesk)
        chat.say(greeting)
        answer = post_json(
            f"http://localhost:{helpdesk.rasa_port}/conversations/{chat.sender}/execute"
            f"?token={API_TOKEN}",
            {"name": "action_default_fallback"},
        )
        assert [m.get("text") for m in answer["messages"]] == [
            say("conversation.fallback", language)
        ]
        status, kept = get_text(
            f"http://localhost:{helpdesk.rasa_port}/conversations/{chat.sender}/tracker"
            f"?include_events=ALL&token={API_TOKEN}"
        )
        names = [(e["event"], e.get("name")) for e in json.loads(kept)["events"]]
        ran = names.index(("action", "action_default_fallback"))
        assert status == 200 and ("rewind", None) in names[ran:]
