"""One-time codes that prove an applicant is who they say, bounded against guessing.

An applicant names an application by reference and email address, or by email address alone;
a six-digit code goes to the address on file and proves, in this conversation only, exactly
the applications it was issued for. The code is bound when it is issued (conversation, channel,
applications, address): nothing typed afterwards changes whom it proves. Whether the details
matched anything, the applicant sees the same thing, and wrong codes count the same.

Guessing is bounded per conversation (locked after HELPDESK_MAX_FAILED_ATTEMPTS), per client,
per application and in total, across every server (ats/limits.py). The limits that
strangers could spend for someone else (an application's, the total) never lock its applicant
out: the code mail carries a one-click link that cannot be guessed, and while those limits are
spent a right code counts once that link has been opened.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select, update

from ats import limits
from ats.direct_statements import Statements
from ats.keys import secret_key
from ats.models import VerificationChallenge
from ats.proofs import Proofs, Proven
from ats.records import ApplicationRecord
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import normalise_email, utcnow

__all__ = ["CodeCheck", "CodeRequest", "Outcome", "Verifier", "secret_key"]

logger = logging.getLogger(__name__)

HOUR = timedelta(hours=1)
LINK_BYTES = 24

# Run for every code asked: built once (see ats/limits.py), and the challenge written by a
# statement of its own rather than through the session's unit of work.
_NEW_CHALLENGE = insert(VerificationChallenge)
_VOID_PENDING = (
    update(VerificationChallenge)
    .where(
        VerificationChallenge.conversation_id == bindparam("of_conversation"),
        VerificationChallenge.used_at.is_(None),
    )
    .values(used_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)
# Run for every code checked: the conversation's newest code not used yet, locked until the
# check is done, and what the check changes in it (Core statements: a transaction on asyncpg
# itself has no unit of work).
_PENDING = (
    select(
        VerificationChallenge.id,
        VerificationChallenge.code_hash,
        VerificationChallenge.references,
        VerificationChallenge.expires_at,
        VerificationChallenge.email,
        VerificationChallenge.channel,
        VerificationChallenge.confirmed_at,
    )
    .where(
        VerificationChallenge.conversation_id == bindparam("of_conversation"),
        VerificationChallenge.used_at.is_(None),
    )
    .order_by(VerificationChallenge.id.desc())
    .limit(1)
    .with_for_update()
)
_USED = (
    update(VerificationChallenge)
    .where(VerificationChallenge.id == bindparam("challenge"))
    .values(used_at=bindparam("now"))
    .execution_options(synchronize_session=False)
)
# a wrong code: counted, and the code used up when it locked the conversation (else None)
_WRONG = (
    update(VerificationChallenge)
    .where(VerificationChallenge.id == bindparam("challenge"))
    .values(
        failed_attempts=VerificationChallenge.failed_attempts + 1,
        used_at=bindparam("used_up_at"),
    )
    .execution_options(synchronize_session=False)
)


class Outcome(str, enum.Enum):
    VERIFIED = "verified"
    WRONG_CODE = "wrong_code"
    EXPIRED = "expired"
    LOCKED = "locked"
    NO_CODE_PENDING = "no_code_pending"
    # the right code, while the application is being guessed at: the mail's link first
    CONFIRM_BY_LINK = "confirm_by_link"


@dataclass(frozen=True)
class CodeRequest:
    """What `request_code` did. `applications` is empty when the details matched nothing (or
    no mail may go to that address now): then there is no code and no link to send."""

    code: str | None
    applications: tuple[ApplicationRecord, ...]
    link_token: str | None = None
    email: str | None = None
    locked_until: datetime | None = None
    # locked because this client asked for too many codes (not for wrong codes)
    too_many: bool = False


@dataclass(frozen=True)
class CodeCheck:
    outcome: Outcome
    references: tuple[str, ...] = ()
    email: str | None = None
    attempts_left: int = 0
    locked_until: datetime | None = None


def subject(kind: str, value: str) -> str:
    return f"{kind}:{value}"[:250]


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
        self.proofs = Proofs(store, timedelta(minutes=settings.verification_idle_minutes), clock)

    @property
    def _lock_window(self) -> timedelta:
        return timedelta(minutes=self.settings.lock_minutes)

    def _hash(self, conversation_id: str, code: str) -> str:
        message = f"{conversation_id}:{code}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _link_hash(self, token: str) -> str:
        return hmac.new(self._key, f"mailbox:{token}".encode(), hashlib.sha256).hexdigest()

    async def locked_until(self, conversation_id: str) -> datetime | None:
        async with self.store.session() as session:
            return await limits.blocked_until(
                session, subject("guess:conversation", conversation_id), self.clock()
            )

    async def request_code(
        self,
        conversation_id: str,
        email: str,
        reference: str | None = None,
        *,
        channel: str,
        client: str,
        language: str = "en",
    ) -> CodeRequest:
        """Create a code for the applications matching these details, bound to them, to the
        address on file, and to this conversation and channel."""
        now = self.clock()
        settings = self.settings
        if reference:
            found = await self.store.find_application(reference)
            candidates = [found] if found else []
        else:
            candidates = await self.store.find_applications_by_email(email)
        wanted = normalise_email(email)
        # a reference with someone else's email: as if nothing matched
        matched = tuple(app for app in candidates if app.candidate.email == wanted)
        async with self.store.transaction() as session:
            # counted whatever matched, so that the count tells nothing
            asked = await limits.take(
                session,
                subject("codes:client", client),
                limit=settings.code_requests_per_client_per_hour,
                window=HOUR,
                now=now,
            )
            locked = await limits.blocked_until(
                session, subject("guess:conversation", conversation_id), now
            )
            if locked:
                return CodeRequest(None, (), locked_until=locked)
            if not asked.allowed:
                return CodeRequest(None, (), locked_until=asked.until, too_many=True)
            applications = (
                matched if matched and await self._may_mail(session, wanted, client, now) else ()
            )
            code = f"{secrets.randbelow(1_000_000):06d}"
            link = secrets.token_urlsafe(LINK_BYTES) if applications else None
            # Earlier codes of this conversation stop working: only the newest one counts.
            await _void_pending(session, conversation_id, now)
            await session.execute(
                _NEW_CHALLENGE,
                {
                    "conversation_id": conversation_id,
                    "code_hash": self._hash(conversation_id, code),
                    "references": " ".join(app.reference for app in applications),
                    "created_at": now,
                    "expires_at": now + timedelta(minutes=settings.code_minutes),
                    "failed_attempts": 0,
                    "channel": channel,
                    "email": wanted if applications else None,
                    "language": language,
                    "link_hash": self._link_hash(link) if link else None,
                },
            )
        if not applications:
            return CodeRequest(None, ())
        return CodeRequest(code, applications, link, wanted)

    async def _may_mail(
        self, session: Statements, address: str, client: str, now: datetime
    ) -> bool:
        """Whether another code may go to this address now: per client asking, per address
        and in total per hour, so that the help desk cannot be made to flood an inbox."""
        settings = self.settings
        wanted = [
            (subject("codes:address", f"{address}:{client}"), settings.code_mails_per_hour),
            (subject("codes:address", address), settings.code_mails_per_address_per_hour),
            ("codes:total", settings.code_mails_total_per_hour),
        ]
        taken: list[str] = []
        for name, limit in wanted:
            if not (await limits.take(session, name, limit=limit, window=HOUR, now=now)).allowed:
                await limits.give_back(session, taken)
                logger.warning("no code mailed: the hourly limit %s is reached", name.split(":")[1])
                return False
            taken.append(name)
        return True

    async def check_code(self, conversation_id: str, code: str, *, client: str) -> CodeCheck:
        now = self.clock()
        settings = self.settings
        window = self._lock_window
        conversation = subject("guess:conversation", conversation_id)
        by_client = subject("guess:client", client)
        limit_of = {
            conversation: settings.max_failed_attempts,
            by_client: settings.wrong_codes_per_client,
        }
        async with self.store.transaction() as session:
            taken: list[str] = []
            # Rows are always taken in the same order (conversation and client, then the
            # applications and the total, each sorted), so that parallel checks never deadlock.
            for name in sorted(limit_of):
                counted = await limits.take(
                    session, name, limit=limit_of[name], window=window, now=now
                )
                if not counted.allowed:
                    await limits.give_back(session, taken)
                    return CodeCheck(Outcome.LOCKED, locked_until=counted.until)
                taken.append(name)
            challenge = (
                await session.execute(_PENDING, {"of_conversation": conversation_id})
            ).first()
            if challenge is None or now > challenge.expires_at:
                await limits.give_back(session, taken)  # nothing to guess at: not a guess
                if challenge is None:
                    return CodeCheck(Outcome.NO_CODE_PENDING)
                await session.execute(_USED, {"challenge": challenge.id, "now": now})
                return CodeCheck(Outcome.EXPIRED)
            references = tuple(challenge.references.split())
            shared = sorted([subject("guess:application", r) for r in references] + ["guess:total"])
            spent = False
            for name in shared:
                limit = (
                    settings.wrong_codes_total
                    if name == "guess:total"
                    else settings.wrong_codes_per_application
                )
                if (await limits.take(session, name, limit=limit, window=window, now=now)).allowed:
                    taken.append(name)
                else:
                    spent = True
            matches = hmac.compare_digest(
                challenge.code_hash, self._hash(conversation_id, code.strip())
            )
            if matches and references and challenge.email:
                taken.remove(conversation)
                await limits.reset(session, conversation)
                await limits.give_back(session, taken)  # a right code is no failure
                if spent and challenge.confirmed_at is None:
                    return CodeCheck(Outcome.CONFIRM_BY_LINK)
                await session.execute(_USED, {"challenge": challenge.id, "now": now})
                await self.proofs.add(
                    session,
                    conversation_id,
                    challenge.channel or "",
                    references,
                    challenge.email,
                    client,
                )
                return CodeCheck(Outcome.VERIFIED, references, challenge.email)
            failures = await limits.counts(session, limit_of)
            for name, limit in limit_of.items():
                if failures[name] >= limit:
                    until = now + window
                    await limits.block(session, name, until)
                    await session.execute(_WRONG, {"challenge": challenge.id, "used_up_at": now})
                    return CodeCheck(Outcome.LOCKED, locked_until=until)
            await session.execute(_WRONG, {"challenge": challenge.id, "used_up_at": None})
            left = max(0, settings.max_failed_attempts - failures[conversation])
            return CodeCheck(Outcome.WRONG_CODE, attempts_left=left)

    async def link_language(self, token: str) -> str | None:
        """The language of the mail a link is in, while it can still be opened; else None."""
        async with self.store.session() as session:
            language: str | None = await session.scalar(
                select(VerificationChallenge.language).where(
                    VerificationChallenge.link_hash == self._link_hash(token.strip()),
                    VerificationChallenge.used_at.is_(None),
                    VerificationChallenge.expires_at > self.clock(),
                )
            )
            return language

    async def confirm_link(self, token: str) -> str | None:
        """Open a code mail's link: its code then counts even while its application is being
        guessed at. Returns the mail's language, or None when the link is unknown, used or
        expired."""
        now = self.clock()
        link_hash = self._link_hash(token.strip())
        async with self.store.session() as session, session.begin():
            opened = await session.execute(
                update(VerificationChallenge)
                .where(
                    VerificationChallenge.link_hash == link_hash,
                    VerificationChallenge.used_at.is_(None),
                    VerificationChallenge.expires_at > now,
                )
                .values(confirmed_at=now)
                .execution_options(synchronize_session=False)
            )
            if opened.rowcount != 1:
                return None
            return (
                await session.scalar(
                    select(VerificationChallenge.language).where(
                        VerificationChallenge.link_hash == link_hash
                    )
                )
                or "en"
            )

    async def proven(self, conversation_id: str, channel: str, client: str) -> Proven:
        """What this conversation has proven with a code and still holds."""
        return await self.proofs.current(conversation_id, channel, client)

    async def forget(self, conversation_id: str) -> None:
        """The applicant ended the chat or cleared it: its proofs end and its codes stop
        working, whatever is typed next."""
        async with self.store.session() as session, session.begin():
            await _void_pending(session, conversation_id, self.clock())
            await self.proofs.end(session, conversation_id)


async def _void_pending(session: Statements, conversation_id: str, now: datetime) -> None:
    """The conversation's codes not used yet stop working."""
    await session.execute(_VOID_PENDING, {"of_conversation": conversation_id, "now": now})
