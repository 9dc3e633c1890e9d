"""The escalation's thread in the desk (issue 17, items 2 and 7), over HTTP on SQLite and
PostgreSQL: a recruiter's email reply is a letter in the applicant's language that shows in
the thread; the applicant's answer by email, over a real SMTP conversation with the help desk's
inbound server, lands in the same thread; an internal note shows marked as such and never
reaches the applicant.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import aiosmtplib
import pytest
from sqlalchemy import select

from ats.inbound_mail import start_inbound_mail
from ats.models import EscalationMessage, EscalationReason
from ats.records import EscalationRequest
from ats.settings import Settings
from ats.store_basics import utcnow
from tests.ats.helpers import add, row
from tests.desk.conftest import Browser, InProcessDesk
from tests.servers import free_port

EVA, DAAN = "eva@example.com", "daan@example.com"
DOMAIN = "replies.example.com"


@pytest.fixture
def db_settings(settings: Settings, database_url: str) -> Settings:
    """The desk's settings (tests/desk/conftest.py) with an inbound domain for replies."""
    return dataclasses.replace(
        settings,
        ats_database_url=database_url,
        inbound_domain=DOMAIN,
        secret_key="thread-desk-key",
        employer_name="Northwind",
    )


async def escalate(desk: InProcessDesk) -> tuple[int, str]:
    """Sanne (Dutch, in the ATS) asked for a person; no chat to reach her in: only email."""
    await add(desk.store, desk.settings, row())
    [application] = await desk.store.find_applications_by_email("sanne@example.nl")
    escalation, _, _ = await desk.store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.APPLICANT_REQUEST,
            respond_by=utcnow() + timedelta(days=1),
            application_reference=application.reference,
        )
    )
    return escalation.id, application.reference


async def act(browser: Browser, escalation: int, what: str, **form: str):
    token = await browser.csrf(f"/desk/escalations/{escalation}")
    return await browser.post(f"/desk/escalations/{escalation}/{what}", csrf_token=token, **form)


async def logged_in(desk: InProcessDesk, address: str, name: str) -> Browser:
    await desk.account(address, name)
    browser = desk.browser()
    assert (await browser.log_in(address)).status_code == 302
    return browser


async def test_an_email_reply_is_a_letter_in_the_thread_and_the_answer_comes_back(
    desk: InProcessDesk,
):
    escalation, reference = await escalate(desk)
    eva = await logged_in(desk, EVA, "Eva Jansen")
    assert (await act(eva, escalation, "claim")).status_code == 302
    answer = await act(eva, escalation, "reply", text="Je gesprek is dinsdag om 10 uur.")
    assert answer.status_code == 302 and "sent=email" in answer.headers["Location"]

    # the letter: Dutch, as Sanne's application is; her name, the reference and vacancy, the
    # recruiter's signature, and a Reply-To that brings her answer back
    [letter] = desk.outbox()
    assert letter["To"] == "sanne@example.nl"
    assert letter["Subject"] == f"Re: je sollicitatie {reference} \u2014 Data Analyst"
    body = letter.get_content()
    assert body.startswith("Hoi Sanne,\n\nJe gesprek is dinsdag om 10 uur.")
    assert "Je kunt Eva Jansen antwoorden door deze e-mail te beantwoorden." in body
    assert body.rstrip().endswith("Met vriendelijke groet,\nEva Jansen\nNorthwind")
    reply_to = letter["Reply-To"]
    assert reply_to.startswith("reply+") and reply_to.endswith(f"@{DOMAIN}")
    assert reply_to != f"reply+{escalation}@{DOMAIN}"

    # the reply is in the thread, with how it went: a colleague sees what was said
    page = (await eva.get(f"/desk/escalations/{escalation}")).text
    assert "Je gesprek is dinsdag om 10 uur." in page and "by email" in page

    # Sanne answers from her mail program, over SMTP to the Reply-To address
    port = free_port()
    server = await start_inbound_mail(desk.store, desk.settings, port=port, host="127.0.0.1")
    try:
        forged = f"reply+{escalation}-{'a' * 24}@{DOMAIN}"
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            await aiosmtplib.send(
                "Subject: x\r\n\r\nlet me in",
                sender="someone@example.org",
                recipients=[forged],
                hostname="127.0.0.1",
                port=port,
            )
        message = letter.__class__(policy=letter.policy)
        message["From"] = "sanne@example.nl"
        message["To"] = reply_to
        message["Subject"] = "Re: " + letter["Subject"]
        quoted = "\n".join("> " + line for line in body.splitlines())
        message.set_content(f"Top, dan ben ik er!\n\nOp ma schreef Eva Jansen:\n{quoted}")
        await aiosmtplib.send(message, hostname="127.0.0.1", port=port)
    finally:
        server.close()
        await server.wait_closed()

    thread = (await eva.get(f"/desk/escalations/{escalation}/transcript.json")).json()["lines"]
    assert [(line["kind"], line["channel"], line["text"]) for line in thread] == [
        ("recruiter", "email", "Je gesprek is dinsdag om 10 uur."),
        ("applicant", "email", "Top, dan ben ik er!"),
    ]
    assert thread[0]["speaker"] == "Eva Jansen" and thread[0]["how"] == "by email"
    assert "let me in" not in (await eva.get(f"/desk/escalations/{escalation}")).text
    await eva.close()


async def test_an_internal_note_shows_marked_and_never_reaches_the_applicant(
    desk: InProcessDesk,
):
    escalation, _ = await escalate(desk)
    eva = await logged_in(desk, EVA, "Eva Jansen")
    admin_note = "She sounded upset on the phone; salary band is 4-5k"
    assert (await act(eva, escalation, "claim")).status_code == 302
    answer = await act(eva, escalation, "note", text=admin_note)
    assert answer.status_code == 302 and "notice=note_added" in answer.headers["Location"]

    page = (await eva.get(answer.headers["Location"])).text
    assert admin_note in page and "Internal note" in page and "Only recruiters see it" in page
    [line] = (await eva.get(f"/desk/escalations/{escalation}/transcript.json")).json()["lines"]
    assert (line["kind"], line["how"], line["speaker"]) == ("note", "Internal note", "Eva Jansen")
    assert desk.outbox() == []  # nothing sent, on any channel: there is none but email here

    # a reply after it carries the reply only
    await act(eva, escalation, "reply", text="Hoi, ik bel je morgen.")
    [letter] = desk.outbox()
    assert "salary" not in letter.as_string() and "upset" not in letter.as_string()
    async with desk.store.session() as session:
        kinds = list(
            await session.execute(
                select(EscalationMessage.kind, EscalationMessage.channel).order_by(
                    EscalationMessage.id
                )
            )
        )
    assert [tuple(k) for k in kinds] == [("note", "desk"), ("recruiter", "email")]

    # resolved: closed, no more notes
    assert (await act(eva, escalation, "resolve")).status_code == 302
    refused = await act(eva, escalation, "note", text="one more")
    assert refused.status_code == 403
    await eva.close()
