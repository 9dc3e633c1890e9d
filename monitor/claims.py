"""What every step of the deadline monitor's sweep shares: the sweeper's collaborators, and
how a step takes its share of the waiting escalations when several sweepers run at once.

A step marks a batch of waiting rows as its own (a claim) in the transaction's first
statement, then works from the rows that carry its mark. On PostgreSQL the claim locks the rows
(FOR UPDATE, in id order, as every step locks them, so no deadlock): a sweeper that finds a row
held waits for that transaction, then takes the row only if it still waits, so parallel
sweepers never double the work. Skipping held rows instead (SKIP LOCKED) left work for the
next sweep whenever another step merely held a row: a claim of notices locks the rows it reads
even when they turn out to be told already, and a digest or a notice went out a sweep late.
SQLite runs one writer at a time. The steps themselves: monitor/sweep.py (escalations),
monitor/notices.py (the applicants' notices and receipts), monitor/digest.py (the recruiters'
digests).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select, update

from ats.linking import ChatLinks
from ats.mail import Mailer
from ats.models import Application, Candidate, Escalation, Recruiter, Vacancy
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow

BATCH = 500


class SweeperBase:
    """The sweeper's collaborators and its claims on waiting rows (see the module)."""

    def __init__(
        self,
        store: ATSStore,
        settings: Settings,
        mailer: Mailer,
        links: ChatLinks,
        send_telegram: Callable | None = None,
        clock: Callable[[], datetime] = utcnow,
        telegram_username: str | None = None,
        send_whatsapp: Callable | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.mailer = mailer
        self.links = links
        # async (chat_id, text) -> None; None when Telegram is off
        self.send_telegram = send_telegram
        self.clock = clock
        self.telegram_username = telegram_username  # for t.me links in receipts
        # async (wa_id, text, template parameters, language) -> None; None when WhatsApp is off
        self.send_whatsapp = send_whatsapp

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
        statement: a write, so that SQLite's lock orders parallel sweepers; on PostgreSQL the
        rows locked in id order (see the module)."""
        waiting = (
            select(Escalation.id)
            .where(Escalation.raised_by_sweep.is_(True), *conditions)
            .order_by(Escalation.id)
            .limit(limit)
        )
        if self._postgres:
            waiting = waiting.with_for_update()
        await session.execute(
            update(Escalation)
            .where(Escalation.id.in_(waiting.scalar_subquery()))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
