"""Adding mails to the outbox inside the caller's transaction; `ats.mail` sends them later."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from ats.models import OutgoingMail
from ats.records import Mail
from ats.store_basics import utcnow


async def queue_mail(
    session: AsyncSession,
    mails: Sequence[Mail],
    escalation_id: int | None = None,
    *,
    claimed_for: timedelta | None = None,
) -> list[OutgoingMail]:
    """Add mails to the outbox inside the caller's transaction, so they share its fate.

    With `claimed_for`, they are claimed by the caller for that long, a first attempt counted
    (ats/mail.py sends them at once); otherwise any sender may take them."""
    now = utcnow()
    rows = [
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
    session.add_all(rows)
    await session.flush()
    return rows
