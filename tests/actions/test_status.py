"""The status conversation at the action level: verification, personal answers, late employers."""

import dataclasses
import time

from sqlalchemy import select

from ats.models import ConversationProof, EscalationReason
from tests.actions.conftest import Chat, body, last_code, outbox

SANNE = ("AP-7K3M-9XQ2", "sanne.devries@example.nl")  # Dutch, never acknowledged: late
AISHA = ("AP-6VFK-8RMB", "aisha.okafor@example.com")  # English, in screening
DANIEL = "daniel.kim@example.com"  # two applications


async def verify(chat: Chat, desk, reference: str | None, address: str, lang="en") -> list[dict]:
    asked = await chat.send("did you get my application?", "check_status")
    assert "AP-4K7N-2QXB" in Chat.text(asked)  # says what a reference looks like (none real)
    if reference:
        await chat.send(
            f"my reference is {reference}", "provide_reference", {"reference": reference}
        )
    sent = await chat.send(address, "provide_email", {"email": address})
    assert address in Chat.text(sent)
    code = last_code(desk, address)
    return await chat.send(code, "provide_code", {"code": code})


async def test_a_verified_applicant_gets_a_personal_status_answer(desk):
    chat = Chat()
    reply = Chat.text(await verify(chat, desk, *AISHA))
    assert "Aisha" in reply
    assert "Data Analyst" in reply and "AP-6VFK-8RMB" in reply
    assert "your CV and motivation are being reviewed" in reply
    assert "(CV screening)" in reply
    assert "Eva Jansen" in reply
    # proven on the server, not in the conversation's slots
    async with desk.store.session() as session:
        proofs = (await session.scalars(select(ConversationProof))).all()
    assert [(p.conversation_id, p.reference) for p in proofs] == [("chat-1", "AP-6VFK-8RMB")]
    assert not any("verified" in name for name in chat.slots)


async def test_nothing_is_disclosed_before_the_code(desk):
    chat = Chat()
    await chat.send("status please", "check_status")
    await chat.send("AP-6VFK-8RMB", "provide_reference", {"reference": "AP-6VFK-8RMB"})
    reply = Chat.text(await chat.send(AISHA[1], "provide_email", {"email": AISHA[1]}))
    assert "Data Analyst" not in reply and "screening" not in reply.lower()
    assert "Eva" not in reply


async def test_unknown_reference_and_wrong_email_get_the_same_reply(desk):
    replies = []
    for reference, address in [
        ("AP-ZZZZ-ZZZZ", "sanne.devries@example.nl"),  # no such reference
        ("AP-7K3M-9XQ2", "someone.else@example.nl"),  # wrong email
    ]:
        chat = Chat(sender=f"chat-{reference}-{address}")
        await chat.send("status", "check_status")
        await chat.send(reference, "provide_reference", {"reference": reference})
        reply = Chat.text(await chat.send(address, "provide_email", {"email": address}))
        replies.append(reply.replace(address, "ADDRESS"))
    assert replies[0] == replies[1]
    assert outbox(desk) == []  # no code went anywhere


async def test_an_address_on_file_and_a_stranger_are_answered_after_the_same_wait(desk):
    """A match does more work than a miss; the answer must not come sooner for a miss."""
    desk.settings = dataclasses.replace(desk.settings, code_answer_ms=300)
    took = {}
    for address in (AISHA[1], "aisha.okafor1@example.com"):
        chat = Chat(sender=f"wait-{address}")
        await chat.send("status", "check_status")
        started = time.monotonic()
        reply = Chat.text(await chat.send(address, "provide_email", {"email": address}))
        took[address] = time.monotonic() - started
        assert address in reply
    assert min(took.values()) >= 0.3, took
    assert [m["To"] for m in outbox(desk)] == [AISHA[1]]  # a code only to the address on file


async def test_dutch_applicants_are_answered_in_dutch(desk):
    chat = Chat()
    await chat.send("hoi, hebben jullie mijn sollicitatie ontvangen?", "check_status")
    await chat.send(
        "mijn referentie is AP-5CWN-ZH3T", "provide_reference", {"reference": "AP-5CWN-ZH3T"}
    )
    await chat.send(
        "thijs.mulder@example.nl", "provide_email", {"email": "thijs.mulder@example.nl"}
    )
    code = last_code(desk, "thijs.mulder@example.nl")
    reply = Chat.text(await chat.send(f"de code is {code}", "provide_code", {"code": code}))
    assert "Dank je, Thijs" in reply
    assert "Backend Developer (Python)" in reply
    assert "Priya Sharma" in reply  # their recruiter, named once
    [code_mail] = [m for m in outbox(desk) if m["To"] == "thijs.mulder@example.nl"]
    assert "Je code" in code_mail["Subject"]


async def test_an_overdue_application_is_escalated_once_with_a_mail_to_the_recruiter(desk):
    chat = Chat()
    reply = Chat.text(await verify(chat, desk, *SANNE))
    assert "we promised to confirm your application by" in reply
    assert "Eva Jansen" in reply and "by " in reply
    mails = [m for m in outbox(desk) if m["To"] == "eva.jansen@example.com"]
    assert len(mails) == 1
    assert "acknowledgement overdue" in mails[0]["Subject"]
    assert "AP-7K3M-9XQ2" in body(mails[0]) and "Sanne de Vries" in body(mails[0])
    # asking again opens nothing new and mails nobody again
    again = Chat.text(await chat.send("any news?", "check_status"))
    assert "Eva Jansen" in again
    assert len([m for m in outbox(desk) if m["To"] == "eva.jansen@example.com"]) == 1
    overdue = await desk.store.list_overdue()
    assert EscalationReason.ACK_OVERDUE in {o.reason for o in overdue}


