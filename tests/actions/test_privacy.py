"""Privacy in the conversation: what is kept and for how long, a copy of one's data by email,
erasure on request and consent to keeping the data longer; proven applicants only."""

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from ats.demo import APPLICANTS
from ats.models import Candidate, Escalation
from ats.store_basics import utcnow
from dialogue.privacy_wish import (
    ACCESS,
    CONSENT,
    ERASURE,
    WITHDRAW_CONSENT,
    cannot_receive_mail,
    privacy_wish,
)
from speech.catalogue import say
from tests.actions.conftest import Chat, last_code, outbox, verify_by_email

DANIEL = "daniel.kim@example.com"  # two applications, English
DANIELS = {"AP-R6GW-2MZN", "AP-T3XH-7QCP"}
AISHA = "aisha.okafor@example.com"  # English, in screening
SANNE = "sanne.devries@example.nl"  # Dutch


async def escalations(desk) -> list[Escalation]:
    async with desk.store.session() as session:
        return list((await session.scalars(select(Escalation))).unique())


async def candidate(desk, address: str) -> Candidate:
    async with desk.store.session() as session:
        return await session.scalar(select(Candidate).where(Candidate.email == address))


def export_mails(desk) -> list:
    return [m for m in outbox(desk) if m["Subject"].startswith(("Your data", "Je gegevens"))]


def attachments(message) -> dict[str, tuple[str, str]]:
    """filename -> (content type, text) of a mail's attachments."""
    return {
        part.get_filename(): (part.get_content_type(), part.get_payload(decode=True).decode())
        for part in message.walk()
        if part.get_filename()
    }


def text_of(message) -> str:
    [plain] = [
        p for p in message.walk() if p.get_content_type() == "text/plain" and not p.get_filename()
    ]
    return plain.get_payload(decode=True).decode()


def every_reference_on_file() -> set[str]:
    return {applicant.reference for applicant in APPLICANTS}


# -- what is kept, and the person for other requests


async def test_retention_is_explained_and_a_person_offered(desk):
    chat = Chat()
    reply = Chat.text(await chat.send("how long do you keep my data?", "privacy_request"))
    assert "4 weeks" in reply and "12 months" in reply
    assert "see or delete" in reply
    done = Chat.text(await chat.send("yes please", "affirm"))
    assert "passed your request to Eva Jansen" in done
    [escalation] = await escalations(desk)
    assert escalation.reason == "privacy_request" and escalation.privacy_kind is None
    assert any("privacy request" in m["Subject"] for m in outbox(desk))


async def test_not_wanting_anything_deleted_is_not_an_erasure(desk):
    chat = Chat()
    await verify_by_email(chat, desk, AISHA)
    reply = Chat.text(await chat.send("I don't want you to delete anything", "privacy_request"))
    assert "4 weeks" in reply
    assert await escalations(desk) == []


# -- access


async def test_a_verified_applicant_gets_their_data_by_email_and_nobody_elses(desk):
    chat = Chat()
    await verify_by_email(chat, desk, DANIEL)
    reply = Chat.text(await chat.send("send me my data", "privacy_request"))
    assert "d***@example.com" in reply and DANIEL not in reply
    [mail] = export_mails(desk)
    assert mail["To"] == DANIEL
    assert "Daniel" in text_of(mail)
    files = attachments(mail)
    assert set(files) == {"your-data.html", "your-data.json"}
    assert files["your-data.html"][0] == "text/html"
    assert files["your-data.json"][0] == "application/json"
    data = json.loads(files["your-data.json"][1])
    assert data["email"] == DANIEL and data["name"] == "Daniel Kim"
    assert {a["reference"] for a in data["applications"]} == DANIELS
    # the conversation asking is in it, as it was said
    said = [m["text"] for c in data["conversations"] for m in c["messages"]]
    assert "send me my data" in said
    # nobody else's applications, in either copy
    others = every_reference_on_file() - DANIELS
    for content in (files["your-data.json"][1], files["your-data.html"][1]):
        assert not [reference for reference in others if reference in content]
        assert "Daniel Kim" in content
    assert "AP-R6GW-2MZN" in files["your-data.html"][1]


