"""What each conversation has proven, kept on the server and nowhere else.

A conversation that typed the right one-time code has proven the applications that code was
issued for. That is recorded here, keyed by the conversation and its channel, and read back
by the actions on every message: never taken from the conversation's slots, which are whatever
the caller of the action server sends. A proof lapses when the conversation has been quiet for
the idle time (a shared computer at a library), and when the applicant ends the chat.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, bindparam, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.direct_statements import Statements
from ats.models import ConversationProof, UTCDateTime
from ats.privacy.conversations import remember_conversation
from ats.store import ATSStore
from ats.store_basics import utcnow

# A conversation's proofs are marked as seen at most this often: not a write per message.
TOUCH_EVERY = timedelta(minutes=1)
# Channels whose callers choose the conversation id themselves: a proof there holds only for
# the client that made it, so that guessing another caller's id ("me", "user1") gains nothing.
CALLER_CHOSEN_IDS = {"rest"}

# Read for every message, so built once: SQLAlchemy works out the cache key of every statement
# object it is given, and for a statement built anew that was half the CPU of this read.
PROOFS_OF_CONVERSATION = select(
    ConversationProof.reference,
    ConversationProof.email,
    ConversationProof.channel,
    ConversationProof.client,
    ConversationProof.last_seen_at,
).where(ConversationProof.conversation_id == bindparam("conversation_id"))


# Written out, as ats/limits.py's count: SQLAlchemy 1.4 compiles an INSERT ... ON CONFLICT
# anew every time. The same text on PostgreSQL and SQLite.
_PROVE = text(
    """
    INSERT INTO conversation_proofs
        (conversation_id, channel, reference, email, client, proven_at, last_seen_at)
    VALUES (:conversation_id, :channel, :reference, :email, :client, :now, :now)
    ON CONFLICT (conversation_id, reference) DO UPDATE SET
        channel = excluded.channel,
        email = excluded.email,
        client = excluded.client,
        proven_at = excluded.proven_at,
        last_seen_at = excluded.last_seen_at
    """
).bindparams(
    bindparam("conversation_id", type_=String()),
    bindparam("channel", type_=String()),
    bindparam("reference", type_=String()),
    bindparam("email", type_=String()),
    bindparam("client", type_=String()),
    bindparam("now", type_=UTCDateTime()),
)


@dataclass(frozen=True)
class Proven:
    """The applications a conversation has proven, and the address on file they belong to."""

    references: tuple[str, ...] = ()
    email: str | None = None


class Proofs:
    def __init__(
        self, store: ATSStore, idle: timedelta, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.store = store
        self.idle = idle
        self.clock = clock

    async def add(
        self,
        session: Statements,
        conversation_id: str,
        channel: str,
        references: Iterable[str],
        email: str,
        client: str,
    ) -> None:
        """Record, in the caller's transaction, that this conversation proved these."""
        now = self.clock()
        await remember_conversation(session, email, channel, conversation_id, now)
        proven = [
            {
                "conversation_id": conversation_id,
                "channel": channel,
                "reference": reference,
                "email": email,
                "client": client,
                "now": now,
            }
            for reference in references
        ]
        if proven:
            await session.execute(_PROVE, proven)

    async def current(self, conversation_id: str, channel: str, client: str) -> Proven:
        """What this conversation has proven and still holds; marks it as active now."""
        now = self.clock()
        rows = await self.store.read(PROOFS_OF_CONVERSATION, {"conversation_id": conversation_id})
        if not rows:
            return Proven()
        lapsed = [r for r in rows if r.last_seen_at <= now - self.idle]
        if lapsed:
            await self._drop_lapsed(conversation_id, now)
        # proven in another channel under the same id (a REST sender named like a Telegram
        # chat): not this conversation's
        live = [
            r
            for r in rows
            if r.channel == channel
            and r.last_seen_at > now - self.idle
            and (channel not in CALLER_CHOSEN_IDS or r.client == client)
        ]
        if not live:
            return Proven()
        if any(r.last_seen_at < now - TOUCH_EVERY for r in live):
            async with self.store.session() as session, session.begin():
                await session.execute(
                    update(ConversationProof)
                    .where(
                        ConversationProof.conversation_id == conversation_id,
                        ConversationProof.channel == channel,
                        ConversationProof.last_seen_at > now - self.idle,
                    )
                    .values(last_seen_at=now)
                    .execution_options(synchronize_session=False)
                )
        return Proven(tuple(sorted(r.reference for r in live)), live[-1].email)

    async def _drop_lapsed(self, conversation_id: str, now: datetime) -> None:
        async with self.store.session() as session, session.begin():
            await session.execute(
                delete(ConversationProof).where(
                    ConversationProof.conversation_id == conversation_id,
                    ConversationProof.last_seen_at <= now - self.idle,
                )
            )

    async def end(self, session: AsyncSession, conversation_id: str) -> None:
        """Forget everything this conversation proved (in the caller's transaction)."""
        await session.execute(
            delete(ConversationProof).where(ConversationProof.conversation_id == conversation_id)
        )
