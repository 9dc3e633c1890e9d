"""A person is one message away: request_human and complaints escalate at once."""

from sqlalchemy import select, update

from ats.models import Escalation, OutgoingMail
from ats.store_basics import utcnow
from tests.actions.conftest import Chat, body, outbox, verify_by_email


async def escalations(desk) -> list[Escalation]:
    async with desk.store.session() as session:
        return list((await session.scalars(select(Escalation))).unique())


async def time_passes(desk) -> None:
    """The hold on unverified alerts runs out, and the next flush (the sweep's) sends them."""
    async with desk.store.session() as session, session.begin():
        await session.execute(
            update(OutgoingMail)
            .where(OutgoingMail.sent_at.is_(None))
            .values(claimed_until=utcnow().replace(year=2000))
        )
    await desk.mailer.deliver_pending()


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
    assert "passed your details to Eva Jansen" in done and "mark@example.org" in done
    [escalation] = await escalations(desk)
    assert escalation.applicant_name == "Mark de Boer"
    assert escalation.applicant_email == "mark@example.org"
    assert escalation.vacancy_hint == "Finance Controller"


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
    await time_passes(desk)
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
    await time_passes(desk)
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
    await time_passes(desk)
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


# -- issue 17: the contact details of someone who asks for a person without proving who they are


def alerts(desk) -> list:
    return [m for m in outbox(desk) if "[Help desk]" in (m["Subject"] or "")]


async def test_contact_answers_are_checked_and_asked_again(desk):
    chat = Chat(sender="impatient")
    await chat.send("I want to talk to a human", "request_human")
    again = Chat.text(await chat.send("Hello? Is anyone there?", "greet"))
    assert "didn't catch your name" in again
    assert "email" in Chat.text(await chat.send("Mark de Boer", "greet"))
    not_an_address = Chat.text(await chat.send("tomorrow maybe", "out_of_scope"))
    assert "doesn't look like an email address" in not_an_address
    assert "vacancy" in Chat.text(
        await chat.send("mark@example.org", "provide_email", {"email": "mark@example.org"})
    )
    await chat.send("the warehouse job", "out_of_scope")
    [escalation] = await escalations(desk)
    assert escalation.applicant_name == "Mark de Boer"  # never "Hello? Is anyone there?"
    assert escalation.applicant_email == "mark@example.org"


async def test_dutch_answers_are_asked_again_in_dutch(desk):
    chat = Chat(sender="nl")
    await chat.send("ik wil graag iemand spreken", "request_human")
    assert "Hoe heet je?" in Chat.text(await chat.send("hallo? is daar iemand?", "greet"))
    await chat.send("Noor Bakker", "greet")
    assert "geen e-mailadres" in Chat.text(await chat.send("weet ik niet", "out_of_scope"))


async def test_a_reference_and_address_in_the_request_are_taken_not_routed_by(desk):
    """Sophie's reference names the ICU vacancy, Daan Bakker's; she has not proven it, so the
    reply is the one a made-up reference gets: the default recruiter (Eva Jansen) takes it, and
    the desk shows the reference as given."""
    replies = {}
    for sender, reference in (("with-reference", "ap-h4nt 6kyd"), ("made-up", "ap-zzzz 2222")):
        chat = Chat(sender=sender)
        first = Chat.text(
            await chat.send(
                f"I want to talk to a human about {reference}, mail me at s@example.org",
                "request_human",
            )
        )
        done = Chat.text(await chat.send("Sophie Turner", "greet"))
        replies[sender] = (first, done)
    first, done = replies["with-reference"]
    assert replies["made-up"] == replies["with-reference"]  # nothing told by the reply
    assert "Daan Bakker" not in first + done and "Verpleegkundige" not in first + done
    # name asked; the address and the reference are never asked for again
    assert "passed your details to Eva Jansen" in done and "s@example.org" in done
    escalation = next(e for e in await escalations(desk) if e.given_reference == "AP-H4NT-6KYD")
    assert escalation.reason == "applicant_request"  # "asked for a person"
    assert escalation.application_id is None and not escalation.verified
    assert escalation.recruiter.email == "eva.jansen@example.com"
    alert = next(a for a in alerts(desk) if "AP-H4NT-6KYD" in body(a))
    assert "AP-H4NT-6KYD (given, not verified)" in body(alert)


async def test_a_reference_given_out_of_order_is_kept(desk):
    chat = Chat(sender="out-of-order")
    await chat.send("can I speak to someone", "request_human")
    still = Chat.text(await chat.send("AP-6VFK-8RMB", "provide_reference"))
    assert "what is your name" in still
    await chat.send("Aisha", "greet")
    await chat.send("no", "deny")  # no address: the recruiter answers in the chat
    [escalation] = await escalations(desk)
    assert escalation.given_reference == "AP-6VFK-8RMB" and escalation.applicant_name == "Aisha"
    assert escalation.application_id is None
    assert len(alerts(desk)) == 1


async def test_a_request_naming_a_vacancy_goes_to_its_recruiter(desk):
    chat = Chat(sender="developer")
    reply = Chat.text(
        await chat.send(
            "I'd like to talk to a person about the Backend Developer job", "request_human"
        )
    )
    assert "Priya Sharma" in reply
    [escalation] = await escalations(desk)
    assert escalation.reason == "applicant_request"
    assert escalation.recruiter.email == "priya.sharma@example.com"


async def test_a_vacancy_named_in_the_answer_routes_the_request(desk):
    chat = Chat(sender="nurse")
    await chat.send("a human please", "request_human")
    await chat.send("Noor Bakker", "greet")
    await chat.send("noor@example.org", "provide_email", {"email": "noor@example.org"})
    done = Chat.text(await chat.send("ICU-NURSE-07", "out_of_scope"))
    assert "Daan Bakker" in done
    [alert] = alerts(desk)
    assert alert["To"] == "daan.bakker@example.com"


async def test_the_alert_waits_for_the_details_and_links_the_escalation(desk):
    chat = Chat(sender="waits")
    await chat.send("I want to talk to a human", "request_human")
    assert alerts(desk) == []  # never "An applicant <no email given>"
    await chat.send("Mark de Boer", "greet")
    await chat.send("mark@example.org", "provide_email", {"email": "mark@example.org"})
    assert alerts(desk) == []
    await chat.send("Data Analyst", "out_of_scope")
    [alert] = alerts(desk)
    [escalation] = await escalations(desk)
    text = body(alert)
    assert "Mark de Boer <mark@example.org>" in text and "no email given" not in text
    assert "Mark de Boer" in alert["Subject"]
    assert f"{desk.settings.public_base_url}/desk/escalations/{escalation.id}" in text
    assert "I want to talk to a human" in text  # what they asked, not their last answer


async def test_the_alert_is_not_lost_when_the_applicant_stops_answering(desk):
    leaves = Chat(sender="leaves")
    await leaves.send("I want to talk to a human", "request_human")
    await leaves.send("Mark de Boer", "greet")
    await leaves.send("bye", "goodbye")
    [alert] = alerts(desk)
    assert "Mark de Boer" in body(alert)
    silent = Chat(sender="silent", channel="socketio")
    await silent.send("a person please", "request_human")
    assert len(alerts(desk)) == 1
    await time_passes(desk)
    assert len(alerts(desk)) == 2
    await time_passes(desk)
    assert len(alerts(desk)) == 2  # once
