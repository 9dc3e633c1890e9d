"""The deadline monitor: no applicant left unheard, before anyone has to ask.

One sweep:
1. escalates every application past its acknowledgement deadline or its promised update, in
   one INSERT .. SELECT that the partial unique index makes idempotent (several sweepers at
   once, or a sweep run twice, open each escalation once);
2. tells each applicant whose escalation it raised, in their language, on their linked
   Telegram chat or else by email, that the employer is late, who is on it, and by when;
3. sends each recruiter one digest of the escalations it raised for them.

Steps 2 and 3 work from marks on the escalation rows (`applicant_notified_at`,
`digest_mail_id`), set in the same transaction that queues the mail, so a sweep killed
half-way leaves the rest for the next one: nothing is lost, and no mail is queued twice. Rows
are taken with FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite runs one writer at a time), so
parallel sweepers share the work instead of doubling it. Telegram messages are claimed for a
few minutes first; one is sent again only if a sweeper died between sending and marking it.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    bindparam,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    update,
)

from ats.applications import overdue_conditions
from ats.calendar import add_working_hours
from ats.db import dialect_insert
from ats.linking import ChatLinks
from ats.mail import Mailer
from ats.models import (
    Application,
    Candidate,
    Escalation,
    EscalationReason,
    EscalationState,
    OutgoingMail,
    Recruiter,
    Vacancy,
)
from ats.outbox import queue_mail
from ats.records import Mail
from ats.services import Services
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import RecruiterNotFound, utcnow
from ats.telegram_api import bot_username, message_sender
from monitor.health import SweepHealth, serve
from speech.catalogue import catalogue, say
from speech.dates import day, day_and_time

logger = logging.getLogger(__name__)

BATCH = 500
TELEGRAM_CLAIM = timedelta(minutes=5)
RECEIPT_WINDOW = timedelta(days=2)
DIGEST_LIMIT = 5000  # escalations listed in one digest mail


@dataclass(frozen=True)
class SweepReport:
    escalated: int
    applicants_emailed: int
    applicants_on_telegram: int
    digests: int
    raised_to_second_level: int = 0
    receipts: int = 0


class Sweeper:
    def __init__(
        self,
        store: ATSStore,
        settings: Settings,
        mailer: Mailer,
        links: ChatLinks,
        send_telegram: Callable | None = None,
        clock: Callable[[], datetime] = utcnow,
        telegram_username: str | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.mailer = mailer
        self.links = links
        # async (chat_id, text) -> None; None when Telegram is off
        self.send_telegram = send_telegram
        self.clock = clock
        self.telegram_username = telegram_username  # for t.me links in receipts

    async def sweep(self) -> SweepReport:
        now = self.clock()
        escalated = await self.escalate_overdue(now)
        raised = await self.raise_unanswered(now)
        emailed, on_telegram = await self.tell_applicants(now)
        digests = await self.send_digests()
        receipts = await self.send_receipts(now) if self.settings.send_receipts else 0
        await self.mailer.deliver_pending()
        report = SweepReport(escalated, emailed, on_telegram, digests, raised, receipts)
        logger.info("sweep: %s", report)
        return report

    async def escalate_overdue(self, now: datetime) -> int:
        """Open the escalation of every overdue application that has none open yet."""
        settings = self.settings
        respond_by = add_working_hours(
            now, settings.escalation_response_hours, settings.timezone, settings.holiday_country
        )
        ack_overdue, update_overdue = overdue_conditions(now)
        created = 0
        for reason, overdue in (
            (EscalationReason.ACK_OVERDUE, ack_overdue),
            (EscalationReason.UPDATE_OVERDUE, update_overdue),
        ):
            rows = (
                select(
                    Application.id,
                    literal(reason.value),
                    Vacancy.recruiter_id,
                    literal(EscalationState.OPEN.value),
                    literal(respond_by, Escalation.respond_by.type),
                    literal(now, Escalation.created_at.type),
                    true(),
                    Candidate.name,
                    Candidate.email,
                    true(),  # from the ATS itself: no one's unproven word
                )
                .join(Vacancy, Vacancy.id == Application.vacancy_id)
                .join(Candidate, Candidate.id == Application.candidate_id)
                .where(overdue)
            )
            insert = dialect_insert(self.store.engine)(Escalation).from_select(
                [
                    "application_id",
                    "reason",
                    "recruiter_id",
                    "state",
                    "respond_by",
                    "created_at",
                    "raised_by_sweep",
                    "applicant_name",
                    "applicant_email",
                    "verified",
                ],
                rows,
            )
            statement = insert.on_conflict_do_nothing(
                index_elements=["application_id", "reason"],
                index_where=text("state <> 'resolved' AND application_id IS NOT NULL"),
            )
            async with self.store.session() as session, session.begin():
                created += (await session.execute(statement)).rowcount or 0
        return created

    async def raise_unanswered(self, now: datetime) -> int:
        """Escalations nobody took by their respond-by time go to the vacancy's backup
        recruiter, else the default one, as second level, with a new respond-by time and a
        place in that recruiter's next digest. The applicant was told already."""
        settings = self.settings
        try:
            default = await self.store.default_recruiter(
                settings.default_recruiter_email, settings.default_recruiter_name
            )
        except RecruiterNotFound:  # an empty ATS: nothing was escalated to anyone yet
            return 0
        backup = (
            select(Vacancy.backup_recruiter_id)
            .join(Application, Application.vacancy_id == Vacancy.id)
            .where(Application.id == Escalation.application_id)
            .scalar_subquery()
        )
        default_id = select(Recruiter.id).where(Recruiter.email == default.email).scalar_subquery()
        respond_by = add_working_hours(
            now, settings.escalation_response_hours, settings.timezone, settings.holiday_country
        )
        async with self.store.session() as session, session.begin():
            result = await session.execute(
                update(Escalation)
                .where(
                    Escalation.state == EscalationState.OPEN.value,
                    Escalation.level == 1,
                    Escalation.respond_by < now,
                    Escalation.application_id.isnot(None),
                )
                .values(
                    level=2,
                    recruiter_id=func.coalesce(backup, default_id),
                    respond_by=respond_by,
                    raised_by_sweep=True,
                    digest_mail_id=None,
                    applicant_notified_at=func.coalesce(Escalation.applicant_notified_at, now),
                )
                .execution_options(synchronize_session=False)
            )
            return result.rowcount or 0

    @property
    def _postgres(self) -> bool:
        return self.store.engine.dialect.name == "postgresql"

    def _rows(self, *conditions):
        return (
            select(Escalation, Application, Candidate, Vacancy, Recruiter)
            .join(Application, Application.id == Escalation.application_id)
            .join(Candidate, Candidate.id == Application.candidate_id)
            .join(Vacancy, Vacancy.id == Application.vacancy_id)
            .join(Recruiter, Recruiter.id == Escalation.recruiter_id)
            .where(*conditions)
            .order_by(Escalation.id)
        )

    async def _claim(self, session, values: dict, *conditions, limit: int = BATCH) -> None:
        """Mark up to BATCH waiting escalations as this sweeper's, as the transaction's first
        statement: a write, so that SQLite's lock orders parallel sweepers, while PostgreSQL
        hands each its own rows (SKIP LOCKED)."""
        waiting = (
            select(Escalation.id)
            .where(Escalation.raised_by_sweep.is_(True), *conditions)
            .order_by(Escalation.id)
            .limit(limit)
        )
        if self._postgres:
            waiting = waiting.with_for_update(skip_locked=True)
        await session.execute(
            update(Escalation)
            .where(Escalation.id.in_(waiting.scalar_subquery()))
            .values(**values)
            .execution_options(synchronize_session=False)
        )

    async def tell_applicants(self, now: datetime) -> tuple[int, int]:
        emailed = on_telegram = 0
        while True:
            # a claim no other sweeper holds: its own expiry time, to the microsecond
            mine = self.clock() + TELEGRAM_CLAIM + timedelta(microseconds=secrets.randbelow(10**6))
            telegram: list[tuple[int, str, str]] = []
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
                chats = await self.links.chats_for([row[2].email for row in rows], "telegram")
                outbox, told = [], []
                for escalation, application, candidate, vacancy, recruiter in rows:
                    notice = self._notice(escalation, application, candidate, vacancy, recruiter)
                    if chats.get(candidate.email) and self.send_telegram is not None:
                        # sent after this commits; the claim keeps others off it meanwhile
                        telegram += [(escalation.id, c, notice[1]) for c in chats[candidate.email]]
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

    async def _mark_told(self, escalation_id: int, now: datetime) -> None:
        async with self.store.session() as session, session.begin():
            await session.execute(
                update(Escalation)
                .where(Escalation.id == escalation_id)
                .values(applicant_notified_at=now, notice_claimed_until=None)
            )

    def _notice(self, escalation, application, candidate, vacancy, recruiter) -> tuple[str, str]:
        language = candidate.language or "en"  # a language without a catalogue: English
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
            "recruiter": recruiter.name,
            "respond_by": day_and_time(escalation.respond_by, language, tz),
        }
        return (
            say("notices.overdue.subject", language, **values),
            say("notices.overdue.body", language, **values),
        )

    async def send_digests(self) -> int:
        """One mail per recruiter with everything this sweep (or an interrupted one) raised."""
        async with self.store.session() as session:
            recruiters = list(
                await session.scalars(
                    select(Escalation.recruiter_id)
                    .where(
                        Escalation.raised_by_sweep.is_(True), Escalation.digest_mail_id.is_(None)
                    )
                    .distinct()
                )
            )
        sent = 0
        for recruiter_id in recruiters:
            mine = -1 - secrets.randbelow(2**31 - 2)  # a claim: negative, never a mail's id
            async with self.store.session() as session, session.begin():
                await self._claim(
                    session,
                    {"digest_mail_id": mine},
                    Escalation.digest_mail_id.is_(None),
                    Escalation.recruiter_id == recruiter_id,
                    limit=DIGEST_LIMIT,
                )
                rows = (await session.execute(self._rows(Escalation.digest_mail_id == mine))).all()
                if not rows:
                    continue  # another sweeper took them
                [digest] = await queue_mail(session, [self._digest(rows)])
                await session.execute(
                    update(Escalation)
                    .where(Escalation.digest_mail_id == mine)
                    .values(digest_mail_id=digest.id)
                    .execution_options(synchronize_session=False)
                )
                sent += 1
        return sent

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

    def _digest(self, rows) -> Mail:
        """The recruiter's digest, in English (notices.digest in the catalogue)."""
        tz, language = self.settings.timezone, "en"
        recruiter = rows[0][4]

        def reason(escalation: Escalation) -> str:
            name = catalogue().name_of("notices.digest.reason_names", escalation.reason, language)
            if escalation.level > 1:
                name += say("notices.digest.second_level", language)
            return name

        lines = [
            say(
                "notices.digest.line",
                language,
                reference=application.reference,
                name=candidate.name,
                vacancy=vacancy.title,
                reason=reason(escalation),
                respond_by=day_and_time(escalation.respond_by, language, tz),
            )
            for escalation, application, candidate, vacancy, _ in rows
        ]
        body = say(
            "notices.digest.body",
            language,
            name=recruiter.name.split()[0],
            count=len(rows),
            lines="\n".join(lines),
        )
        subject = say("notices.digest.subject", language, count=len(rows))
        return Mail(recruiter.email, subject, body, "sweep_digest")


