"""Chats linked to an applicant, so that a proven Telegram chat needs no code next time.

A link is made in one of two ways: the applicant proves who they are with a code inside the
chat, or they open a one-time deep link (t.me/<bot>?start=<token>) that the help desk gave them
after they proved who they are elsewhere (the web chat, an email to the address on file). A
token is random, kept only as a keyed hash, expires, and works once. `/forget` unlinks.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.db import dialect_insert
from ats.models import Candidate, LinkedChat, LinkToken
from ats.privacy.conversations import remember_conversation
from ats.store import ATSStore
from ats.store_basics import normalise_email, utcnow

# Telegram allows 1-64 characters from A-Z, a-z, 0-9, _ and - in a start parameter.
TOKEN_BYTES = 24


@dataclass(frozen=True)
class LinkedApplicant:
    """Who a chat belongs to: their first name and the references of all their applications."""

    name: str
    email: str
    references: tuple[str, ...]


class ChatLinks:
    def __init__(
        self,
        store: ATSStore,
        key: bytes,
        *,
        valid_for: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.key = key
        self.valid_for = valid_for
        self.clock = clock

    def _hash(self, token: str) -> str:
        return hmac.new(self.key, f"link:{token}".encode(), hashlib.sha256).hexdigest()

    async def create_token(self, email: str, session: AsyncSession | None = None) -> str | None:
        """A new one-time token for the applicant with this email on file (None: no such one).

        Inside the caller's transaction when given its `session` (SQLite has one writer)."""
        if session is None:
            async with self.store.session() as own, own.begin():
                return await self.create_token(email, own)
        now = self.clock()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        candidate_id = await session.scalar(
            select(Candidate.id).where(Candidate.email == normalise_email(email))
        )
        if candidate_id is None:
            return None
        session.add(
            LinkToken(
                token_hash=self._hash(token),
                candidate_id=candidate_id,
                created_at=now,
                expires_at=now + self.valid_for,
            )
        )
        return token

    async def redeem(self, token: str, channel: str, chat_id: str) -> LinkedApplicant | None:
        """Use a token to link a chat; None when it is unknown, used or expired."""
        now = self.clock()
        token_hash = self._hash(token.strip())
        async with self.store.session() as session, session.begin():
            # One UPDATE decides: of two chats racing with the same token, one wins.
            used = await session.execute(
                update(LinkToken)
                .where(
                    LinkToken.token_hash == token_hash,
                    LinkToken.used_at.is_(None),
                    LinkToken.expires_at > now,
                )
                .values(used_at=now)
            )
            if used.rowcount != 1:
                return None
            candidate_id = await session.scalar(
                select(LinkToken.candidate_id).where(LinkToken.token_hash == token_hash)
            )
        email = await self._link(channel, chat_id, candidate_id)
        return await self.applicant(email)

    async def link(self, channel: str, chat_id: str, email: str) -> bool:
        """Link a chat whose user just proved, in that chat, that they own this email."""
        async with self.store.session() as session:
            candidate_id = await session.scalar(
                select(Candidate.id).where(Candidate.email == normalise_email(email))
            )
        if candidate_id is None:
            return False
        await self._link(channel, chat_id, candidate_id)
        return True

    async def _link(self, channel: str, chat_id: str, candidate_id: int) -> str:
        statement = dialect_insert(self.store.engine)(LinkedChat).values(
            channel=channel, chat_id=chat_id, candidate_id=candidate_id, linked_at=self.clock()
        )
        # A chat belongs to one applicant: linking it again moves it to the newest one.
        statement = statement.on_conflict_do_update(
            index_elements=["channel", "chat_id"],
            set_={
                "candidate_id": statement.excluded.candidate_id,
                "linked_at": statement.excluded.linked_at,
            },
        )
        async with self.store.session() as session, session.begin():
            await session.execute(statement)
            email: str = await session.scalar(
                select(Candidate.email).where(Candidate.id == candidate_id)
            )
            # the chat's conversation is the applicant's too (its sender id is the chat's id)
            await remember_conversation(session, email, channel, chat_id, self.clock())
            return email

    async def linked_applicant(self, channel: str, chat_id: str) -> LinkedApplicant | None:
        async with self.store.session() as session:
            email = await session.scalar(
                select(Candidate.email)
                .join(LinkedChat, LinkedChat.candidate_id == Candidate.id)
                .where(LinkedChat.channel == channel, LinkedChat.chat_id == chat_id)
            )
        return await self.applicant(email) if email else None

    async def applicant(self, email: str) -> LinkedApplicant | None:
        applications = await self.store.find_applications_by_email(email)
        if not applications:
            return None
        person = applications[0].candidate
        return LinkedApplicant(
            person.name.split()[0], person.email, tuple(a.reference for a in applications)
        )

    async def forget(self, channel: str, chat_id: str) -> bool:
        """Unlink a chat; False when it was not linked."""
        async with self.store.session() as session, session.begin():
            result = await session.execute(
                delete(LinkedChat).where(
                    LinkedChat.channel == channel, LinkedChat.chat_id == chat_id
                )
            )
            return bool(result.rowcount > 0)

    async def chats_for(self, emails: list[str], channel: str) -> dict[str, list[str]]:
        """The linked chats of many applicants at once: {email: [chat ids]}."""
        found: dict[str, list[str]] = {}
        if not emails:
            return found
        async with self.store.session() as session:
            rows = await session.execute(
                select(Candidate.email, LinkedChat.chat_id)
                .join(Candidate, LinkedChat.candidate_id == Candidate.id)
                .where(
                    Candidate.email.in_({normalise_email(e) for e in emails}),
                    LinkedChat.channel == channel,
                )
                .order_by(LinkedChat.linked_at)
            )
            for email, chat_id in rows:
                found.setdefault(email, []).append(chat_id)
        return found
