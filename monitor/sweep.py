"""The deadline monitor: no applicant left unheard, before anyone has to ask.

One sweep:
1. escalates every application past its acknowledgement deadline or its promised update, in
   one INSERT .. SELECT that the partial unique index makes idempotent (several sweepers at
   once, or a sweep run twice, open each escalation once), and raises the escalations nobody
   took in time to someone new: a second person, then the admins (monitor/chain.py);
2. tells each applicant whose escalation it raised, in their language, on their linked
   Telegram chat or else by email, that the employer is late, who is on it, and by when, or,
   raised again, that a person is on it by the new time (monitor/notices.py, with the receipts);
3. sends each recruiter one digest of the escalations it raised for them, and each admin one
   of their copies (monitor/digest.py);
4. writes back to the ATS the desk changes that are due: those the ATS could not take when the
   desk sent them, again with a growing pause until it does (ats/sync/writeback/send.py).

Steps 2 and 3 work from marks on the escalation rows (`applicant_notified_at`,
`digest_mail_id`), set in the same transaction that queues the mail, so a sweep killed
half-way leaves the rest for the next one: nothing is lost, and no mail is queued twice. Rows
are locked in id order on PostgreSQL (SQLite runs one writer at a time), so parallel sweepers
take each row once and none is left for the next sweep (monitor/claims.py); receipts, claimed
on the applications that imports and syncs write, skip rows held there (SKIP LOCKED).
Telegram messages are claimed for a few minutes first; one is sent again only if a sweeper died
between sending and marking it.

This module also runs the sweep over and over (`sweep_every`), with the retention purge
(ats/privacy/retention.py) at most every HELPDESK_PURGE_MINUTES, and describes its report.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import literal, select, text, true

from ats.applications import overdue_conditions
from ats.calendar import add_working_hours
from ats.db import dialect_insert
from ats.models import (
    Application,
    Candidate,
    Escalation,
    EscalationReason,
    EscalationState,
    Vacancy,
)
from ats.privacy.retention import RetentionPurge
from ats.services import Services
from ats.sync.writeback.send import send_due
from ats.telegram_api import bot_username, message_sender
from ats.whatsapp_notices import notice_sender
from monitor.chain import EscalationChain
from monitor.digest import RecruiterDigests
from monitor.health import SweepHealth, serve
from monitor.notices import ApplicantNotices

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    escalated: int
    applicants_emailed: int
    applicants_on_telegram: int
    digests: int
    raised: int = 0  # to someone new: a second person or the admins (monitor/chain.py)
    receipts: int = 0
    written_back: int = 0


class Sweeper(EscalationChain, ApplicantNotices, RecruiterDigests):
    """One sweep (see the module), its steps in order; the constructor is SweeperBase's."""

    async def sweep(self) -> SweepReport:
        now = self.clock()
        escalated = await self.escalate_overdue(now)
        raised = await self.raise_unanswered(now)
        emailed, on_telegram = await self.tell_applicants(now)
        digests = await self.send_digests() + await self.send_copies()
        receipts = await self.send_receipts(now) if self.settings.send_receipts else 0
        await self.mailer.deliver_pending()
        written = await send_due(self.store, self.settings, now=now)
        report = SweepReport(
            escalated, emailed, on_telegram, digests, raised, receipts, written.written
        )
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


async def sweeper_for(services: Services) -> Sweeper:
    """A sweeper with the process's mail and, when their tokens are set, Telegram and
    WhatsApp."""
    telegram = services.settings.telegram
    return Sweeper(
        services.store,
        services.settings,
        services.mailer,
        services.links,
        message_sender(telegram),
        telegram_username=await bot_username(telegram),
        send_whatsapp=notice_sender(services.settings.whatsapp, services.store),
    )


async def sweep_every(services: Services, minutes: int, port: int | None = None) -> None:
    """Sweep now and then every `minutes`, until cancelled; a failed sweep is logged, and the
    next one picks up where it stopped. With `port`, /health and /metrics are served there."""
    health = SweepHealth(interval_seconds=minutes * 60)
    runner = await serve(health, services.store, port) if port else None
    purge_every = services.settings.purge_minutes * 60
    purge = RetentionPurge(services.store, services.settings, mailer=services.mailer)
    purged_at: float | None = None
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
            if purge_every and (purged_at is None or started - purged_at >= purge_every):
                purged_at = started
                try:
                    print(f"Retention purge: {(await purge.run()).describe()}.", flush=True)
                except Exception:
                    logger.exception("the retention purge failed; it runs again later")
            await asyncio.sleep(minutes * 60)
    finally:
        if runner is not None:
            await runner.cleanup()


def describe(report: SweepReport) -> str:
    return (
        f"{report.escalated} escalated, {report.raised} raised to someone new, "
        f"{report.applicants_emailed} applicant(s) emailed, "
        f"{report.applicants_on_telegram} told on Telegram, {report.digests} digest(s), "
        f"{report.receipts} receipt(s), {report.written_back} desk change(s) written to the ATS."
    )
