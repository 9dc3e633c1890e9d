"""A person is one message away: request_human and complaints escalate at once."""

from sqlalchemy import select

from ats.models import Escalation
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
    # labelled by what was asked; nothing verified, so no application and marked as such
    assert escalation.reason == "applicant_request"
    assert escalation.application_id is None and not escalation.verified
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


VICTIM = ("AP-6VFK-8RMB", "aisha.okafor@example.com")  # Eva Jansen's applicant
STRANGER = "nobody.on.file@example.org"


def without_times(text: str) -> str:
    import re

    return re.sub(r"\d", "#", text)


async def ask_for_a_person_with(chat: Chat, address: str) -> str:
    await chat.send("where is my application?", "check_status")
    await chat.send(address, "provide_email", {"email": address})
    return Chat.text(await chat.send("I want to talk to a person", "request_human"))


async def test_an_unverified_request_carries_no_application_and_tells_nothing(desk):
    """Finding 3: a chat that only typed an address on file asks for a person."""
    typed_victim = await ask_for_a_person_with(Chat(sender="attacker"), VICTIM[1])
    typed_stranger = await ask_for_a_person_with(Chat(sender="someone"), STRANGER)
    # the same reply whether the address is on file or not: same recruiter, same kind of time
    assert without_times(typed_victim) == without_times(typed_stranger)
    rows = await escalations(desk)
    assert len(rows) == 2
    assert all(r.application_id is None and not r.verified for r in rows)
    # the recruiter's mail says so, and names no application
    [mail, _] = [m for m in outbox(desk) if "asks for a person" in m["Subject"]]
    assert "Unverified" in body(mail) and VICTIM[0] not in body(mail)


async def test_a_verified_request_never_joins_an_unverified_one(desk):
    attacker = Chat(sender="attacker")
    await ask_for_a_person_with(attacker, VICTIM[1])
    # the real applicant proves who she is in her own conversation, then asks for a person
    own = Chat(sender="aisha")
    await verify_by_email(own, desk, VICTIM[1])
    reply = Chat.text(await own.send("Can I speak to someone?", "request_human"))
    assert "Eva Jansen" in reply
    rows = {r.conversation_id: r for r in await escalations(desk)}
    assert rows["aisha"].application.reference == VICTIM[0] and rows["aisha"].verified
    assert rows["attacker"].application_id is None and not rows["attacker"].verified
    assert rows["aisha"].id != rows["attacker"].id


async def test_asking_again_collapses_into_the_open_request(desk):
    """Finding 14: repeats neither mail the recruiter again nor fill the queue."""
    chat = Chat(sender="repeater")
    for _ in range(4):
        await chat.send("a human please", "request_human")
    assert len(await escalations(desk)) == 1
    mails = [m for m in outbox(desk) if "asks for a person" in m["Subject"]]
    assert len(mails) == 1


async def test_one_client_opens_a_bounded_number_of_unverified_requests(desk):
    limit = desk.settings.unverified_escalations_per_client
    same_client = {"helpdesk_client": "one-client"}
    for n in range(limit + 3):
        await Chat(sender=f"new-chat-{n}").send(
            "a human please", "request_human", None, same_client
        )
    assert len(await escalations(desk)) == limit
    assert len([m for m in outbox(desk) if "asks for a person" in m["Subject"]]) == limit
    # another client still gets through
    await Chat(sender="elsewhere").send(
        "a human please", "request_human", None, {"helpdesk_client": "b"}
    )
    assert len(await escalations(desk)) == limit + 1


async def test_the_recruiter_mail_never_holds_the_conversation_id(desk):
    """Finding 10: a web chat's session id lets whoever has it into the conversation."""
    session_id = "0123456789abcdef0123456789abcdef"
    chat = Chat(sender=session_id, channel="socketio")
    await verify_by_email(chat, desk, VICTIM[1])
    await chat.send("a person please", "request_human")
    mails = [m for m in outbox(desk) if m["To"] == "eva.jansen@example.com"]
    assert mails
    for mail in mails:
        assert session_id not in body(mail) and session_id not in mail["Subject"]
        assert "/desk/escalations/" in body(mail)
