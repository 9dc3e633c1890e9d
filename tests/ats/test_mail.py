"""Outgoing mail over a real SMTP conversation (aiosmtpd on loopback) and into the outbox."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import os
import stat

from sqlalchemy import select

from ats.mail import Mail, Mailer, mask_email
from ats.models import OutgoingMail
from tests.servers import free_port

MAIL = Mail(
    to="sanne@example.nl",
    subject="Je code: 123456",
    body="Je code is 123456. Hij is 10 minuten geldig.",
    purpose="verification_code",
)


async def test_mail_goes_over_smtp_to_a_plain_local_relay(store, db_settings, smtp_server):
    inbox, port = smtp_server
    settings = dataclasses.replace(
        db_settings, smtp_host="127.0.0.1", smtp_port=port, mail_from="jobs@northwind.example"
    )
    mailer = Mailer(store, settings)
    await mailer.send([MAIL])
    assert inbox.envelopes == [("jobs@northwind.example", ["sanne@example.nl"])]
    [message] = inbox.messages
    assert message["Subject"] == "Je code: 123456"
    assert message["To"] == "sanne@example.nl"
    assert "Je code is 123456" in message.get_payload(decode=True).decode()
    async with store.session() as session:
        [stored] = (await session.scalars(select(OutgoingMail))).all()
    assert stored.sent_at is not None and stored.attempts == 1


async def test_without_smtp_mail_lands_in_the_outbox_folder(store, db_settings, tmp_path):
    settings = dataclasses.replace(db_settings, smtp_host=None, outbox_dir=tmp_path / "outbox")
    await Mailer(store, settings).send([MAIL])
    [path] = list((tmp_path / "outbox").glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes())
    assert message["To"] == "sanne@example.nl"
    assert "123456" in message.get_payload(decode=True).decode()
    assert "verification_code" in path.name


async def test_a_failed_send_stays_queued_and_is_sent_later(store, db_settings, smtp_server):
    inbox, port = smtp_server
    down = dataclasses.replace(db_settings, smtp_host="127.0.0.1", smtp_port=free_port())
    mailer = Mailer(store, down)
    await mailer.send([MAIL])  # nothing listens on that port
    for task in list(mailer._retries):
        task.cancel()
    async with store.session() as session:
        [stored] = (await session.scalars(select(OutgoingMail))).all()
    assert stored.sent_at is None
    assert stored.attempts == 1 and stored.last_error
    assert inbox.messages == []

    up = Mailer(store, dataclasses.replace(down, smtp_port=port))
    assert await up.deliver_pending() == 1
    assert len(inbox.messages) == 1
    assert await up.deliver_pending() == 0  # sent once, never twice


async def test_a_mail_being_sent_now_is_not_taken_by_another_servers_flush(
    store, db_settings, smtp_server
):
    inbox, port = smtp_server
    settings = dataclasses.replace(db_settings, smtp_host="127.0.0.1", smtp_port=port)
    sending, flushing = Mailer(store, settings), Mailer(store, settings)
    started, go_on = asyncio.Event(), asyncio.Event()
    transmit = sending._transmit

    async def slow_relay(row: OutgoingMail) -> None:
        started.set()
        await go_on.wait()
        await transmit(row)

    sending._transmit = slow_relay  # type: ignore[method-assign]
    first = asyncio.create_task(sending.send([MAIL]))
    await started.wait()
    await flushing.deliver_pending()  # held by the sender from the moment it was queued
    assert inbox.messages == []
    go_on.set()
    await first
    await flushing.deliver_pending()
    assert len(inbox.messages) == 1  # sent once, by the server that queued it
    async with store.session() as session:
        [stored] = (await session.scalars(select(OutgoingMail))).all()
    assert stored.sent_at is not None and stored.attempts == 1 and stored.claimed_until is None


async def test_mails_queued_alone_or_together_are_each_sent_once_and_marked(
    store, db_settings, smtp_server
):
    inbox, port = smtp_server
    settings = dataclasses.replace(db_settings, smtp_host="127.0.0.1", smtp_port=port)
    mailer = Mailer(store, settings)
    others = [dataclasses.replace(MAIL, to=f"applicant{n}@example.com") for n in range(3)]
    await mailer.send([MAIL])  # one mail: its own statement
    await mailer.send(others[:2])  # several: one transaction
    await mailer.send(others[2:])
    notice = dataclasses.replace(MAIL, purpose="escalation", subject="Sanne needs you")
    await mailer.send([notice])
    assert sorted(to for _, [to] in inbox.envelopes) == sorted(
        [MAIL.to, notice.to] + [m.to for m in others]
    )
    async with store.session() as session:
        stored = (await session.scalars(select(OutgoingMail).order_by(OutgoingMail.id))).all()
    assert len(stored) == 5
    # each row marked sent, its code dropped: the ids handed back were the rows' own
    assert all(m.sent_at and m.body == "" and m.claimed_until is None for m in stored)
    # a code's subject (it holds the code) is dropped too, another mail's kept
    assert [m.subject for m in stored] == [""] * 4 + ["Sanne needs you"]
    assert all(m.to_address for m in stored)
    assert await mailer.deliver_pending() == 0


def test_logs_show_no_full_address():
    assert mask_email("sanne.devries@example.nl") == "s***@example.nl"
    assert mask_email("nonsense") == "***"


async def test_outbox_files_are_private_whatever_the_umask(store, db_settings, tmp_path):
    """An .eml file holds a one-time code: another user of the machine must not read it."""
    settings = dataclasses.replace(db_settings, smtp_host=None, outbox_dir=tmp_path / "outbox")
    before = os.umask(0)  # the most careless umask an operator could run the help desk with
    try:
        await Mailer(store, settings).send([MAIL])
    finally:
        os.umask(before)
    [path] = list((tmp_path / "outbox").glob("*.eml"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "outbox").stat().st_mode) == 0o700
    assert not list((tmp_path / "outbox").glob("*.tmp"))
