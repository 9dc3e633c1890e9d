"""Waiting for a person (issue 17): after an escalation was raised and before a recruiter joins,
"hello??" and "is anyone there?" are told who has the question and how soon, in the applicant's
language, never the bot's welcome again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from ats.models import Escalation, EscalationState
from ats.store_basics import utcnow
from tests.actions.conftest import Chat
from tests.dialogue.test_answers import AISHA, DUTCH, THIJS, verify


async def handed_over(chat: Chat, desk, address: str, language: str = "en") -> None:
    await verify(chat, desk, address, language)
    words = "ik wil iemand spreken" if language == "nl" else "I want to talk to a person"
    await chat.send(words, "request_human", metadata=DUTCH if language == "nl" else None)


async def set_escalations(desk, **values) -> None:
    async with desk.store.session() as session, session.begin():
        await session.execute(update(Escalation).values(**values))


async def test_hello_while_waiting_says_who_has_it_and_how_soon(desk):
    """Today's main: the welcome again ("Hello! I'm Northwind's automated assistant …")."""
    chat = Chat()
    await handed_over(chat, desk, AISHA[1])
    for words, intent in (("hello??", "greet"), ("is anyone there", "bot_challenge")):
        reply = Chat.text(await chat.send(words, intent))
        assert reply.startswith("A recruiter will reply, usually within ")
        assert "Eva Jansen has your question and answers by " in reply
        assert "automated assistant" in reply  # still honest about who is talking
        assert "Hello!" not in reply
    fallback = Chat.text(await chat.send("???", "nlu_fallback"))
    assert fallback.startswith("A recruiter will reply, usually within ")


async def test_in_dutch_with_the_time_in_words(desk):
    chat = Chat()
    await handed_over(chat, desk, THIJS[1], "nl")
    await set_escalations(desk, respond_by=utcnow() + timedelta(hours=2, minutes=30))
    reply = Chat.text(await chat.send("hallo??", "greet", metadata=DUTCH))
    assert reply.startswith("Een recruiter reageert, meestal binnen 3 uur: Priya")
    assert "antwoordt uiterlijk" in reply and "digitale assistent" in reply


async def test_past_the_promised_time_no_new_promise(desk):
    chat = Chat()
    await handed_over(chat, desk, AISHA[1])
    await set_escalations(desk, respond_by=utcnow() - timedelta(minutes=5))
    reply = Chat.text(await chat.send("hello??", "greet"))
    assert reply.startswith("A recruiter will reply as soon as possible: Eva Jansen")
    assert "within" not in reply


async def test_once_resolved_or_elsewhere_hello_is_a_hello_again(desk):
    chat = Chat()
    await handed_over(chat, desk, AISHA[1])
    other = Chat(sender="someone-else")
    assert "automated assistant, not a person" in Chat.text(await other.send("hi", "greet"))
    await set_escalations(desk, state=EscalationState.RESOLVED.value)
    assert "automated assistant, not a person" in Chat.text(await chat.send("hi", "greet"))


async def test_a_detail_while_waiting_is_still_a_detail(desk):
    """A reference typed while waiting moves verification on; only "anyone there?" is met with
    the waiting message."""
    chat = Chat()
    await chat.send("a person please", "request_human")  # unverified: it asks for a name
    chat.slots["awaiting"] = None  # (the contact questions are not what this test is about)
    reply = Chat.text(
        await chat.send("AP-6VFK-8RMB", "nlu_fallback", {"reference": "AP-6VFK-8RMB"})
    )
    assert "A recruiter will reply" not in reply


async def test_the_web_chat_header_says_how_soon_while_waiting_and_not_after(desk):
    """Every answer while the escalation is open carries what the widget's header says
    (`waiting`, channels/webchat.py); once it is resolved, none does."""
    chat = Chat()
    await verify(chat, desk, AISHA[1])
    before = await chat.send("what's my status?", "check_status")
    assert all("waiting" not in message for message in before)
    handed = await chat.send("I want to talk to a person", "request_human")
    assert handed[-1]["waiting"].startswith("A recruiter will reply, usually within ")
    status = await chat.send("what's my status?", "check_status")
    assert status[-1]["waiting"].startswith("A recruiter will reply, usually within ")
    assert all("waiting" not in message for message in status[:-1])
    await set_escalations(desk, respond_by=utcnow() - timedelta(minutes=5))
    late = await chat.send("hello??", "greet")
    assert late[-1]["waiting"] == "A recruiter will reply as soon as possible"
    await set_escalations(desk, state=EscalationState.RESOLVED.value)
    after = await chat.send("what's my status?", "check_status")
    assert all("waiting" not in message for message in after)


async def test_the_dutch_header_while_waiting(desk):
    chat = Chat()
    await handed_over(chat, desk, THIJS[1], "nl")
    await set_escalations(desk, respond_by=utcnow() + timedelta(hours=2, minutes=30))
    reply = await chat.send("hallo??", "greet", metadata=DUTCH)
    assert reply[-1]["waiting"] == "Een recruiter reageert, meestal binnen 3 uur"
