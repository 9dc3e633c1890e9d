"""Messages a channel could not deliver: recruiter replies and notices are never lost silently.

A reply that Telegram refuses even after retries is kept here with the reason
(`list_undelivered`), so that a person can reach the applicant another way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ats.models import UndeliveredMessage
from ats.store import ATSStore
from ats.store_basics import utcnow


@dataclass(frozen=True)
class Undelivered:
    id: int
    channel: str
    recipient_id: str
    text: str
    error: str
    created_at: datetime


async def record_undelivered(
    store: ATSStore, channel: str, recipient_id: str, text: str, error: str
) -> int:
    """Keep a message a channel finally failed to deliver, so that a person can follow it up."""
    async with store.session() as session, session.begin():
        row = UndeliveredMessage(
            channel=channel,
            recipient_id=recipient_id,
            text=text,
            error=error[:2000],
            created_at=utcnow(),
        )
        session.add(row)
        await session.flush()
        row_id: int = row.id
        return row_id


async def list_undelivered(store: ATSStore) -> list[Undelivered]:
    """The messages nobody has followed up yet, oldest first."""
    async with store.session() as session:
        rows = await session.scalars(
            select(UndeliveredMessage)
            .where(UndeliveredMessage.handled_at.is_(None))
            .order_by(UndeliveredMessage.created_at, UndeliveredMessage.id)
        )
        return [
            Undelivered(r.id, r.channel, r.recipient_id, r.text, r.error, r.created_at)
            for r in rows
        ]
