"""The escalation's thread in the desk (issue 17, items 2 and 7), over HTTP on SQLite and
PostgreSQL: a recruiter's email reply is a letter in the applicant's language that shows in
the thread; the applicant's answer by email, over a real SMTP conversation with the help desk's
inbound server, lands in the same thread; an internal note shows marked as such and never
reaches the applicant.
"""

from __future__ import annotations

import dataclasses
import re
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
from tests.desk.test_views import account, chat, log_in, url
from tests.servers import csrf_of, free_port
from tests.web.conftest import last_code

EVA = "eva@example.com"
DOMAIN = "replies.example.com"
OLIVER = ("AP-9TRB-X2KE", "oliver.bennett@example.com")
NOTE = "Internal: Oliver's salary expectation is above the band"


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
    # from the recruiter, at the help desk's address (the one mail to it is checked)
    [sender] = letter["From"].addresses
    assert (sender.display_name, sender.addr_spec) == (
        "Eva Jansen (Northwind)",
        "helpdesk@localhost",
    )
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


@pytest.mark.server
def test_a_chat_hand_over_shows_one_thread_and_a_note_stays_in_the_desk(helpdesk):
    """Against the running help desk: the applicant's chat (the tracker) and the thread (a reply
    gone by email, as a REST client never listens; a note) in one time order, each reply once."""
    sender, (reference, address) = "rest-oliver-thread", OLIVER
    chat(helpdesk, sender, "Where does my application stand?")
    chat(helpdesk, sender, reference)
    chat(helpdesk, sender, address)
    chat(helpdesk, sender, last_code(helpdesk, address))
    chat(helpdesk, sender, "I'd like to talk to a person please")

    account(helpdesk, "thread.admin@example.com", "--admin")
    admin, queue = log_in(helpdesk, "thread.admin@example.com")
    escalation = int(re.search(r'href="/desk/escalations/(\d+)">Oliver', queue.text).group(1))
    page = f"/desk/escalations/{escalation}"
    token = csrf_of(admin.get(url(helpdesk, page)).text)
    admin.post(url(helpdesk, f"{page}/claim"), data={"csrf_token": token})
    assert chat(helpdesk, sender, "Hello? Anyone there?") == ""  # the bot is paused
    admin.post(url(helpdesk, f"{page}/note"), data={"csrf_token": token, "text": NOTE})
    reply = "Hi Oliver, Priya here: we will call you tomorrow."
    admin.post(url(helpdesk, f"{page}/reply"), data={"csrf_token": token, "text": reply})
    after = chat(helpdesk, sender, "Thanks!")

    lines = admin.get(url(helpdesk, f"{page}/transcript.json")).json()["lines"]
    texts = [line["text"] for line in lines]
    assert texts.count(reply) == 1 and texts.count(NOTE) == 1
    assert texts.index("Hello? Anyone there?") < texts.index(NOTE) < texts.index(reply)
    assert texts.index(reply) < texts.index("Thanks!")
    [sent] = [line for line in lines if line["text"] == reply]
    assert (sent["kind"], sent["channel"]) == ("recruiter", "email")
    [note] = [line for line in lines if line["text"] == NOTE]
    assert (note["kind"], note["how"]) == ("note", "Internal note")
    assert [line["at"] for line in lines] == sorted(line["at"] for line in lines)

    # the note reached the applicant nowhere: not in the chat, not in any mail
    assert NOTE not in after
    for mail in helpdesk.outbox.glob("*.eml"):
        assert "salary" not in mail.read_text()
    assert any(reply in mail.read_text() for mail in helpdesk.outbox.glob("*.eml"))