async def test_someone_not_verified_is_asked_to_verify_first_then_gets_it(desk):
    chat = Chat()
    reply = Chat.text(await chat.send("welke gegevens hebben jullie van mij", "privacy_request"))
    assert "referentie" in reply and "code" in reply
    assert export_mails(desk) == []
    await chat.send(AISHA, "provide_email", {"email": AISHA})
    assert export_mails(desk) == []  # a code first, not the data
    code = last_code(desk, AISHA)
    done = Chat.text(await chat.send(code, "provide_code", {"code": code}))
    assert "a***@example.com" in done
    [mail] = export_mails(desk)
    assert mail["To"] == AISHA
    # asked in Dutch: the mail and its document are Dutch
    assert mail["Subject"] == "Je gegevens bij de helpdesk van Northwind"
    files = attachments(mail)
    assert set(files) == {"jouw-gegevens.html", "jouw-gegevens.json"}
    assert "Je sollicitaties" in files["jouw-gegevens.html"][1]
    assert [a["reference"] for a in json.loads(files["jouw-gegevens.json"][1])["applications"]] == [
        "AP-6VFK-8RMB"
    ]


async def test_typing_someone_elses_address_gets_them_nothing(desk):
    chat = Chat(sender="stranger")
    await chat.send("send me a copy of my data", "privacy_request")
    await chat.send(AISHA, "provide_email", {"email": AISHA})
    await chat.send("123456", "provide_code", {"code": "123456"})
    assert export_mails(desk) == []


# -- erasure


async def test_a_verified_erasure_request_becomes_an_erasure_escalation(desk):
    chat = Chat()
    await verify_by_email(chat, desk, AISHA)
    reply = Chat.text(await chat.send("please delete my data", "privacy_request"))
    assert "erase" in reply and "a***@example.com" in reply
    assert "system of record" in reply
    [escalation] = await escalations(desk)
    assert escalation.reason == "privacy_request" and escalation.privacy_kind == "erasure"
    assert escalation.verified and escalation.application.reference == "AP-6VFK-8RMB"
    assert escalation.applicant_email == AISHA


async def test_an_earlier_request_of_unknown_kind_becomes_an_erasure(desk):
    chat = Chat()
    await chat.send("how long do you keep my data?", "privacy_request")
    await chat.send("yes", "affirm")  # pass it to a person, whatever it is
    await chat.send("delete my data", "privacy_request")
    await chat.send("I no longer have access to that mailbox", "deny")
    # the same request, now known to be an erasure: one escalation, not two
    [escalation] = await escalations(desk)
    assert escalation.privacy_kind == "erasure" and not escalation.verified


async def test_erasure_needs_verification_and_can_be_passed_on_unverified(desk):
    chat = Chat()
    reply = Chat.text(await chat.send("verwijder mijn gegevens", "privacy_request"))
    assert "referentie" in reply and "mailbox" in reply
    assert await escalations(desk) == []
    # "I can't read that mailbox any more": a recruiter checks who it is another way
    done = Chat.text(await chat.send("ik kan niet meer bij die mailbox", "out_of_scope"))
    assert "Eva Jansen" in done and "andere manier" in done
    [escalation] = await escalations(desk)
    assert escalation.privacy_kind == "erasure"
    assert not escalation.verified and escalation.application_id is None


async def test_erasure_goes_on_after_the_code(desk):
    chat = Chat()
    await chat.send("I want my data erased", "privacy_request")
    await chat.send(DANIEL, "provide_email", {"email": DANIEL})
    code = last_code(desk, DANIEL)
    done = Chat.text(await chat.send(code, "provide_code", {"code": code}))
    assert "erase" in done and "d***@example.com" in done
    [escalation] = await escalations(desk)
    assert escalation.privacy_kind == "erasure" and escalation.verified


# -- consent


