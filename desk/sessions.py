"""Recruiters' desk sessions, and the tokens behind them: who is logged in, from which browser.

Sessions, device tokens (the browsers a recruiter logged in from) and mailed one-time links
(set-password and login links) are random tokens of which only a keyed hash is stored, in the
ATS database, so that several Rasa servers share them. Who may log in, and how, is
desk/accounts.py; this module opens a session once that is decided, finds the user of a session
token, ends sessions, and uses a mailed token once.
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
from sqlalchemy.sql import ColumnElement

from ats.models import DeskAccount, DeskToken, Recruiter
from ats.store import ATSStore
from ats.store_basics import utcnow

SESSION_HOURS = 12
DEVICE_DAYS = 90  # a browser a recruiter logged in from stays recognised this long


@dataclass(frozen=True)
class DeskUser:
    """Who is logged in: their recruiter record, admin or not, and this session's CSRF token."""

    account_id: int
    recruiter_id: int
    name: str
    email: str
    is_admin: bool
    csrf_token: str


@dataclass(frozen=True)
class Login:
    """A login that worked: the session token, and the browser's device token (new or renewed)."""

    session_token: str
    device_token: str
    replaced_device: str | None = None  # the browser's device token this one replaces


class DeskSessions:
    """Desk tokens under the desk's key: sessions, device tokens and one-time links."""

    def __init__(self, store: ATSStore, key: bytes, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.key = key
        self.clock = clock

    def _hash(self, token: str) -> str:
        return hmac.new(self.key, f"desk:{token}".encode(), hashlib.sha256).hexdigest()

    def _browser_binding(self, browser: str) -> str:
        return hmac.new(self.key, f"desk-browser:{browser}".encode(), hashlib.sha256).hexdigest()

    def _new_token(
        self, session, account_id: int, purpose: str, hours: float, binding: str | None = None
    ) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        session.add(
            DeskToken(
                token_hash=self._hash(token),
                purpose=purpose,
                account_id=account_id,
                # a session's CSRF token; for a login link, the browser it works in (keyed hash)
                csrf_token=secrets.token_urlsafe(32) if purpose == "session" else binding,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
        return token

    async def _use_token(
        self,
        session: AsyncSession,
        token: str,
        purpose: str,
        now: datetime,
        *conditions: ColumnElement[bool],
    ) -> int | None:
        """Marks a mailed one-time token used; its account, or None when it was no longer valid
        (expired, used, or failing one of the extra conditions). One UPDATE, so a link opened
        twice at the same moment works once."""
        used = await session.execute(
            update(DeskToken)
            .where(
                DeskToken.token_hash == self._hash(token),
                DeskToken.purpose == purpose,
                DeskToken.used_at.is_(None),
                DeskToken.expires_at > now,
                *conditions,
            )
            .values(used_at=now)
        )
        if used.rowcount != 1:
            return None
        account_id: int | None = await session.scalar(
            select(DeskToken.account_id).where(DeskToken.token_hash == self._hash(token))
        )
        return account_id

    async def _open_session(
        self, session, account_id: int, device: str | None, now: datetime
    ) -> Login:
        """A session, and the browser recognised from now on (its device token renewed)."""
        await session.execute(
            delete(DeskToken).where(DeskToken.account_id == account_id, DeskToken.expires_at < now)
        )
        if device is not None:  # a new token for the same browser: the old one is replaced
            await session.execute(delete(DeskToken).where(DeskToken.token_hash == device))
        return Login(
            session_token=self._new_token(session, account_id, "session", SESSION_HOURS),
            device_token=self._new_token(session, account_id, "device", DEVICE_DAYS * 24),
        )

    async def user_for(self, session_token: str | None) -> DeskUser | None:
        if not session_token:
            return None
        async with self.store.session() as session:
            row = (
                await session.execute(
                    select(DeskToken, DeskAccount, Recruiter)
                    .join(DeskAccount, DeskAccount.id == DeskToken.account_id)
                    .join(Recruiter, Recruiter.id == DeskAccount.recruiter_id)
                    .where(
                        DeskToken.token_hash == self._hash(session_token),
                        DeskToken.purpose == "session",
                        DeskToken.expires_at > self.clock(),
                    )
                )
            ).first()
        if row is None:
            return None
        token, account, recruiter = row
        return DeskUser(
            account.id,
            recruiter.id,
            recruiter.name,
            recruiter.email,
            account.is_admin,
            token.csrf_token,
        )

    async def log_out(self, session_token: str) -> None:
        async with self.store.session() as session, session.begin():
            await session.execute(
                delete(DeskToken).where(DeskToken.token_hash == self._hash(session_token))
            )
