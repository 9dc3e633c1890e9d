"""What the help desk holds about one applicant, for their access request: applications as the
ATS told it with their status history, escalations, mails sent, linked chats, consent and the
conversations themselves. Machine-readable as JSON here; the readable document is written in
the applicant's language by `speech.data_export`.

Only rows tied to this applicant by the database (their candidate row, their applications,
their address, their proven or linked conversations) are read, so nobody else's data can slip
in: an escalation raised by someone else who merely typed their name is not theirs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from ats.models import (
    ApplicantConversation,
    Application,
    Candidate,
    Escalation,
    EscalationMessage,
    LinkedChat,
    OutgoingMail,
    Recruiter,
    StatusEvent,
    Vacancy,
)
from ats.privacy.trackers import ConversationLine, TrackerEvents
from ats.store import ATSStore
from ats.store_basics import normalise_email, utcnow


@dataclass(frozen=True)
class ConsentRecord:
    given_at: datetime
    source: str
    wording: str


@dataclass(frozen=True)
class ExportedStatusEvent:
    occurred_at: datetime
    from_status: str | None
    to_status: str
    stage: str | None
    source: str
    note: str | None


@dataclass(frozen=True)
class ExportedApplication:
    reference: str
    vacancy_code: str
    vacancy_title: str
    recruiter: str
    applied_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None
    status: str
    stage: str | None
    next_update_due_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    ats_system: str | None
    history: list[ExportedStatusEvent] = field(default_factory=list)


@dataclass(frozen=True)
class ExportedMessage:
    """One message of an escalation's thread: the applicant's, a recruiter's reply, or a
    recruiters' internal note about them (personal data too, so part of an access request)."""

    at: datetime
    kind: str
    channel: str | None
    text: str


@dataclass(frozen=True)
class ExportedEscalation:
    id: int
    reason: str
    state: str
    created_at: datetime
    resolved_at: datetime | None
    channel: str | None
    summary: str | None
    recruiter: str
    messages: list[ExportedMessage] = field(default_factory=list)


@dataclass(frozen=True)
class ExportedMail:
    created_at: datetime
    sent_at: datetime | None
    subject: str
    purpose: str


@dataclass(frozen=True)
class ExportedConversation:
    channel: str
    conversation_id: str
    messages: list[ConversationLine] = field(default_factory=list)


@dataclass(frozen=True)
class ApplicantExport:
    """Everything held about one applicant."""

    generated_at: datetime
    name: str
    email: str
    phone: str | None
    language: str
    consent: ConsentRecord | None
    applications: list[ExportedApplication]
    escalations: list[ExportedEscalation]
    mails: list[ExportedMail]
    conversations: list[ExportedConversation]
    linked_chats: list[tuple[str, datetime]]

    def to_json(self) -> str:
        return json.dumps(asdict(self), default=_json_value, indent=2, ensure_ascii=False)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not exported")


