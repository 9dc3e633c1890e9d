"""An escalation's thread: every message of the hand-over, whichever way and channel it went.

What a recruiter replied (in the chat or by email), what the applicant wrote back by email, and
recruiters' internal notes are kept here with their time, so that a colleague opening the
escalation sees everything that was said. The applicant's chat messages stay in the
conversation's tracker, and the desk shows both in one time order (desk/handoff.py). A note
(kind "note") is for recruiters only: nothing that sends to the applicant reads this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ats.calendar import add_working_hours
from ats.models import Escalation, EscalationMessage, EscalationState, Recruiter
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow

Kind = Literal["applicant", "recruiter", "note", "bot"]
KINDS: tuple[str, ...] = ("applicant", "recruiter", "note", "bot")
# longer messages are cut: a reply box or a mail is not a document store
MAX_TEXT = 8000


@dataclass(frozen=True)
class ThreadMessage:
    """One message of a thread, as the desk shows it."""

    id: int
    at: datetime
    kind: str
    channel: str | None
    recruiter_name: str | None
    text: str

    @property
    def internal(self) -> bool:
        """A note between recruiters: never shown or sent to the applicant."""
        return self.kind == "note"


async def add_message(
    store: ATSStore,
    escalation_id: int,
    kind: Kind,
    text: str,
    *,
    channel: str | None = None,
    recruiter_id: int | None = None,
    at: datetime | None = None,
) -> int:
    """Add a message to the escalation's thread; returns its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of message: {kind}")
    async with store.session() as session, session.begin():
        message = EscalationMessage(
            escalation_id=escalation_id,
            at=at or utcnow(),
            kind=kind,
            channel=channel,
            recruiter_id=recruiter_id,
            text=text[:MAX_TEXT],
        )
        session.add(message)
        await session.flush()
        return int(message.id)


async def thread(store: ATSStore, escalation_id: int) -> list[ThreadMessage]:
    """The escalation's messages, oldest first (same time: in the order they were added)."""
    query = (
        select(EscalationMessage, Recruiter.name)
        .outerjoin(Recruiter, Recruiter.id == EscalationMessage.recruiter_id)
        .where(EscalationMessage.escalation_id == escalation_id)
        .order_by(EscalationMessage.at, EscalationMessage.id)
    )
    async with store.session() as session:
        rows = (await session.execute(query)).all()
    return [
        ThreadMessage(
            id=message.id,
            at=message.at,
            kind=message.kind,
            channel=message.channel,
            recruiter_name=name,
            text=message.text,
        )
        for message, name in rows
    ]


async def reopen_escalation(store: ATSStore, settings: Settings, escalation_id: int) -> bool:
    """A resolved escalation back in the queue, unclaimed (the applicant answered, or a
    recruiter reopens it), as new work: at the first level again, to be taken within
    HELPDESK_ESCALATION_RESPONSE_HOURS from now (with its old respond-by time, long past, the next
    sweep would pass it up the chain at once). False when it was not resolved, or another
    escalation of the same application and reason is open already (the database allows one)."""
    respond_by = add_working_hours(
        utcnow(), settings.escalation_response_hours, settings.timezone, settings.holiday_country
    )
    try:
        async with store.session() as session, session.begin():
            result = await session.execute(
                update(Escalation)
                .where(
                    Escalation.id == escalation_id,
                    Escalation.state == EscalationState.RESOLVED.value,
                    Escalation.erased_at.is_(None),
                )
                .values(
                    state=EscalationState.OPEN.value,
                    resolved_at=None,
                    claimed_by_id=None,
                    level=1,
                    respond_by=respond_by,
                )
            )
            return bool(result.rowcount == 1)
    except IntegrityError:
        return False
