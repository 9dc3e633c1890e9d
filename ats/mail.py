"""Outgoing email: stored in the database first, then sent over SMTP or written to the outbox.

With SMTP_HOST set, mail goes to that server (a plain local relay works: no TLS, no login
unless configured). Without it, each message is written to HELPDESK_OUTBOX_DIR as an .eml file,
so the default works offline; only the help desk's own user can read them (files 0600, the
folder 0700), since a code or a link in a message is a key. A message that fails to send stays
in the database and is tried again (`deliver_pending`), so nothing that was queued is lost. Logs
never show the body (it may hold a one-time code) nor a full address. Once sent, a mail's body
and attachments are dropped from the database: what remains is who got what kind of mail when.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path

import aiosmtplib
from sqlalchemy import bindparam, or_, select, update

from ats.inbound_mail import reply_address
from ats.models import OutgoingMail
from ats.outbox import QUEUE_ONE, outgoing, queue_mail, values_of
from ats.records import Mail
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow

logger = logging.getLogger(__name__)

CLAIM = timedelta(minutes=2)
MAX_ATTEMPTS = 20
RETRY_DELAYS = (1.0, 5.0, 30.0)
# mails whose recipient is forgotten once sent (the confirmation that their data is erased)
FORGET_RECIPIENT = frozenset({"erasure_confirmation"})
# mails whose subject holds a secret (the one-time code), dropped with the body once sent
FORGET_SUBJECT = frozenset({"verification_code"})

# A mail sent: marked, and what it said dropped (see `Mailer._sent`); built once for each of
# what may be forgotten, its id and time given with each execution.
_SENT = (
    update(OutgoingMail)
    .where(OutgoingMail.id == bindparam("mail"))
    .values(
        sent_at=bindparam("at"),
        last_error=None,
        claimed_until=None,
        body="",
        attachments=None,
        sender_name=None,
    )
)
_SENT_FORGETTING_SUBJECT = _SENT.values(subject="")
_SENT_FORGETTING_RECIPIENT = _SENT.values(subject="", to_address="")


def sender(settings: Settings, name: str | None) -> str:
    """From: the help desk's address, with the recruiter's name when a person wrote the mail
    ("Eva Jansen (Northwind)"), as applicants know from recruiters' own mail."""
    name = " ".join((name or "").split())  # no header folding or injected lines
    if not name:
        return settings.mail_from
    shown = f"{name} ({settings.employer_name})" if settings.employer_name else name
    return formataddr((shown, settings.mail_from))


