"""The retention purge: what the help desk promised to keep only so long, erased when the time
is up. Run by the deadline monitor (at most every HELPDESK_PURGE_MINUTES) and by
`helpdesk privacy purge [--dry-run]` for cron.

1. Applications closed (hired, rejected, withdrawn) for HELPDESK_RETENTION_WEEKS, or for
   HELPDESK_CONSENT_RETENTION_MONTHS when the applicant consented (not when hired), are erased
   (`ats.privacy.erasure`), with their applicant once nothing of theirs is kept. Open ones
   never are. They are found through a partial index that holds only closed applications not
   yet erased, by closing date, and erased in batches, each in its own transaction taken with
   FOR UPDATE SKIP LOCKED: a purge run twice, or by two monitors at once, erases each once.
2. Conversations that never proved an application, idle for HELPDESK_UNVERIFIED_RETENTION_DAYS,
   go from the tracker store, with their resolved escalations (anonymised), the codes asked in
   them and the mails sent about them; as do stale counters, handled undelivered messages and
   mails to addresses the help desk does not know.
3. The erasure events are published to the event broker, when there is one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select

from ats.feedback import forget_conversations as forget_feedback
from ats.mail import Mailer
from ats.models import (
    CLOSED_UNERASED_SQL,
    ApplicantConversation,
    Application,
    AuditEntry,
    Candidate,
    ConversationProof,
    Escalation,
    EscalationState,
    LinkedChat,
    Lockout,
    OutgoingMail,
    RateCounter,
    Recruiter,
    Status,
    TrackerErasure,
    UndeliveredMessage,
    VerificationChallenge,
    WhatsAppMessageSeen,
    WhatsAppSent,
    WhatsAppWindow,
)
from ats.privacy.announcements import publish_pending
from ats.privacy.erasure import Eraser
from ats.privacy.erasure_steps import (
    Erased,
    announce,
    count_erased,
    erase_escalation_mails,
    erase_escalations,
    request_tracker_erasures,
)
from ats.privacy.files import remove_outbox_files
from ats.privacy.trackers import TrackerEvents
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow

logger = logging.getLogger(__name__)

BATCH = 1000
PURGE_LOCK = 0x48445052  # "HDPR": the advisory lock of the purge of unverified conversations
# how long every Rasa server has to drop an erased conversation from its memory and spool (a
# spool left by a stopped server is filtered by whichever server checks next); only keyed
# hashes, so they may stay long
TRACKER_ERASURE_KEPT = timedelta(days=90)
# rate counters and locks last minutes to hours; older ones only name who asked
COUNTERS_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class PurgeReport:
    applications: int = 0
    applicants: int = 0
    escalations: int = 0
    conversations: int = 0
    idle_conversations: int = 0
    idle_escalations: int = 0
    announced: int = 0
    dry_run: bool = False

    def describe(self) -> str:
        verb = "would erase" if self.dry_run else "erased"
        return (
            f"{verb} {self.applications} closed application(s) past their retention period "
            f"({self.applicants} applicant(s) entirely, {self.escalations} escalation(s), "
            f"{self.conversations} conversation(s)); {self.idle_conversations} conversation(s) "
            f"and {self.idle_escalations} escalation(s) that never verified"
            + ("" if self.dry_run else f"; {self.announced} erasure event(s) published")
        )


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day when
    shorter): 12 months before 29 February is 28 February."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


class RetentionPurge:
    def __init__(
        self,
        store: ATSStore,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        mailer: Mailer | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.eraser = Eraser(store, settings, clock, mailer)
        self.keys = self.eraser.keys

    # -- when --------------------------------------------------------------------------------

    def cutoffs(self, now: datetime) -> tuple[datetime, datetime, datetime]:
        """Closed before the first: erase without consent; before the second: erase with
        consent; idle unverified conversations before the third."""
        settings = self.settings
        return (
            now - timedelta(weeks=settings.retention_weeks),
            months_before(now, settings.consent_retention_months),
            now - timedelta(days=settings.unverified_retention_days),
        )

    def _expired(self, now: datetime) -> ColumnElement[bool]:
        without_consent, with_consent, _ = self.cutoffs(now)
        # the partial index's own predicate, so that the range scan uses it
        return and_(
            text(CLOSED_UNERASED_SQL),
            Application.closed_at < max(without_consent, with_consent),
            # consent keeps an applicant for other vacancies; a hired one is the employer's HR
            # system's business, and is kept no longer than anyone else
            or_(
                Candidate.consent_given_at.is_(None),
                Application.status == Status.HIRED.value,
                Application.closed_at < with_consent,
            ),
        )

    def selection(self, now: datetime, limit: int = BATCH) -> Select:
        """The next batch of applications past their period (also shown by the benchmark)."""
        return (
            select(Application.id)
            .join(Candidate, Candidate.id == Application.candidate_id)
            .where(self._expired(now))
            .order_by(Application.closed_at)
            .limit(limit)
        )

    # -- the purge ---------------------------------------------------------------------------

    async def run(self, dry_run: bool = False) -> PurgeReport:
        now = self.clock()
        if dry_run:
            return await self._count(now)
        erased = Erased()
        while True:
            async with self.store.session() as session:
                ids = list(await session.scalars(self.selection(now)))
            if not ids:
                break
            batch = await self._erase_batch(ids)
            erased += batch
            if not batch.applications:
                break  # all taken by another purge running now: it erases them
        idle_conversations, idle_escalations = await self.erase_idle(now)
        announced = self.eraser.announced + await publish_pending(self.store, self.settings)
        self.eraser.announced = 0
        report = PurgeReport(
            applications=erased.applications,
            applicants=erased.applicants,
            escalations=erased.escalations,
            conversations=len(erased.conversations),
            idle_conversations=idle_conversations,
            idle_escalations=idle_escalations,
            announced=announced,
        )
        logger.info("retention purge: %s", report.describe())
        return report

    async def _erase_batch(self, ids: list[int]) -> Erased:
        for attempt in range(3):
            try:
                return await self.eraser.erase_applications(ids, actor="retention purge")
            except DBAPIError as error:
                # PostgreSQL chose this purge to break a deadlock with another transaction:
                # its batch was rolled back whole, and is simply tried again
                if "deadlock" not in str(error).lower() or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _count(self, now: datetime) -> PurgeReport:
        _, _, idle_cutoff = self.cutoffs(now)
        async with self.store.session() as session:
            expired = (
                select(Application.id, Application.candidate_id)
                .join(Candidate, Candidate.id == Application.candidate_id)
                .where(self._expired(now))
                .subquery()
            )
            applications = await session.scalar(select(func.count()).select_from(expired))
            kept = (
                select(Application.id)
                .where(
                    Application.candidate_id == expired.c.candidate_id,
                    Application.erased_at.is_(None),
                    Application.id.notin_(select(expired.c.id)),
                )
                .exists()
            )
            applicants = await session.scalar(
                select(func.count(func.distinct(expired.c.candidate_id))).where(~kept)
            )
            escalations = await session.scalar(
                select(func.count()).select_from(self._idle_escalations(idle_cutoff).subquery())
            )
        idle = await self._idle_conversations(idle_cutoff)
        return PurgeReport(
            applications=applications or 0,
            applicants=applicants or 0,
            idle_conversations=len(idle),
            idle_escalations=escalations or 0,
            dry_run=True,
        )

    # -- conversations that never verified ---------------------------------------------------

    @staticmethod
    def _idle_escalations(cutoff: datetime) -> Select:
        return select(Escalation.id).where(
            Escalation.application_id.is_(None),
            Escalation.verified.is_(False),
            Escalation.erased_at.is_(None),
            Escalation.state == EscalationState.RESOLVED.value,
            func.coalesce(Escalation.resolved_at, Escalation.created_at) < cutoff,
        )

    async def _idle_conversations(self, cutoff: datetime) -> list[str]:
        """Conversations in the SQL tracker store, idle since `cutoff`, of nobody known."""
        url = self.settings.servers.tracker_store_url
        if not url:
            return []  # the in-memory store: each Rasa server erases its own (server/erasures.py)
        trackers = TrackerEvents(url)
        try:
            idle = await trackers.idle_since(cutoff)
        finally:
            await trackers.close()
        known: set[str] = set()
        async with self.store.session() as session:
            for start in range(0, len(idle), 500):
                chunk = idle[start : start + 500]
                known.update(
                    await session.scalars(
                        select(ApplicantConversation.conversation_id).where(
                            ApplicantConversation.conversation_id.in_(chunk)
                        )
                    )
                )
                known.update(
                    await session.scalars(
                        select(LinkedChat.chat_id).where(LinkedChat.chat_id.in_(chunk))
                    )
                )
        return [sender for sender in idle if sender not in known]

    async def erase_idle(self, now: datetime) -> tuple[int, int]:
        """Erase what conversations that never verified left behind; returns (conversations,
        escalations)."""
        _, _, cutoff = self.cutoffs(now)
        idle = await self._idle_conversations(cutoff)
        # stamped now, not when the run began: the Rasa servers read erasures by this time
        now = self.clock()
        async with self.store.session() as session, session.begin():
            if not await self._first_purge(session):
                return 0, 0  # another purge is doing this very work right now
            escalations = list(await session.scalars(self._idle_escalations(cutoff)))
            await erase_escalations(session, escalations, now)
            mail_ids = await erase_escalation_mails(session, escalations)
            mail_ids += await self._forget_strangers(session, cutoff, now)
            await request_tracker_erasures(
                session, [self.keys.conversation(sender) for sender in idle], now
            )
            await forget_feedback(session, idle)
            await announce(session, "unverified", now, sender_ids=idle, references=[])
            if idle or escalations:
                session.add(
                    AuditEntry(
                        at=now,
                        actor="retention purge",
                        action="purge",
                        detail=f"unverified: {len(escalations)} escalation(s), "
                        f"{len(idle)} conversation(s)",
                    )
                )
        unverified = Erased(
            escalations=len(escalations), conversations=tuple(("", c) for c in idle)
        )
        count_erased(unverified, "unverified")
        url = self.settings.servers.tracker_store_url
        if url and idle:
            trackers = TrackerEvents(url)
            try:
                await trackers.delete(idle)
            finally:
                await trackers.close()
        if mail_ids:
            await remove_outbox_files(self.settings.outbox_dir, mail_ids, ())
        return len(idle), len(escalations)

    @staticmethod
    async def _first_purge(session: AsyncSession) -> bool:
        """On PostgreSQL, only one purge at a time erases what unverified conversations left
        (a transaction-level advisory lock); SQLite has one writer anyway."""
        if session.bind.dialect.name != "postgresql":
            return True
        taken = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": PURGE_LOCK}
        )
        return bool(taken)

    async def _forget_strangers(
        self, session: AsyncSession, cutoff: datetime, now: datetime
    ) -> list[int]:
        """Codes asked, proofs lapsed, counters, handled undelivered messages, and sent mails to
        addresses that are no applicant's nor recruiter's: all older than the period."""
        # in the order an erasure deletes them (ats/privacy/erasure.py): two at once wait for
        # each other instead of deadlocking
        await session.execute(
            delete(ConversationProof).where(ConversationProof.last_seen_at < cutoff)
        )
        await session.execute(
            delete(VerificationChallenge).where(VerificationChallenge.created_at < cutoff)
        )
        await session.execute(delete(Lockout).where(Lockout.updated_at < now - COUNTERS_KEPT))
        await session.execute(
            delete(RateCounter).where(RateCounter.window_started_at < now - COUNTERS_KEPT)
        )
        await session.execute(
            delete(UndeliveredMessage).where(
                UndeliveredMessage.handled_at.isnot(None), UndeliveredMessage.handled_at < cutoff
            )
        )
        await session.execute(
            delete(TrackerErasure).where(TrackerErasure.requested_at < now - TRACKER_ERASURE_KEPT)
        )
        # what was sent on WhatsApp, kept for Meta's status callbacks, which come within days
        await session.execute(delete(WhatsAppSent).where(WhatsAppSent.sent_at < cutoff))
        await session.execute(delete(WhatsAppWindow).where(WhatsAppWindow.last_inbound_at < cutoff))
        await session.execute(
            delete(WhatsAppMessageSeen).where(WhatsAppMessageSeen.received_at < cutoff)
        )
        strangers = list(
            await session.scalars(
                select(OutgoingMail.id).where(
                    OutgoingMail.sent_at.isnot(None),
                    OutgoingMail.sent_at < cutoff,
                    # anti-joins: NOT IN over every applicant's address would be compared row
                    # by row once it no longer fits in memory
                    ~select(Candidate.id)
                    .where(Candidate.email == OutgoingMail.to_address)
                    .exists(),
                    ~select(Recruiter.id)
                    .where(Recruiter.email == OutgoingMail.to_address)
                    .exists(),
                )
            )
        )
        for start in range(0, len(strangers), 500):
            await session.execute(
                delete(OutgoingMail).where(OutgoingMail.id.in_(strangers[start : start + 500]))
            )
        return strangers