async def test_consent_is_asked_after_the_retention_answer_and_recorded_with_its_words(desk):
    chat = Chat()
    await verify_by_email(chat, desk, AISHA)
    reply = await chat.send("how long do you keep my data?", "privacy_request")
    question = say("conversation.privacy_consent_question", "en", employer="Northwind", months=12)
    assert "4 weeks" in Chat.text(reply)
    assert reply[-1]["text"] == question and len(reply[-1]["buttons"]) == 2
    before = utcnow()
    done = Chat.text(await chat.send("yes", "affirm"))
    assert "12 months" in done
    recorded = await candidate(desk, AISHA)
    assert recorded.consent_source == "conversation"
    assert recorded.consent_wording == question
    assert before - timedelta(seconds=1) <= recorded.consent_given_at <= utcnow()
    # asked again: it is known
    again = Chat.text(await chat.send("how long do you keep my data?", "privacy_request"))
    assert "You agreed on" in again
    # and withdrawn on request
    gone = Chat.text(await chat.send("I withdraw my consent", "privacy_request"))
    assert "withdrawn" in gone
    assert (await candidate(desk, AISHA)).consent_given_at is None


async def test_consent_in_dutch_is_recorded_in_dutch(desk):
    chat = Chat()
    await verify_by_email(chat, desk, SANNE)
    reply = await chat.send("hoe lang bewaren jullie mijn gegevens", "privacy_request")
    question = reply[-1]["text"]
    assert question.startswith("Mag Northwind je sollicitatiegegevens")
    await chat.send("ja", "affirm")
    recorded = await candidate(desk, SANNE)
    assert recorded.consent_wording == question and recorded.consent_source == "conversation"


async def test_no_consent_records_nothing(desk):
    chat = Chat()
    await verify_by_email(chat, desk, AISHA)
    await chat.send("how long do you keep my data?", "privacy_request")
    done = Chat.text(await chat.send("no", "deny"))
    assert "4 weeks" in done
    assert (await candidate(desk, AISHA)).consent_given_at is None


async def test_consent_needs_verification(desk):
    chat = Chat()
    reply = Chat.text(await chat.send("you may keep my CV for other vacancies", "privacy_request"))
    assert "reference" in reply
    await chat.send(AISHA, "provide_email", {"email": AISHA})
    code = last_code(desk, AISHA)
    asked = await chat.send(code, "provide_code", {"code": code})
    assert any(m.get("buttons") for m in asked)  # the question, once it is them
    await chat.send("yes", "affirm")
    assert (await candidate(desk, AISHA)).consent_source == "conversation"


# -- telling the wishes apart


@pytest.mark.parametrize(
    ("text", "wish"),
    [
        ("send me my data", ACCESS),
        ("welke gegevens hebben jullie van mij", ACCESS),
        ("inzageverzoek", ACCESS),
        ("I want a copy of my data", ACCESS),
        ("ik wil alle gegevens zien die jullie van mij hebben", ACCESS),
        ("delete my data", ERASURE),
        ("vergeet mij", ERASURE),
        ("verwijder mijn gegevens", ERASURE),
        ("I'm not interested any more so delete my data", ERASURE),
        ("I don't want to hear about other vacancies, delete my details", ERASURE),
        ("withdraw my consent", WITHDRAW_CONSENT),
        ("ik trek mijn toestemming in", WITHDRAW_CONSENT),
        ("remove me from the talent pool", WITHDRAW_CONSENT),
        ("you may keep my CV for other vacancies", CONSENT),
        ("ik geef toestemming", CONSENT),
        ("I don't want you to delete anything", None),
        ("ik wil niet dat jullie iets verwijderen", None),
        ("verwijder niets", None),
        ("will my data be deleted if I withdraw?", None),
        ("please delete my CV after the procedure", None),
        ("how long do you keep my personal data", None),
        ("who can see my personal data", None),
        ("does the hiring manager see my personal data", None),
        ("forget it", None),
    ],
)
def test_the_wish_is_told_by_its_words(text, wish):
    assert privacy_wish(text) == wish


@pytest.mark.parametrize(
    ("text", "cannot"),
    [
        ("I have no access to that mailbox", True),
        ("ik kan niet meer bij die mailbox", True),
        ("that's my old address", True),
        ("sure", False),
    ],
)
def test_not_being_able_to_read_the_mailbox(text, cannot):
    assert cannot_receive_mail(text) is cannot


def test_the_demo_references_are_known_here():
    assert DANIELS <= every_reference_on_file()
    assert all(re.fullmatch(r"AP-\w{4}-\w{4}", r) for r in every_reference_on_file())
