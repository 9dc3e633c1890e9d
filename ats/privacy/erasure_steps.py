"""The erasure's steps, table by table, each a function of the caller's session: what the
eraser (`ats.privacy.erasure`) runs for an applicant or applications, and the purge of
conversations that never verified (`ats.privacy.retention`) shares.

`Erased` says what one erasure removed; counts only go into the audit log and the metrics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.db import dialect_insert
from ats.feedback import forget_conversations as forget_feedback
from ats.metrics import ERASED
from ats.models import (
    ApplicantConversation,
    AuditEntry,
    Candidate,
    ConversationProof,
    ErasureAnnouncement,
    ErasureTombstone,
    Escalation,
    EscalationMessage,
    LinkedChat,
    LinkToken,
    Lockout,
    OutgoingMail,
    RateCounter,
    SpooledWork,
    StatusEvent,
    TrackerErasure,
    UndeliveredMessage,
    VerificationChallenge,
    WhatsAppSent,
    WhatsAppWindow,
)
from ats.review import forget_review_messages

CHUNK = 500
ERASED_SUBJECT = "(erased)"


@dataclass(frozen=True)
class Erased:
    """What one erasure removed; the conversations and references only until announced."""

    applications: int = 0
    applicants: int = 0
    escalations: int = 0
    conversations: tuple[tuple[str, str], ...] = ()
    references: tuple[str, ...] = ()
    mail_ids: tuple[int, ...] = field(default=(), repr=False)
    # what the outbox files may still say (names, addresses, references), to find them by
    needles: tuple[str, ...] = field(default=(), repr=False)
    # applicants with an application still kept (looked at again: see erase_applications)
    kept_applicants: tuple[int, ...] = field(default=(), repr=False)

    def __add__(self, other: Erased) -> Erased:
        return Erased(
            self.applications + other.applications,
            self.applicants + other.applicants,
            self.escalations + other.escalations,
            self.conversations + other.conversations,
            self.references + other.references,
            self.mail_ids + other.mail_ids,
            self.needles + other.needles,
            self.kept_applicants + other.kept_applicants,
        )

    def describe(self) -> str:
        """Counts only: this goes into the audit log and the logs."""
        return (
            f"{self.applications} application(s), {self.applicants} applicant(s), "
            f"{self.escalations} escalation(s), {len(self.conversations)} conversation(s)"
        )


@dataclass
class Applicants:
    """The applicants being removed entirely in one erasure."""

    ids: list[int]
    emails: list[str]
    names: list[str]


async def erase_mails(
    session: AsyncSession, emails: list[str], escalations: list[int]
) -> list[int]:
    """Mails to the applicants go; mails about them (to recruiters) lose what they said,
    and go too when still unsent."""
    mail_ids: set[int] = set()
    for chunk in chunks(emails):
        found = list(
            await session.scalars(select(OutgoingMail.id).where(OutgoingMail.to_address.in_(chunk)))
        )
        await delete_mails(session, found)
        mail_ids.update(found)
    mail_ids.update(await erase_escalation_mails(session, escalations))
    return sorted(mail_ids)


async def erase_history(session: AsyncSession, rows: list[Any]) -> None:
    """Status changes keep who in the company made them, not the applicant's name."""
    for chunk in chunks(rows):
        ids = [row.id for row in chunk]
        await session.execute(
            update(StatusEvent)
            .where(StatusEvent.application_id.in_(ids))
            .values(note=None)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(StatusEvent)
            .where(
                StatusEvent.application_id.in_(ids),
                StatusEvent.actor.in_(sorted({row.name for row in chunk})),
            )
            .values(actor="applicant")
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.subject.in_([row.reference for row in chunk]))
            .values(subject=None)
            .execution_options(synchronize_session=False)
        )


async def erase_keys(
    session: AsyncSession,
    gone: Applicants,
    sender_ids: list[str],
    references: list[str],
) -> None:
    for chunk in chunks(gone.emails):
        await session.execute(delete(ConversationProof).where(ConversationProof.email.in_(chunk)))
        await session.execute(
            delete(VerificationChallenge).where(VerificationChallenge.email.in_(chunk))
        )
    for chunk in chunks(sender_ids):
        await session.execute(
            delete(ConversationProof).where(ConversationProof.conversation_id.in_(chunk))
        )
        await session.execute(
            delete(VerificationChallenge).where(VerificationChallenge.conversation_id.in_(chunk))
        )
        await session.execute(
            delete(UndeliveredMessage).where(UndeliveredMessage.recipient_id.in_(chunk))
        )
        await session.execute(delete(WhatsAppSent).where(WhatsAppSent.recipient_id.in_(chunk)))
        await session.execute(
            delete(WhatsAppWindow).where(WhatsAppWindow.conversation_id.in_(chunk))
        )
        await forget_feedback(session, chunk)
    for chunk in chunks(references):
        await session.execute(
            delete(ConversationProof).where(ConversationProof.reference.in_(chunk))
        )


async def erase_mentions(session: AsyncSession, partly: list[Any]) -> None:
    """An applicant kept for another application: the codes and mails to them that named
    the erased one go (found by their address, then by the reference)."""
    for row in partly:
        await session.execute(
            delete(VerificationChallenge)
            .where(
                VerificationChallenge.email == row.email,
                VerificationChallenge.references.contains(row.reference),
            )
            .execution_options(synchronize_session=False)
        )
        naming = and_(
            OutgoingMail.to_address == row.email, OutgoingMail.subject.contains(row.reference)
        )
        await session.execute(
            delete(OutgoingMail)
            .where(naming, OutgoingMail.sent_at.is_(None))
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(OutgoingMail)
            .where(naming)
            .values(subject=ERASED_SUBJECT, body="", attachments=None)
            .execution_options(synchronize_session=False)
        )