async def export_applicant(
    store: ATSStore,
    email: str,
    trackers: TrackerEvents | None = None,
    known_conversations: Mapping[str, Sequence[ConversationLine]] | None = None,
) -> ApplicantExport | None:
    """The export of the applicant with this address on file; None when there is none.

    The conversations' messages come from the SQL tracker store when `trackers` is given, and
    from `known_conversations` (sender id -> messages) for those the caller holds itself (the
    conversation asking, whose events an action has in hand)."""
    address = normalise_email(email)
    known = known_conversations or {}
    async with store.session() as session:
        candidate = await session.scalar(select(Candidate).where(Candidate.email == address))
        if candidate is None:
            return None
        applications = (
            await session.execute(
                select(Application, Vacancy, Recruiter)
                .join(Vacancy, Vacancy.id == Application.vacancy_id)
                .join(Recruiter, Recruiter.id == Vacancy.recruiter_id)
                .where(Application.candidate_id == candidate.id)
                .order_by(Application.applied_at)
            )
        ).all()
        ids = [application.id for application, _v, _r in applications]
        history: dict[int, list[ExportedStatusEvent]] = {i: [] for i in ids}
        for event in await session.scalars(
            select(StatusEvent)
            .where(StatusEvent.application_id.in_(ids))
            .order_by(StatusEvent.occurred_at, StatusEvent.id)
        ):
            history[event.application_id].append(
                ExportedStatusEvent(
                    event.occurred_at,
                    event.from_status,
                    event.to_status,
                    event.stage,
                    event.source,
                    event.note,
                )
            )
        conversations = sorted(
            {
                (row.channel, row.conversation_id)
                for row in await session.execute(
                    select(
                        ApplicantConversation.channel, ApplicantConversation.conversation_id
                    ).where(ApplicantConversation.candidate_id == candidate.id)
                )
            }
            | {
                (row.channel, row.chat_id)
                for row in await session.execute(
                    select(LinkedChat.channel, LinkedChat.chat_id).where(
                        LinkedChat.candidate_id == candidate.id
                    )
                )
            }
        )
        escalations = (
            await session.execute(
                select(Escalation, Recruiter.name)
                .join(Recruiter, Recruiter.id == Escalation.recruiter_id)
                .where(
                    or_(
                        Escalation.application_id.in_(ids),
                        # their own requests before they verified, made in their conversations
                        Escalation.conversation_id.in_([c for _ch, c in conversations]),
                    )
                )
                .order_by(Escalation.created_at)
            )
        ).all()
        thread: dict[int, list[ExportedMessage]] = {e.id: [] for e, _name in escalations}
        for message in await session.scalars(
            select(EscalationMessage)
            .where(EscalationMessage.escalation_id.in_(list(thread)))
            .order_by(EscalationMessage.at, EscalationMessage.id)
        ):
            thread[message.escalation_id].append(
                ExportedMessage(message.at, message.kind, message.channel, message.text)
            )
        mails = await session.scalars(
            select(OutgoingMail)
            .where(OutgoingMail.to_address == address)
            .order_by(OutgoingMail.created_at)
        )
        linked = (
            await session.execute(
                select(LinkedChat.channel, LinkedChat.linked_at).where(
                    LinkedChat.candidate_id == candidate.id
                )
            )
        ).all()
        export_mails = [
            ExportedMail(mail.created_at, mail.sent_at, mail.subject, mail.purpose)
            for mail in mails
        ]
    exported_conversations = []
    for channel, sender in conversations:
        messages = list(known.get(sender, ()))
        if not messages and trackers is not None:
            messages = await trackers.conversation(sender)
        exported_conversations.append(ExportedConversation(channel, sender, messages))
    return ApplicantExport(
        generated_at=utcnow(),
        name=candidate.name,
        email=candidate.email,
        phone=candidate.phone,
        language=candidate.language,
        consent=ConsentRecord(
            candidate.consent_given_at,
            candidate.consent_source or "",
            candidate.consent_wording or "",
        )
        if candidate.consent_given_at
        else None,
        applications=[
            ExportedApplication(
                reference=application.reference,
                vacancy_code=vacancy.code,
                vacancy_title=vacancy.title,
                recruiter=recruiter.name,
                applied_at=application.applied_at,
                ack_due_at=application.ack_due_at,
                acknowledged_at=application.acknowledged_at,
                status=application.status,
                stage=application.stage,
                next_update_due_at=application.next_update_due_at,
                closed_at=application.closed_at,
                close_reason=application.close_reason,
                ats_system=application.ats_system,
                history=history[application.id],
            )
            for application, vacancy, recruiter in applications
        ],
        escalations=[
            ExportedEscalation(
                escalation.id,
                escalation.reason,
                escalation.state,
                escalation.created_at,
                escalation.resolved_at,
                escalation.channel,
                escalation.summary,
                recruiter_name,
                thread[escalation.id],
            )
            for escalation, recruiter_name in escalations
        ],
        mails=export_mails,
        conversations=exported_conversations,
        linked_chats=[(row.channel, row.linked_at) for row in linked],
    )
