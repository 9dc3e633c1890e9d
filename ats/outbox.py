"""Adding mails to the outbox inside the caller's transaction; `ats.mail` sends them later."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ats.models import OutgoingMail
from ats.records import Mail
from ats.store_basics import utcnow


def outgoing(
    mails: Sequence[Mail],
    escalation_id: int | None = None,
    *,
    claimed_for: timedelta | None = None,
) -> list[OutgoingMail]:
    """The outbox's rows for these mails, not yet added anywhere.

    With `claimed_for`, they are claimed by the caller for that long, a first attempt counted
    (ats/mail.py sends them at once); otherwise any sender may take them."""
    now = utcnow()
    return [
        OutgoingMail(
            to_address=mail.to,
            subject=mail.subject,
            body=mail.body,
            purpose=mail.purpose,
            attachments=json.dumps([asdict(a) for a in mail.attachments])
            if mail.attachments
            else None,
            sender_name=mail.sender_name,
            escalation_id=escalation_id,
            created_at=now,
            attempts=0 if claimed_for is None else 1,
            claimed_until=None if claimed_for is None else now + claimed_for,
        )
        for mail in mails
    ]


# One mail added on its own (ats/mail.py): built once, its values given with each execution.
QUEUE_ONE = insert(OutgoingMail)


def values_of(row: OutgoingMail) -> dict[str, Any]:
    """A row's columns for QUEUE_ONE (its id comes back as the statement's primary key)."""
    return {c.key: getattr(row, c.key) for c in OutgoingMail.__table__.columns if c.key != "id"}


async def queue_mail(
    session: AsyncSession,
    mails: Sequence[Mail],
    escalation_id: int | None = None,
    *,
    claimed_for: timedelta | None = None,
) -> list[OutgoingMail]:
    """Add mails to the outbox inside the caller's transaction, so they share its fate
    (`claimed_for` as in `outgoing()`)."""
    rows = outgoing(mails, escalation_id, claimed_for=claimed_for)
    session.add_all(rows)
    await session.flush()
    return rows
