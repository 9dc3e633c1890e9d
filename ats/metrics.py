"""Prometheus metrics: what each process does, and where the employer's deadlines stand.

Each Rasa server counts the messages it handles and how long they take; each action server the
actions it runs. The deadline figures (open and overdue escalations, applications past their
acknowledgement deadline, the share acknowledged within it) come from the ATS store, counted by
the database at most every CACHE_SECONDS, so that scraping several servers stays cheap. They are
the same on every server: aggregate them with `max`, not `sum`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import Integer, and_, case, func, literal_column, select
from sqlalchemy.sql import ColumnElement

from ats.applications import overdue_conditions
from ats.models import Application, AtsWriteback, Escalation, EscalationState, WritebackState
from ats.store import ATSStore
from ats.store_basics import utcnow

CACHE_SECONDS = 15
# the share acknowledged within the deadline is over applications made in this window
SHARE_WINDOW = timedelta(days=90)
CONTENT_TYPE = CONTENT_TYPE_LATEST

MESSAGES = Counter(
    "helpdesk_messages", "Applicant messages handled by this Rasa server", ["channel"]
)
MESSAGE_SECONDS = Histogram(
    "helpdesk_message_seconds",
    "Time from receiving an applicant message to having the replies, per channel",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
MESSAGE_FAILURES = Counter(
    "helpdesk_message_failures",
    "Messages answered with an apology because a store or the action server failed",
    ["cause"],
)
ACTIONS = Counter(
    "helpdesk_actions", "Custom actions run by this action server", ["action", "outcome"]
)
ACTION_SECONDS = Histogram(
    "helpdesk_action_seconds",
    "Time to run a custom action",
    ["action"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
ERASED = Counter(
    "helpdesk_privacy_erased",
    "Personal data erased by this process: applications, applicants and conversations, by why "
    "(retention, request, unverified); never who",
    ["what", "reason"],
)
ESCALATIONS_OPEN = Gauge("helpdesk_escalations_open", "Escalations not yet resolved")
ESCALATIONS_OVERDUE = Gauge(
    "helpdesk_escalations_overdue", "Unresolved escalations past their respond-by time"
)
APPLICATIONS_ACK_OVERDUE = Gauge(
    "helpdesk_applications_ack_overdue",
    "Open applications past their acknowledgement deadline and not acknowledged",
)
ACK_WITHIN_DEADLINE = Gauge(
    "helpdesk_acknowledged_within_deadline_ratio",
    "Of the applications made in the last 90 days whose deadline has passed or that were "
    "acknowledged, the share acknowledged within the deadline",
)
STORE_UP = Gauge("helpdesk_ats_store_up", "1 when the ATS store answered the last count")
WRITEBACKS_WAITING = Gauge(
    "helpdesk_ats_writebacks_waiting",
    "Desk changes the ATS could not take yet (down, rate limiting, key refused): tried again",
)
WRITEBACKS_FAILED = Gauge(
    "helpdesk_ats_writebacks_failed",
    "Desk changes the ATS refused and that it does not say yet (a recruiter makes them there)",
)


@dataclass(frozen=True)
class DeadlineFigures:
    escalations_open: int
    escalations_overdue: int
    applications_ack_overdue: int
    within: int
    decided: int
    writebacks_waiting: int = 0
    writebacks_failed: int = 0

    @property
    def share_within(self) -> float:
        # no decided application yet: nothing was late either
        return self.within / self.decided if self.decided else 1.0


def _number_of(condition: ColumnElement[bool]) -> object:
    return func.count(case((condition, literal_column("1", Integer))))


async def deadline_figures(store: ATSStore, now: datetime | None = None) -> DeadlineFigures:
    now = now or utcnow()
    unresolved = Escalation.state != EscalationState.RESOLVED.value
    ack_overdue, _update_overdue = overdue_conditions(now)
    acknowledged, due = Application.acknowledged_at, Application.ack_due_at
    async with store.session() as session:
        escalations = (
            await session.execute(
                select(
                    func.count(),
                    _number_of(Escalation.respond_by < now),
                ).where(unresolved)
            )
        ).one()
        overdue = await session.scalar(select(func.count()).where(ack_overdue))
        waiting, failed = (
            await session.execute(
                select(
                    _number_of(
                        (AtsWriteback.state == WritebackState.PENDING.value)
                        & AtsWriteback.last_error.isnot(None)
                    ),
                    _number_of(AtsWriteback.state == WritebackState.FAILED.value),
                ).where(
                    AtsWriteback.state.in_(
                        (WritebackState.PENDING.value, WritebackState.FAILED.value)
                    )
                )
            )
        ).one()
        within, decided = (
            await session.execute(
                select(
                    _number_of(acknowledged <= due),
                    _number_of(
                        (acknowledged.isnot(None)) | and_(acknowledged.is_(None), due < now)
                    ),
                ).where(Application.applied_at >= now - SHARE_WINDOW)
            )
        ).one()
    return DeadlineFigures(
        escalations_open=escalations[0],
        escalations_overdue=escalations[1],
        applications_ack_overdue=overdue or 0,
        within=within,
        decided=decided,
        writebacks_waiting=waiting,
        writebacks_failed=failed,
    )


class DeadlineGauges:
    """Refreshes the deadline gauges from the store, at most every CACHE_SECONDS."""

    def __init__(self, store: ATSStore) -> None:
        self.store = store
        self._refreshed = float("-inf")
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """The figures have changed (a sweep ran): count again at the next scrape."""
        self._refreshed = float("-inf")

    async def refresh(self) -> None:
        async with self._lock:
            if time.monotonic() - self._refreshed < CACHE_SECONDS:
                return
            try:
                figures = await asyncio.wait_for(deadline_figures(self.store), 10)
            except Exception:
                # the gauges keep their last values; the store's state is its own metric
                STORE_UP.set(0)
                self._refreshed = time.monotonic()
                return
            STORE_UP.set(1)
            ESCALATIONS_OPEN.set(figures.escalations_open)
            ESCALATIONS_OVERDUE.set(figures.escalations_overdue)
            APPLICATIONS_ACK_OVERDUE.set(figures.applications_ack_overdue)
            ACK_WITHIN_DEADLINE.set(figures.share_within)
            WRITEBACKS_WAITING.set(figures.writebacks_waiting)
            WRITEBACKS_FAILED.set(figures.writebacks_failed)
            self._refreshed = time.monotonic()


def exposition() -> bytes:
    """The metrics in Prometheus' text format."""
    return generate_latest()
