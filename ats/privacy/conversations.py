"""Which conversations belong to which applicant: recorded when a conversation proves an
application or a chat is linked, so that erasing the applicant removes every conversation they
had, on every channel, and the purge of conversations that never verified spares theirs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.db import dialect_insert
from ats.models import ApplicantConversation, Candidate
from ats.store_basics import normalise_email


async def remember_conversation(
    session: AsyncSession, email: str, channel: str, conversation_id: str, at: datetime
) -> None:
    """In the caller's transaction: this conversation is the applicant's with this address."""
    candidate_id = await session.scalar(
        select(Candidate.id).where(Candidate.email == normalise_email(email))
    )
    if candidate_id is None:
        return
    await session.execute(
        dialect_insert(session.bind)(ApplicantConversation)
        .values(
            candidate_id=candidate_id,
            channel=channel,
            conversation_id=conversation_id,
            first_seen_at=at,
        )
        .on_conflict_do_nothing(index_elements=["candidate_id", "conversation_id"])
    )
