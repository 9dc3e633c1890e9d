"""Which conversations belong to which applicant: recorded when a conversation proves an
application or a chat is linked, so that erasing the applicant removes every conversation they
had, on every channel, and the purge of conversations that never verified spares theirs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, bindparam, text

from ats.direct_statements import Statements
from ats.models import UTCDateTime
from ats.store_basics import normalise_email

# Written out rather than built with the dialects' insert(): SQLAlchemy 1.4 compiles an INSERT
# ... ON CONFLICT anew every time (ats/limits.py), and the candidate is found in the same
# statement, not by a query before it. The same text on PostgreSQL and SQLite (whose parser
# needs the WHERE before ON CONFLICT, which this has).
_REMEMBER = text(
    """
    INSERT INTO applicant_conversations (candidate_id, channel, conversation_id, first_seen_at)
    SELECT candidates.id, :channel, :conversation_id, :at FROM candidates
    WHERE candidates.email = :email
    ON CONFLICT (candidate_id, conversation_id) DO NOTHING
    """
).bindparams(
    bindparam("channel", type_=String()),
    bindparam("conversation_id", type_=String()),
    bindparam("at", type_=UTCDateTime()),
    bindparam("email", type_=String()),
)


async def remember_conversation(
    session: Statements, email: str, channel: str, conversation_id: str, at: datetime
) -> None:
    """In the caller's transaction: this conversation is the applicant's with this address
    (nothing is recorded for an address that is no applicant's)."""
    await session.execute(
        _REMEMBER,
        {
            "channel": channel,
            "conversation_id": conversation_id,
            "at": at,
            "email": normalise_email(email),
        },
    )
