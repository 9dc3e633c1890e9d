"""What the deadline monitor's sweep tells applicants: that the employer is late, and that an
application arrived.

A late notice goes to each applicant whose escalation a sweep raised, in their language, on
their linked Telegram chat, else their linked WhatsApp number (as a template outside the
24-hour window), or else by email: that the employer is late, who is on it, and by when.
Raised again because nobody took it in time (monitor/chain.py), the notice says that a person
is on it by the new time, without a name, since nobody has taken it yet. The mark on the
escalation row (`applicant_notified_at`) is set in the same transaction that queues the mail,
so no mail is queued twice; Telegram messages are claimed for a few minutes first, and one is
sent again only if a sweeper died between sending and marking it.

A receipt (when receipts are on) goes to each application of the last two days that has none
yet, with a link to the careers chat and, with Telegram, a t.me link that connects the chat.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, or_, select, update

from ats.models import (
    Application,
    Candidate,
    Escalation,
    EscalationReason,
    OutgoingMail,
    Vacancy,
)
from ats.outbox import queue_mail
from ats.records import Mail, real_name
from ats.whatsapp_api import chat_link
from monitor.claims import BATCH, SweeperBase
from speech.catalogue import say
from speech.dates import day, day_and_time

TELEGRAM_CLAIM = timedelta(minutes=5)
RECEIPT_WINDOW = timedelta(days=2)
# the body parameters of WhatsApp's late-notice template, {{1}} … {{5}} (ats/whatsapp_notices.py)
WHATSAPP_PARAMETERS = ("name", "vacancy", "reference", "recruiter", "respond_by")


class ApplicantNotices(SweeperBase):
    """The sweep's steps that write to applicants: late notices and receipts."""

    async def tell_applicants(self, now: datetime) -> tuple[int, int]:
        emailed = on_telegram = 0
        while True:
            # a claim no other sweeper holds: its own expiry time, to the microsecond
            mine = self.clock() + TELEGRAM_CLAIM + timedelta(microseconds=secrets.randbelow(10**6))
            telegram: list[tuple[int, str, str]] = []
            whatsapp: list[tuple[int, str, str, list[str], str]] = []
            async with self.store.session() as session, session.begin():
                await self._claim(
                    session,
                    {"notice_claimed_until": mine},
                    Escalation.applicant_notified_at.is_(None),
                    or_(
                        Escalation.notice_claimed_until.is_(None),
                        Escalation.notice_claimed_until < self.clock(),
                    ),
                )
                rows = (
                    await session.execute(self._rows(Escalation.notice_claimed_until == mine))
                ).all()
                if not rows:
                    return emailed, on_telegram
                emails = [row[2].email for row in rows]
                chats = await self.links.chats_for(emails, "telegram")
                numbers = (
                    await self.links.chats_for(emails, "whatsapp") if self.send_whatsapp else {}
                )
                outbox, told = [], []
                for row in rows:
                    escalation, application, candidate, vacancy, recruiter = row
                    notice = self._notice(escalation, application, candidate, vacancy, recruiter)
                    if chats.get(candidate.email) and self.send_telegram is not None:
                        # sent after this commits; the claim keeps others off it meanwhile
                        telegram += [(escalation.id, c, notice[1]) for c in chats[candidate.email]]
                        continue
                    if numbers.get(candidate.email):
                        values = self._values(
                            escalation, application, candidate, vacancy, recruiter
                        )
                        parameters = [values[k] for k in WHATSAPP_PARAMETERS]
                        language = candidate.language or "en"
                        whatsapp += [
                            (escalation.id, n, notice[1], parameters, language)
                            for n in numbers[candidate.email]
                        ]
                        continue
                    outbox.append(
                        {
                            "to_address": candidate.email,
                            "subject": notice[0],
                            "body": notice[1],
                            "purpose": "late_notice",
                            "escalation_id": escalation.id,
                            "created_at": now,
                            "attempts": 0,
                        }
                    )
                    told.append({"told": escalation.id})
                if outbox:  # in bulk: one round trip each, not one per applicant
                    await session.execute(insert(OutgoingMail), outbox)
                    await session.execute(
                        update(Escalation)
                        .where(Escalation.id == bindparam("told"))
                        .values(applicant_notified_at=now, notice_claimed_until=None)
                        .execution_options(synchronize_session=False),
                        told,
                    )
                emailed += len(outbox)
            for escalation_id, chat, message in telegram:
                assert self.send_telegram is not None  # chats are only chosen with a sender
                await self.send_telegram(chat, message)
                await self._mark_told(escalation_id, now)
                on_telegram += 1
            for escalation_id, number, message, parameters, language in whatsapp:
                assert self.send_whatsapp is not None  # numbers are only chosen with a sender
                await self.send_whatsapp(number, message, parameters, language)
                await self._mark_told(escalation_id, now)
                on_telegram += 1  # counted with the chats: a message, not a mail

    async def _mark_told(self, escalation_id: int, now: datetime) -> None:
        async with self.store.session() as session, session.begin():
            await session.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id)
                .values(applicant_notified_at=now, notice_claimed_until=None)
            )

    def _notice(self, escalation, application, candidate, vacancy, recruiter) -> tuple[str, str]:
        language = candidate.language or "en"  # a language without a catalogue: English
        values = self._values(escalation, application, candidate, vacancy, recruiter)
        # raised since (monitor/chain.py): someone new has it by a new time
        notice = "notices.raised" if escalation.level > 1 else "notices.overdue"
        return (
            say(f"{notice}.subject", language, **values),
            say(f"{notice}.body", language, **values),
        )

    def _values(self, escalation, application, candidate, vacancy, recruiter) -> dict[str, str]:
        language = candidate.language or "en"
        tz = self.settings.timezone
        late = escalation.reason == EscalationReason.ACK_OVERDUE.value
        due = application.ack_due_at if late else application.next_update_due_at
        values = {
            "name": candidate.name.split()[0],
            "vacancy": vacancy.title,
            "reference": application.reference,
            "employer": self.settings.employer_name,
            "promise": say(
                "notices.overdue.promise_ack" if late else "notices.overdue.promise_update",
                language,
                due=day(due, language, tz),
            ),
            "recruiter": real_name(recruiter.name, recruiter.email)
            or say("conversation.a_recruiter", language),
            "respond_by": day_and_time(escalation.respond_by, language, tz),
        }
        if escalation.level > 1:
            # nobody has taken it yet: a person is on it, but no name can be promised (also in
            # the WhatsApp template, whose {{4}} is otherwise the recruiter's name)
            who = say(
                "notices.raised.admins" if escalation.level > 2 else "notices.raised.colleague",
                language,
                employer=self.settings.employer_name,
            )
            values["who"] = who
            values["recruiter"] = who[:1].upper() + who[1:]
        return values

    async def send_receipts(self, now: datetime) -> int:
        """A receipt for each application of the last two days that has none yet (so that
        turning receipts on does not mail everyone who ever applied)."""
        sent = 0
        while True:
            mine = now + timedelta(microseconds=secrets.randbelow(10**6))
            async with self.store.session() as session, session.begin():
                waiting = (
                    select(Application.id)
                    .where(
                        Application.applied_at > now - RECEIPT_WINDOW,
                        Application.receipt_sent_at.is_(None),
                    )
                    .order_by(Application.id)
                    .limit(BATCH)
                )
                if self._postgres:
                    waiting = waiting.with_for_update(skip_locked=True)
                await session.execute(
                    update(Application)
                    .where(Application.id.in_(waiting.scalar_subquery()))
                    .values(receipt_sent_at=mine)
                    .execution_options(synchronize_session=False)
                )
                rows = (
                    await session.execute(
                        select(Application, Candidate, Vacancy)
                        .join(Candidate, Candidate.id == Application.candidate_id)
                        .join(Vacancy, Vacancy.id == Application.vacancy_id)
                        .where(Application.receipt_sent_at == mine)
                    )
                ).all()
                if not rows:
                    return sent
                mails = [await self._receipt(session, *row) for row in rows]
                await queue_mail(session, mails)
                sent += len(mails)

    async def _receipt(self, session, application, candidate, vacancy) -> Mail:
        language = candidate.language or "en"  # a language without a catalogue: English
        base = self.settings.public_url or "http://localhost:5005"
        telegram = ""
        if self.telegram_username:
            token = await self.links.create_token(candidate.email, session)
            link = f"https://t.me/{self.telegram_username}?start={token}"
            telegram = say("notices.receipt.telegram", language, link=link)
        whatsapp = chat_link(self.settings.whatsapp, application.reference)
        if whatsapp:  # after Telegram's line, in the same place of the body
            telegram += say("notices.receipt.whatsapp", language, link=whatsapp)
        values = {
            "name": candidate.name.split()[0],
            "vacancy": vacancy.title,
            "reference": application.reference,
            "employer": self.settings.employer_name,
            "due": day(application.ack_due_at, language, self.settings.timezone),
            "chat": f"{base}/careers/",
            "telegram": telegram,
        }
        return Mail(
            candidate.email,
            say("notices.receipt.subject", language, **values),
            say("notices.receipt.body", language, **values),
            "receipt",
        )
