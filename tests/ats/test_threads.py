"""The escalation's thread and the inbound mail that feeds it (issue 17, item 2), on SQLite and
PostgreSQL: messages in time order with their channel; reply addresses that cannot be forged;
the applicant's words out of any mail, without the quoted history; and a real SMTP
conversation with the help desk's inbound server, which refuses everything but a reply.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from email.message import EmailMessage

import aiosmtplib
import pytest
from sqlalchemy import update

from ats.inbound_mail import (
    MAX_MESSAGE_BYTES,
    escalation_of_token,
    reply_address,
    reply_text,
    reply_token,
    start_inbound_mail,
)
from ats.keys import secret_key
from ats.models import Escalation, EscalationReason
from ats.records import EscalationRequest
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow
from ats.threads import add_message, thread
from tests.ats.helpers import add, row
from tests.servers import free_port

DOMAIN = "replies.example.com"


@pytest.fixture
def inbound_settings(db_settings: Settings) -> Settings:
    return dataclasses.replace(db_settings, inbound_domain=DOMAIN, secret_key="thread-test-key")


async def escalate(store: ATSStore, settings: Settings) -> int:
    await add(store, settings, row())
    [application] = await store.find_applications_by_email("sanne@example.nl")
    escalation, _, _ = await store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.APPLICANT_REQUEST,
            respond_by=utcnow() + timedelta(days=1),
            application_reference=application.reference,
        )
    )
    return escalation.id


async def test_the_thread_is_in_time_order_with_channel_and_writer(store, inbound_settings):
    escalation = await escalate(store, inbound_settings)
    now = utcnow()
    await add_message(store, escalation, "applicant", "Thanks!", channel="email", at=now)
    await add_message(
        store, escalation, "note", "Called her", channel="desk", at=now - timedelta(minutes=5)
    )
    await add_message(store, escalation, "recruiter", "Hello Sanne", channel="email", at=now)
    messages = await thread(store, escalation)
    assert [(m.kind, m.channel, m.text) for m in messages] == [
        ("note", "desk", "Called her"),
        ("applicant", "email", "Thanks!"),  # the same moment: in the order added
        ("recruiter", "email", "Hello Sanne"),
    ]
    assert messages[0].internal and not messages[1].internal
    assert await thread(store, escalation + 1) == []
    with pytest.raises(ValueError):
        await add_message(store, escalation, "someone", "x")  # type: ignore[arg-type]


def test_a_reply_address_cannot_be_guessed_or_forged(inbound_settings):
    key = secret_key(inbound_settings)
    address = reply_address(inbound_settings, 7)
    assert address is not None and address.endswith(f"@{DOMAIN}")
    token = address.removeprefix("reply+").partition("@")[0]
    assert escalation_of_token(key, token) == 7
    assert escalation_of_token(key, token.upper()) == 7  # a relay that changes the case
    mac = token.partition("-")[2]
    for forged in ("7", "7-", f"8-{mac}", f"7-{mac[:-1]}0", "7-" + "0" * len(mac), "x-y", ""):
        assert escalation_of_token(key, forged) is None, forged
    assert escalation_of_token(b"another help desk", token) is None
    assert reply_token(key, 7) != reply_token(key, 8)
    assert reply_address(dataclasses.replace(inbound_settings, inbound_domain=None), 7) is None


def mail(body: str, subtype: str = "plain", charset: str = "utf-8") -> bytes:
    message = EmailMessage()
    message["From"] = "sanne@example.nl"
    message["To"] = "reply+x@" + DOMAIN
    message["Subject"] = "Re: je sollicitatie"
    message.set_content(body, subtype=subtype, charset=charset)
    return message.as_bytes()


def test_the_reply_is_taken_without_the_quoted_history():
    english = "Thanks Eva, Tuesday works.\n\nOn Mon, 30 Nov 2026, Eva wrote:\n> Hi Sanne,\n> ..."
    assert reply_text(mail(english)) == "Thanks Eva, Tuesday works."
    wrapped = "Fine.\n\nOn Mon, 30 Nov 2026 at 19:00, Eva Jansen <x@example.com>\nwrote:\n> Hi"
    assert reply_text(mail(wrapped)) == "Fine."
    dutch = "Dank je, dinsdag past.\n\nOp ma 30 nov. 2026 om 19:00 schreef Eva:\n> Hoi Sanne"
    assert reply_text(mail(dutch)) == "Dank je, dinsdag past."
    outlook = "Prima!\n\n-----Original Message-----\nFrom: Eva\nHi Sanne"
    assert reply_text(mail(outlook)) == "Prima!"
    signed = "Yes please.\n-- \nSanne de Vries\n+31 6 1234"
    assert reply_text(mail(signed)) == "Yes please."
    html = "<div>Graag,<br>Sanne</div><blockquote>Hoi Sanne, Eva</blockquote><style>p{}</style>"
    assert reply_text(mail(html, "html")) == "Graag,\nSanne"
    assert reply_text(mail("Één dag later: ça va", charset="latin-1")) == "Één dag later: ça va"


def test_odd_mime_never_raises():
    for raw in (
        b"",
        b"\x00\xff\xfe garbage",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nbroken",
        b"Content-Type: text/plain; charset=no-such-charset\r\n\r\nHallo",
        b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%not base64",
        b"Content-Type: image/png\r\n\r\n\x89PNG",
        b"Content-Type: text/html\r\n\r\n<p><<<</p",
    ):
        assert isinstance(reply_text(raw), str)
    assert reply_text(b"Content-Type: text/plain; charset=no-such-charset\r\n\r\nHallo") == "Hallo"


async def test_a_real_smtp_conversation_files_a_reply_and_refuses_the_rest(store, inbound_settings):
    escalation = await escalate(store, inbound_settings)
    port = free_port()
    server = await start_inbound_mail(store, inbound_settings, port=port, host="127.0.0.1")
    address = reply_address(inbound_settings, escalation)
    assert address is not None
    token = address.removeprefix("reply+").partition("@")[0]

    async def send(to: str, body: bytes) -> None:
        await aiosmtplib.send(
            body, sender="sanne@example.nl", recipients=[to], hostname="127.0.0.1", port=port
        )

    try:
        answer = "Dank je Eva, dinsdag om 10 uur past.\n\nOp ma 30 nov. schreef Eva:\n> Hoi"
        refused = [
            f"reply+{escalation}@{DOMAIN}",  # the escalation's id alone
            f"reply+{escalation + 1}-{token.partition('-')[2]}@{DOMAIN}",  # another's id
            f"reply+{escalation}-{'0' * 24}@{DOMAIN}",  # a made-up mac
            f"reply+{token}@elsewhere.example.com",  # not our domain
            f"eva+{token}@{DOMAIN}",
            f"postmaster@{DOMAIN}",
        ]
        for to in refused:
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as error:
                await send(to, mail(answer))
            assert error.value.recipients[0].code == 550, to
        assert await thread(store, escalation) == []

        # a mail without any text of its own, and one too large
        with pytest.raises(aiosmtplib.SMTPResponseException) as error:
            await send(address, mail("> only the quote\n> of the last mail"))
        assert error.value.code == 550
        with pytest.raises(aiosmtplib.SMTPResponseException) as error:
            await send(address, mail("x" * (MAX_MESSAGE_BYTES + 10)))
        assert error.value.code == 552
        assert await thread(store, escalation) == []

        await send(address, mail(answer))
        [message] = await thread(store, escalation)
        assert (message.kind, message.channel, message.recruiter_name) == (
            "applicant",
            "email",
            None,
        )
        assert message.text == "Dank je Eva, dinsdag om 10 uur past."

        # resolved meanwhile: the answer brings it back to the queue, unclaimed
        async with store.session() as session, session.begin():
            await session.execute(
                update(Escalation)
                .where(Escalation.id == escalation)
                .values(state="resolved", resolved_at=utcnow())
            )
        await send(address, mail("Nog een vraag: mag ik ook op vrijdag komen?"))
        async with store.session() as session:
            reopened = await session.get(Escalation, escalation)
            assert (reopened.state, reopened.resolved_at) == ("open", None)
        assert len(await thread(store, escalation)) == 2
    finally:
        server.close()
        await server.wait_closed()