async def erase_counters(session: AsyncSession, values: list[str]) -> None:
    """Counters and locks are named "<kind>:<value>…", the value an address, a
    conversation or a reference."""
    for model in (Lockout, RateCounter):
        for chunk in chunks(values, 50):
            await session.execute(
                delete(model)
                .where(or_(*(model.subject.like(f"%:{like(v)}%", escape="\\") for v in chunk)))
                .execution_options(synchronize_session=False)
            )


async def remove_applicants(session: AsyncSession, gone: Applicants) -> None:
    for chunk in chunks(gone.ids):
        for model in (ApplicantConversation, LinkedChat, LinkToken):
            await session.execute(delete(model).where(model.candidate_id.in_(chunk)))
        await session.execute(delete(Candidate).where(Candidate.id.in_(chunk)))


async def tombstone(
    session: AsyncSession, keys: list[str], scope: str, reason: str, now: datetime
) -> None:
    rows = [
        {"key_hash": key, "scope": scope, "reason": reason, "erased_at": now}
        for key in sorted(set(keys))
    ]
    for chunk in chunks(rows):
        await session.execute(
            dialect_insert(session.bind)(ErasureTombstone)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["key_hash"])
        )


# -- shared with the purge of conversations that never verified ------------------------------


def count_erased(erased: Erased, reason: str) -> None:
    for what, number in (
        ("applications", erased.applications),
        ("applicants", erased.applicants),
        ("escalations", erased.escalations),
        ("conversations", len(erased.conversations)),
    ):
        if number:
            ERASED.labels(what, reason).inc(number)


async def erase_escalations(session: AsyncSession, ids: list[int], now: datetime) -> None:
    """Escalations keep their dates, reason, state and recruiter (the dashboard's figures stay
    the same); they lose whom and what."""
    for chunk in chunks(ids):
        # the thread (what was said either way, and notes about them) goes whole
        await session.execute(
            delete(EscalationMessage)
            .where(EscalationMessage.escalation_id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(Escalation)
            .where(Escalation.id.in_(chunk))
            .values(
                given_reference=None,
                applicant_name=None,
                applicant_email=None,
                vacancy_hint=None,
                summary=None,
                conversation_id=None,
                client=None,
                erased_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.subject.in_([f"escalation {i}" for i in chunk]))
            .values(detail=None)
            .execution_options(synchronize_session=False)
        )


async def erase_escalation_mails(session: AsyncSession, escalations: list[int]) -> list[int]:
    """The mails about these escalations: unsent ones deleted, sent ones left with no subject;
    returns their ids (their outbox files go too)."""
    ids: list[int] = []
    for chunk in chunks(escalations):
        about = (
            await session.execute(
                select(OutgoingMail.id, OutgoingMail.sent_at).where(
                    OutgoingMail.escalation_id.in_(chunk)
                )
            )
        ).all()
        await delete_mails(session, [row.id for row in about if row.sent_at is None])
        sent = [row.id for row in about if row.sent_at is not None]
        for part in chunks(sent):
            await session.execute(
                update(OutgoingMail)
                .where(OutgoingMail.id.in_(part))
                .values(subject=ERASED_SUBJECT, body="", attachments=None)
                .execution_options(synchronize_session=False)
            )
        ids.extend(row.id for row in about)
    return ids


async def delete_mails(session: AsyncSession, ids: list[int]) -> None:
    for chunk in chunks(ids):
        # an escalation's digest mark may name one of them: it is only a number
        await session.execute(
            delete(OutgoingMail)
            .where(OutgoingMail.id.in_(chunk))
            .execution_options(synchronize_session=False)
        )


async def request_tracker_erasures(
    session: AsyncSession, hashes: Iterable[str], now: datetime
) -> None:
    erased = sorted(set(hashes))
    rows = [{"conversation_hash": h, "requested_at": now} for h in erased]
    # the review inbox keeps their masked messages: the text goes, the figures stay
    await forget_review_messages(session, erased, now)
    for chunk in chunks(rows):
        # what the Rasa servers spooled for them in this database goes now (server/shared_spool)
        await session.execute(
            delete(SpooledWork)
            .where(SpooledWork.conversation_hash.in_([row["conversation_hash"] for row in chunk]))
            .execution_options(synchronize_session=False)
        )
        statement = dialect_insert(session.bind)(TrackerErasure).values(chunk)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["conversation_hash"], set_={"requested_at": now}
            )
        )


async def announce(
    session: AsyncSession,
    reason: str,
    now: datetime,
    *,
    sender_ids: list[str],
    references: list[str],
) -> None:
    """Queue the erasure event for the event broker (published by ats.privacy.announcements)."""
    if not sender_ids and not references:
        return
    payload = {
        "event": "erasure",
        "reason": reason,
        "timestamp": now.timestamp(),
        "sender_ids": sorted(set(sender_ids)),
        "references": sorted(set(references)),
    }
    session.add(ErasureAnnouncement(payload=json.dumps(payload), created_at=now))


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