async def sweeper_for(services: Services) -> Sweeper:
    """A sweeper with the process's mail and, when TELEGRAM_BOT_TOKEN is set, Telegram."""
    telegram = services.settings.telegram
    return Sweeper(
        services.store,
        services.settings,
        services.mailer,
        services.links,
        message_sender(telegram),
        telegram_username=await bot_username(telegram),
    )


async def sweep_every(services: Services, minutes: int, port: int | None = None) -> None:
    """Sweep now and then every `minutes`, until cancelled; a failed sweep is logged, and the
    next one picks up where it stopped. With `port`, /health and /metrics are served there."""
    health = SweepHealth(interval_seconds=minutes * 60)
    runner = await serve(health, services.store, port) if port else None
    try:
        sweeper = await sweeper_for(services)
        while True:
            started = time.monotonic()
            try:
                report = await sweeper.sweep()
                health.succeeded(time.monotonic() - started)
                print(f"Sweep: {describe(report)}", flush=True)
            except Exception as error:
                health.failed(error)
                logger.exception("the sweep failed; trying again in %d minutes", minutes)
            await asyncio.sleep(minutes * 60)
    finally:
        if runner is not None:
            await runner.cleanup()


def describe(report: SweepReport) -> str:
    return (
        f"{report.escalated} escalated, {report.raised_to_second_level} raised to the second "
        f"level, {report.applicants_emailed} applicant(s) emailed, "
        f"{report.applicants_on_telegram} told on Telegram, {report.digests} digest(s), "
        f"{report.receipts} receipt(s)."
    )
