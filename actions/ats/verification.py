"""One-time codes that prove an applicant is who they say, and lockouts against guessing them.

An applicant names an application by reference and email address, or by email address alone;
a six-digit code goes to the address on file and unlocks those applications in this
conversation only. Whether the details matched anything, the applicant sees the same thing,
and wrong codes count the same: nothing tells a stranger whether an application exists.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from actions.ats.db import dialect_insert
from actions.ats.models import Lockout, VerificationChallenge
from actions.ats.records import ApplicationRecord
from actions.ats.store import ATSStore, normalise_email, utcnow
from actions.settings import PROJECT_ROOT, Settings


class Outcome(str, enum.Enum):
    VERIFIED = "verified"
    WRONG_CODE = "wrong_code"
    EXPIRED = "expired"
    LOCKED = "locked"
    NO_CODE_PENDING = "no_code_pending"


@dataclass(frozen=True)
class CodeRequest:
    """What `request_code` did. `applications` is empty when the details matched nothing."""

    code: str | None
    applications: tuple[ApplicationRecord, ...]
    locked_until: datetime | None = None


@dataclass(frozen=True)
class CodeCheck:
    outcome: Outcome
    references: tuple[str, ...] = ()
    attempts_left: int = 0
    locked_until: datetime | None = None


def secret_key(settings: Settings) -> bytes:
    """HELPDESK_SECRET_KEY, or a key generated once into var/secret_key for a single machine."""
    if settings.secret_key:
        return settings.secret_key.encode()
    path = PROJECT_ROOT / "var" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return Path(path).read_text().strip().encode()


class Verifier:
    def __init__(
        self,
        store: ATSStore,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self._key = secret_key(settings)

    def _hash(self, conversation_id: str, code: str) -> str:
        message = f"{conversation_id}:{code}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    async def locked_until(self, conversation_id: str) -> datetime | None:
        async with self.store.session() as session:
            return await self._locked(session, f"conversation:{conversation_id}")

    async def request_code(
        self, conversation_id: str, email: str, reference: str | None = None
    ) -> CodeRequest:
        """Create a code for the applications matching these details (send it if any match)."""
        now = self.clock()
        if reference:
            found = await self.store.find_application(reference)
            candidates = [found] if found else []
        else:
            candidates = await self.store.find_applications_by_email(email)
        wanted = normalise_email(email)
        async with self.store.session() as session, session.begin():
            conversation = f"conversation:{conversation_id}"
            # one query whatever matched: a match must not take longer to answer than a miss
            locks = await self._locks(
                session, [conversation, *(f"application:{app.reference}" for app in candidates)]
            )
            if conversation in locks:
                return CodeRequest(None, (), locks[conversation])
            applications = tuple(
                app
                for app in candidates
                # a reference with someone else's email: as if nothing matched; an application
                # being guessed at: no code for it until the lock runs out
                if app.candidate.email == wanted and f"application:{app.reference}" not in locks
            )
            code = f"{secrets.randbelow(1_000_000):06d}"
            # Earlier codes of this conversation stop working: only the newest one counts.
            for earlier in await session.scalars(
                select(VerificationChallenge).where(
                    VerificationChallenge.conversation_id == conversation_id,
                    VerificationChallenge.used_at.is_(None),
                )
            ):
                earlier.used_at = now
            session.add(
                VerificationChallenge(
                    conversation_id=conversation_id,
                    code_hash=self._hash(conversation_id, code),
                    references=" ".join(app.reference for app in applications),
                    created_at=now,
                    expires_at=now + timedelta(minutes=self.settings.code_minutes),
                    failed_attempts=0,
                )
            )
        return CodeRequest(code if applications else None, applications)

    async def check_code(self, conversation_id: str, code: str) -> CodeCheck:
        now = self.clock()
        conversation = f"conversation:{conversation_id}"
        async with self.store.session() as session, session.begin():
            locked = await self._locked(session, conversation)
            if locked:
                return CodeCheck(Outcome.LOCKED, locked_until=locked)
            challenge = await session.scalar(
                select(VerificationChallenge)
                .where(
                    VerificationChallenge.conversation_id == conversation_id,
                    VerificationChallenge.used_at.is_(None),
                )
                .order_by(VerificationChallenge.id.desc())
                .limit(1)
                .with_for_update()
            )
            if challenge is None:
                return CodeCheck(Outcome.NO_CODE_PENDING)
            if now > challenge.expires_at:
                challenge.used_at = now
                return CodeCheck(Outcome.EXPIRED)
            references = tuple(challenge.references.split())
            matches = hmac.compare_digest(
                challenge.code_hash, self._hash(conversation_id, code.strip())
            )
            application_locked = [
                await self._locked(session, f"application:{r}") for r in references
            ]
            if matches and references and not any(application_locked):
                challenge.used_at = now
                await self._reset(session, conversation)
                return CodeCheck(Outcome.VERIFIED, references)
            challenge.failed_attempts += 1
            subjects = [conversation] + [f"application:{r}" for r in references]
            failures = [await self._fail(session, subject, now) for subject in subjects]
            locked = await self._locked(session, conversation)
            if locked:
                challenge.used_at = now
                return CodeCheck(Outcome.LOCKED, locked_until=locked)
            left = max(0, self.settings.max_failed_attempts - failures[0])
            return CodeCheck(Outcome.WRONG_CODE, attempts_left=left)

    async def _locks(self, session: AsyncSession, subjects: list[str]) -> dict[str, datetime]:
        """The subjects among these that are locked now, with when their lock ends."""
        now = self.clock()
        rows = await session.execute(
            select(Lockout.subject, Lockout.locked_until).where(Lockout.subject.in_(subjects))
        )
        return {subject: until for subject, until in rows if until and until > now}

    async def _locked(self, session: AsyncSession, subject: str) -> datetime | None:
        locked_until = await session.scalar(
            select(Lockout.locked_until).where(Lockout.subject == subject)
        )
        return locked_until if locked_until and locked_until > self.clock() else None

    async def _fail(self, session: AsyncSession, subject: str, now: datetime) -> int:
        """Count one failure against `subject`, locking it at the limit; returns the count."""
        await session.execute(
            dialect_insert(session.bind)(Lockout)
            .values(subject=subject, failures=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["subject"])
        )
        lockout = await session.scalar(
            select(Lockout).where(Lockout.subject == subject).with_for_update()
        )
        if lockout.locked_until and lockout.locked_until <= now:
            lockout.failures, lockout.locked_until = 0, None  # an earlier lock has run out
        lockout.failures += 1
        lockout.updated_at = now
        if lockout.failures >= self.settings.max_failed_attempts:
            lockout.locked_until = now + timedelta(minutes=self.settings.lock_minutes)
        return lockout.failures

    async def _reset(self, session: AsyncSession, subject: str) -> None:
        lockout = await session.scalar(select(Lockout).where(Lockout.subject == subject))
        if lockout is not None:
            lockout.failures, lockout.locked_until = 0, None