async def test_a_late_promised_update_is_escalated(desk):
    chat = Chat()
    reply = Chat.text(await verify(chat, desk, "AP-9TRB-X2KE", "oliver.bennett@example.com"))
    assert "we promised you an update by" in reply
    assert "Eva Jansen" in reply


async def test_several_applications_are_listed_and_one_chosen(desk):
    chat = Chat()
    reply = await verify(chat, desk, None, DANIEL)
    assert "2 applications" in Chat.text(reply)
    buttons = reply[-1]["buttons"]
    assert {b["title"] for b in buttons} == {
        "Data Analyst (AP-R6GW-2MZN)",
        "Finance Controller (AP-T3XH-7QCP)",
    }
    chosen = Chat.text(
        await chat.send("AP-R6GW-2MZN", "provide_reference", {"reference": "AP-R6GW-2MZN"})
    )
    assert "you are in the interview stage" in chosen and "Data Analyst" in chosen


async def test_a_wrong_code_then_the_right_one(desk):
    chat = Chat()
    await chat.send("status", "check_status")
    await chat.send(AISHA[1], "provide_email", {"email": AISHA[1]})
    code = last_code(desk, AISHA[1])
    wrong = "000000" if code != "000000" else "111111"
    reply = Chat.text(await chat.send(wrong, "provide_code", {"code": wrong}))
    assert "isn't right" in reply and "4 more" in reply
    assert "Data Analyst" not in reply
    assert "Data Analyst" in Chat.text(await chat.send(code, "provide_code", {"code": code}))


async def test_five_wrong_codes_lock_the_conversation(desk):
    chat = Chat()
    await chat.send("status", "check_status")
    await chat.send(AISHA[1], "provide_email", {"email": AISHA[1]})
    code = last_code(desk, AISHA[1])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        await chat.send(wrong, "provide_code", {"code": wrong})
    locked = Chat.text(await chat.send(wrong, "provide_code", {"code": wrong}))
    assert "too many wrong codes" in locked
    still = Chat.text(await chat.send(code, "provide_code", {"code": code}))
    assert "too many wrong codes" in still and "Data Analyst" not in still


async def test_an_unknown_applicant_is_handed_to_the_default_recruiter(desk):
    chat = Chat()
    await chat.send("did you get my application", "check_status")
    sent = Chat.text(
        await chat.send("piet@example.org", "provide_email", {"email": "piet@example.org"})
    )
    known = Chat()
    await known.send("did you get my application", "check_status")
    same = Chat.text(await known.send(AISHA[1], "provide_email", {"email": AISHA[1]}))
    assert sent.replace("piet@example.org", "X") == same.replace(AISHA[1], "X")

    assert "name" in Chat.text(await chat.send("no, nothing arrived", "deny"))
    assert "vacancy" in Chat.text(await chat.send("Piet Pieters", "greet"))
    done = Chat.text(await chat.send("the nursing job", "out_of_scope"))
    assert "Piet Pieters" in done and "Eva Jansen" in done and "piet@example.org" in done
    [mail] = [m for m in outbox(desk) if m["To"] == "eva.jansen@example.com"]
    assert "applicant not found in the ATS" in mail["Subject"]
    assert "Piet Pieters" in body(mail) and "piet@example.org" in body(mail)


async def test_an_address_gets_at_most_five_codes_an_hour_with_the_same_reply(desk):
    """Anyone can type an applicant's address: the help desk must not flood their inbox."""
    replies = []
    same_client = {"helpdesk_client": "one-address-typing-it"}
    for attempt in range(7):
        chat = Chat(sender=f"flood-{attempt}")
        await chat.send("status", "check_status", metadata=same_client)
        replies.append(
            Chat.text(await chat.send(AISHA[1], "provide_email", {"email": AISHA[1]}, same_client))
        )
    assert len(set(replies)) == 1
    codes = [m for m in outbox(desk) if m["To"] == AISHA[1] and "code" in m["Subject"].lower()]
    assert len(codes) == 5


async def test_an_address_misread_as_small_talk_still_moves_verification_on(desk):
    """The language model reads some addresses as "yes" or as a language switch."""
    for number, intent in enumerate(("affirm", "switch_language", "greet")):
        chat = Chat(sender=f"misread-{number}")
        await chat.send("where is my application?", "check_status")
        address = AISHA[1]
        reply = Chat.text(await chat.send(address, intent))  # no entity: the NLU missed it
        assert address in reply and chat.slots["awaiting"] == "code"
    code = last_code(desk, AISHA[1])
    reply = Chat.text(await chat.send(code, "affirm", {"code": code}))
    assert "Data Analyst" in reply


async def test_a_plain_yes_while_a_code_is_awaited_is_not_taken_for_one(desk):
    chat = Chat()
    await chat.send("where is my application?", "check_status")
    await chat.send(AISHA[1], "provide_email", {"email": AISHA[1]})
    reply = Chat.text(await chat.send("no", "deny"))
    assert chat.slots["awaiting"] == "contact_name"  # "no, nothing arrived": a person
    assert reply
