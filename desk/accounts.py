"""Recruiters' desk logins: accounts, argon2 password hashes, sessions, set-password links.

Sessions and links are random tokens of which only a keyed hash is stored, in the ATS database,
so that several Rasa servers share them. Failed logins count against the address and the
client's IP (the lockouts table the applicant codes use too), so guessing is throttled.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update

from actions.ats.models import DeskAccount, DeskToken, Lockout, Recruiter
from actions.ats.store import ATSStore, normalise_email, utcnow

SESSION_HOURS = 12
PASSWORD_LINK_HOURS = 72
MIN_PASSWORD = 12
MAX_FAILED_LOGINS = 5  # per address
MAX_FAILED_PER_CLIENT = 20  # per IP address: an office behind one address is many people
LOCK_MINUTES = 15


@dataclass(frozen=True)
class DeskUser:
    """Who is logged in: their recruiter record, admin or not, and this session's CSRF token."""

    account_id: int
    recruiter_id: int
    name: str
    email: str
    is_admin: bool
    csrf_token: str


class LoginRefused(Exception):
    """Wrong address or password (the same for both), or too many attempts."""

    def __init__(self, locked_until: datetime | None = None) -> None:
        super().__init__("login refused")
        self.locked_until = locked_until


class PasswordRejected(ValueError):
    """A new password the desk does not accept, or a set-password link that does not work."""


class DeskAccounts:
    def __init__(self, store: ATSStore, key: bytes, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.key = key
        self.clock = clock
        self.hasher = PasswordHasher()  # argon2id with the library's memory-hard defaults

    def _hash(self, token: str) -> str:
        return hmac.new(self.key, f"desk:{token}".encode(), hashlib.sha256).hexdigest()

    async def add_recruiter(
        self, email: str, name: str | None = None, *, admin: bool = False
    ) -> str:
        """Make (or renew) a desk account for this address; returns a set-password token."""
        email = normalise_email(email)
        if "@" not in email:
            raise ValueError(f"{email!r} is not an email address")
        now = self.clock()
        async with self.store.session() as session, session.begin():
            recruiter = await session.scalar(select(Recruiter).where(Recruiter.email == email))
            if recruiter is None:
                recruiter = Recruiter(email=email, name=name or email.split("@")[0])
                session.add(recruiter)
                await session.flush()
            elif name:
                recruiter.name = name
            account = await session.scalar(
                select(DeskAccount).where(DeskAccount.recruiter_id == recruiter.id)
            )
            if account is None:
                account = DeskAccount(recruiter_id=recruiter.id, is_admin=admin, created_at=now)
                session.add(account)
                await session.flush()
            elif admin:
                account.is_admin = True
            return await self._new_token(session, account.id, "password", PASSWORD_LINK_HOURS)

    async def invite_all(self) -> dict[str, str]:
        """Set-password tokens for every recruiter in the ATS without a password yet."""
        async with self.store.session() as session:
            rows = await session.execute(
                select(Recruiter.email)
                .outerjoin(DeskAccount, DeskAccount.recruiter_id == Recruiter.id)
                .where(DeskAccount.password_hash.is_(None))
                .order_by(Recruiter.email)
            )
            emails = [email for (email,) in rows]
        return {email: await self.add_recruiter(email) for email in emails}

    async def _new_token(self, session, account_id: int, purpose: str, hours: int) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        session.add(
            DeskToken(
                token_hash=self._hash(token),
                purpose=purpose,
                account_id=account_id,
                csrf_token=secrets.token_urlsafe(32) if purpose == "session" else None,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
        return token

    async def set_password(self, token: str, password: str) -> str:
        """Use a set-password link; returns the account's email address."""
        if len(password) < MIN_PASSWORD:
            raise PasswordRejected(f"at least {MIN_PASSWORD} characters")
        now = self.clock()
        async with self.store.session() as session, session.begin():
            used = await session.execute(
                update(DeskToken)
                .where(
                    DeskToken.token_hash == self._hash(token),
                    DeskToken.purpose == "password",
                    DeskToken.used_at.is_(None),
                    DeskToken.expires_at > now,
                )
                .values(used_at=now)
            )
            if used.rowcount != 1:
                raise PasswordRejected("this link has expired or has been used")
            account = await session.scalar(
                select(DeskAccount)
                .join(DeskToken, DeskToken.account_id == DeskAccount.id)
                .where(DeskToken.token_hash == self._hash(token))
            )
            # argon2 is deliberately slow: off the event loop, which serves the chat too
            account.password_hash = await asyncio.to_thread(self.hasher.hash, password)
            account.password_set_at = now
            # A new password ends every session of the old one.
            await session.execute(
                delete(DeskToken).where(
                    DeskToken.account_id == account.id, DeskToken.purpose == "session"
                )
            )
            return await session.scalar(
                select(Recruiter.email).where(Recruiter.id == account.recruiter_id)
            )

    async def log_in(self, email: str, password: str, client: str) -> str:
        """A new session token, or LoginRefused (also while throttled)."""
        email = normalise_email(email)
        now = self.clock()
        subjects = (f"desk:{email}", f"desk-ip:{client}")
        async with self.store.session() as session, session.begin():
            for subject in subjects:
                lock = await session.scalar(select(Lockout).where(Lockout.subject == subject))
                if lock and lock.locked_until and lock.locked_until > now:
                    raise LoginRefused(lock.locked_until)
            account = await session.scalar(
                select(DeskAccount)
                .join(Recruiter, Recruiter.id == DeskAccount.recruiter_id)
                .where(Recruiter.email == email)
            )
            stored = account.password_hash if account else None
            if not await asyncio.to_thread(self._password_matches, stored, password):
                # counted in this transaction, which must commit: refuse after it
                await self._count_failure(session, subjects, now)
                token = None
            else:
                if self.hasher.check_needs_rehash(account.password_hash):
                    account.password_hash = await asyncio.to_thread(self.hasher.hash, password)
                await session.execute(delete(Lockout).where(Lockout.subject == subjects[0]))
                token = await self._new_token(session, account.id, "session", SESSION_HOURS)
        if token is None:
            raise LoginRefused()
        return token

    def _password_matches(self, stored: str | None, password: str) -> bool:
        if not stored:
            self.hasher.hash(password)  # the same work as a real check: no timing tell
            return False
        try:
            return self.hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    async def _count_failure(self, session, subjects: tuple[str, ...], now: datetime) -> None:
        for subject in subjects:
            lock = await session.scalar(select(Lockout).where(Lockout.subject == subject))
            if lock is None:
                lock = Lockout(subject=subject, failures=0, updated_at=now)
                session.add(lock)
            if lock.locked_until and lock.locked_until <= now:
                lock.failures, lock.locked_until = 0, None
            lock.failures += 1
            lock.updated_at = now
            limit = MAX_FAILED_PER_CLIENT if subject.startswith("desk-ip:") else MAX_FAILED_LOGINS
            if lock.failures >= limit:
                lock.locked_until = now + timedelta(minutes=LOCK_MINUTES)

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
