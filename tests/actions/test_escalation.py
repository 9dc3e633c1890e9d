"""A person is one message away: request_human and complaints escalate at once."""

from sqlalchemy import select

from actions.ats.models import Escalation
from tests.actions.conftest import Chat, body, outbox, verify_by_email


async def escalations(desk) -> list[Escalation]:
    async with desk.store.session() as session:
        return list((await session.scalars(select(Escalation))).unique())


async def test_a_verified_applicant_asking_for_a_person_gets_their_recruiter(desk):
    chat = Chat()
    await verify_by_email(chat, desk, "aisha.okafor@example.com")
    reply = Chat.text(await chat.send("I want to talk to a real person", "request_human"))
    assert "Eva Jansen" in reply and "by " in reply
    [escalation] = await escalations(desk)
    assert escalation.reason == "applicant_request"
    assert escalation.application.reference == "AP-6VFK-8RMB"
    assert escalation.conversation_id == "chat-1" and escalation.channel == "rest"
    [mail] = [m for m in outbox(desk) if m["To"] == "eva.jansen@example.com"]
    assert "I want to talk to a real person" in body(mail)


async def test_a_complaint_mid_verification_escalates_instead_of_asking_again(desk):
    chat = Chat()
    await chat.send("status", "check_status")
    reply = Chat.text(await chat.send("this is ridiculous, nobody ever answers", "complain"))
    assert "reference" not in reply.lower()  # not looped back into the bot's questions
    assert "Eva Jansen" in reply  # the default recruiter, by name
    assert "what is your name" in reply
    [escalation] = await escalations(desk)
    assert escalation.reason == "unknown_applicant"
    # the details asked for are added to the same escalation
    await chat.send("Mark de Boer", "greet")
    await chat.send("mark@example.org", "provide_email", {"email": "mark@example.org"})
    done = Chat.text(await chat.send("Finance Controller", "out_of_scope"))
    assert "added that for Eva Jansen" in done
    [escalation] = await escalations(desk)
    assert "Mark de Boer" in escalation.summary and "Finance Controller" in escalation.summary


async def test_dutch_request_for_a_person_is_answered_in_dutch(desk):
    chat = Chat()
    reply = Chat.text(await chat.send("ik wil graag iemand spreken", "request_human"))
    assert "Ik heb je vraag doorgegeven aan Eva Jansen" in reply