def mask_email(address: str) -> str:
    """`s***@example.nl`: enough to tell messages apart in a log, not to read the address."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


class Mailer:
    """Sends what is in the outbox table."""

    def __init__(self, store: ATSStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._retries: set[asyncio.Task[None]] = set()

    async def send(self, mails: Sequence[Mail], escalation_id: int | None = None) -> None:
        """Queue mails and try to send them now; failures are retried in the background.

        They are queued claimed by this process, as `_claim` would claim them: no other
        sender (another server's periodic flush) takes them in between, and the claim costs no
        transaction of its own."""
        if len(mails) == 1:
            # one row is atomic on its own: one round trip, not a transaction's three and the
            # ORM's unit of work (a code mail per verified conversation)
            rows = outgoing(mails, escalation_id, claimed_for=CLAIM)
            rows[0].id = await self.store.insert(QUEUE_ONE, values_of(rows[0]))
        else:
            async with self.store.session() as session, session.begin():
                rows = await queue_mail(session, mails, escalation_id, claimed_for=CLAIM)
        failed = [row.id for row in rows if not await self._attempt(row)]
        self._retry_later(failed)

    async def deliver(self, ids: Sequence[int]) -> int:
        """Try each queued mail once; schedule retries for the ones that failed."""
        failed = [mail_id for mail_id in ids if not await self._deliver_one(mail_id)]
        self._retry_later(failed)
        return len(ids) - len(failed)

    def _retry_later(self, failed: list[int]) -> None:
        if failed:
            task = asyncio.create_task(self._retry(failed))
            self._retries.add(task)
            task.add_done_callback(self._retries.discard)

    async def deliver_pending(self) -> int:
        """Send every unsent mail (for the periodic flush and `helpdesk mail flush`)."""
        async with self.store.session() as session:
            ids = list(
                await session.scalars(
                    select(OutgoingMail.id)
                    .where(OutgoingMail.sent_at.is_(None), OutgoingMail.attempts < MAX_ATTEMPTS)
                    .order_by(OutgoingMail.id)
                )
            )
        sent = 0
        for mail_id in ids:
            sent += await self._deliver_one(mail_id)
        return sent

    async def wait_for_retries(self) -> None:
        if self._retries:
            await asyncio.gather(*self._retries, return_exceptions=True)

    async def _retry(self, ids: list[int]) -> None:
        for delay in RETRY_DELAYS:
            await asyncio.sleep(delay)
            ids = [mail_id for mail_id in ids if not await self._deliver_one(mail_id)]
            if not ids:
                return
        logger.warning("%d mail(s) still unsent; they stay queued for the next flush", len(ids))

    async def _deliver_one(self, mail_id: int) -> bool:
        row = await self._claim(mail_id)
        if row is None:
            return True  # sent already, or another process is sending it
        return await self._attempt(row)

    async def _attempt(self, row: OutgoingMail) -> bool:
        """Sends a mail this process has claimed: marked sent, or released for a retry."""
        try:
            await self._transmit(row)
        except Exception as error:  # any failure to send keeps the mail queued
            logger.warning(
                "mail %s (%s) to %s not sent (attempt %d): %s",
                row.id,
                row.purpose,
                mask_email(row.to_address),
                row.attempts,
                error,
            )
            await self._release(row.id, error=str(error)[:1000])
            return False
        await self._sent(row)
        logger.info("mail %s (%s) sent to %s", row.id, row.purpose, mask_email(row.to_address))
        return True

    async def _claim(self, mail_id: int) -> OutgoingMail | None:
        now = utcnow()
        async with self.store.session() as session, session.begin():
            claimed = await session.execute(
                update(OutgoingMail)
                .where(
                    OutgoingMail.id == mail_id,
                    OutgoingMail.sent_at.is_(None),
                    or_(OutgoingMail.claimed_until.is_(None), OutgoingMail.claimed_until < now),
                )
                .values(claimed_until=now + CLAIM, attempts=OutgoingMail.attempts + 1)
            )
            if claimed.rowcount != 1:
                return None
            mail: OutgoingMail | None = await session.get(OutgoingMail, mail_id)
            return mail

    async def _release(
        self, mail_id: int, *, sent_at: datetime | None = None, error: str | None = None
    ) -> None:
        await self.store.write(
            update(OutgoingMail)
            .where(OutgoingMail.id == mail_id)
            .values(sent_at=sent_at, last_error=error, claimed_until=None)
        )

    async def _sent(self, row: OutgoingMail) -> None:
        """Mark it sent and drop what it said: the applicant has it now, and a code, a name or
        an export kept here would outlive its use. The recipient of an erasure's confirmation
        is forgotten too: they asked to be."""
        if row.purpose in FORGET_RECIPIENT:
            sent = _SENT_FORGETTING_RECIPIENT
        elif row.purpose in FORGET_SUBJECT:
            sent = _SENT_FORGETTING_SUBJECT
        else:
            sent = _SENT
        await self.store.write(sent, {"mail": row.id, "at": utcnow()})

    def _message(self, row: OutgoingMail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = sender(self.settings, row.sender_name)
        message["To"] = row.to_address
        message["Subject"] = row.subject
        message["Date"] = format_datetime(row.created_at)
        message["Message-ID"] = make_msgid(domain=self.settings.mail_from.partition("@")[2] or None)
        if row.purpose == "recruiter_reply" and row.escalation_id is not None:
            # the applicant's answer comes back into the escalation's thread (ats/inbound_mail)
            reply_to = reply_address(self.settings, row.escalation_id)
            if reply_to:
                message["Reply-To"] = reply_to
        message.set_content(row.body)
        for attachment in json.loads(row.attachments or "[]"):
            maintype, _, subtype = attachment["content_type"].partition("/")
            message.add_attachment(
                attachment["content"].encode(),
                maintype=maintype,
                subtype=subtype,
                filename=attachment["filename"],
            )
        return message

    async def _transmit(self, row: OutgoingMail) -> None:
        message = self._message(row)
        settings = self.settings
        if settings.smtp_host:
            await aiosmtplib.send(
                message,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_user,
                password=settings.smtp_password,
                start_tls=settings.smtp_starttls,
                use_tls=False,
                timeout=30,
            )
            return
        path = (
            settings.outbox_dir / f"{row.created_at:%Y%m%dT%H%M%S}-{row.id:06d}-{row.purpose}.eml"
        )
        await asyncio.to_thread(_write, path, message.as_bytes())


def _write(path: Path, content: bytes) -> None:
    """Write one message for the recruiter or applicant only: a code or a link in it is a key.

    The file is created 0600 and its folder 0700 whatever the umask, and never exists with wider
    permissions even for a moment (os.open gives the mode at creation, not after).
    """
    _private_folder(path.parent)
    temporary = path.with_suffix(".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(temporary, flags, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # a leftover .tmp from an older version kept its mode
        handle.write(content)
    temporary.replace(path)  # readers never see half a message


def _private_folder(folder: Path) -> None:
    """The folder, made 0700 (mkdir's mode is narrowed by the umask, never widened)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077 and folder.stat().st_uid == os.getuid():
        folder.chmod(0o700)  # made by an older version, or by hand, open to others


__all__ = ["Mail", "Mailer", "mask_email"]
