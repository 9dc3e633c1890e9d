"""Plain, immutable records that cross the ATS store's boundary.

Callers (actions, channels, the command line) get these instead of ORM objects, so nothing
lazy-loads outside a session and nothing can be changed behind the store's back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Row

from ats.models import (
    CLOSED_STATUSES,
    Escalation,
    EscalationReason,
    EscalationState,
    Recruiter,
    Status,
    StatusEvent,
)


@dataclass(frozen=True)
class RecruiterRecord:
    name: str
    email: str

    @classmethod
    def of(cls, row: Recruiter) -> RecruiterRecord:
        return cls(name=row.name, email=row.email)

    @property
    def shown_name(self) -> str | None:
        """The name to tell applicants, None while the recruiter has given none (see
        real_name)."""
        return real_name(self.name, self.email)


def real_name(name: str | None, email: str) -> str | None:
    """The recruiter's name when they (or the ATS) gave one, else None: an account made
    without --name holds its address (older ones the address's local part, "you" for
    you@example.com), which must not be shown to applicants as a name."""
    name = (name or "").strip()
    local = email.split("@")[0]
    if not name or "@" in name or name.casefold() == local.casefold():
        return None
    return name


@dataclass(frozen=True)
class CandidateRecord:
    name: str
    email: str
    language: str
    phone: str | None = None


@dataclass(frozen=True)
class VacancyRecord:
    code: str
    title: str
    recruiter: RecruiterRecord
    ack_working_days: int
    process_description: str | None = None


@dataclass(frozen=True)
class ApplicationRecord:
    reference: str
    candidate: CandidateRecord
    vacancy: VacancyRecord
    applied_at: datetime
    ack_due_at: datetime
    acknowledged_at: datetime | None
    status: Status
    stage: str | None
    next_update_due_at: datetime | None
    close_reason: str | None
    ats_system: str | None
    ats_id: str | None

    @property
    def recruiter(self) -> RecruiterRecord:
        return self.vacancy.recruiter

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    def is_ack_overdue(self, now: datetime) -> bool:
        """The employer promised an acknowledgement by ack_due_at and has not given one."""
        return not self.is_closed and self.acknowledged_at is None and now > self.ack_due_at

    def is_update_overdue(self, now: datetime) -> bool:
        """The employer promised the next update by next_update_due_at and has not given it."""
        return (
            not self.is_closed
            and self.next_update_due_at is not None
            and now > self.next_update_due_at
        )

    def overdue_reason(self, now: datetime) -> EscalationReason | None:
        if self.is_ack_overdue(now):
            return EscalationReason.ACK_OVERDUE
        if self.is_update_overdue(now):
            return EscalationReason.UPDATE_OVERDUE
        return None

    @classmethod
    def from_row(cls, row: Row) -> ApplicationRecord:
        """From a row of `store.application_query()`: one flat join, no ORM objects."""
        return cls(
            reference=row.reference,
            candidate=CandidateRecord(
                name=row.candidate_name,
                email=row.candidate_email,
                language=row.candidate_language,
                phone=row.candidate_phone,
            ),
            vacancy=VacancyRecord(
                code=row.vacancy_code,
                title=row.vacancy_title,
                recruiter=RecruiterRecord(name=row.recruiter_name, email=row.recruiter_email),
                ack_working_days=row.ack_working_days,
                process_description=row.process_description,
            ),
            applied_at=row.applied_at,
            ack_due_at=row.ack_due_at,
            acknowledged_at=row.acknowledged_at,
            status=Status(row.status),
            stage=row.stage,
            next_update_due_at=row.next_update_due_at,
            close_reason=row.close_reason,
            ats_system=row.ats_system,
            ats_id=row.ats_id,
        )


@dataclass(frozen=True)
class StatusEventRecord:
    occurred_at: datetime
    actor: str
    source: str
    from_status: Status | None
    to_status: Status
    stage: str | None
    note: str | None

    @classmethod
    def of(cls, row: StatusEvent) -> StatusEventRecord:
        return cls(
            occurred_at=row.occurred_at,
            actor=row.actor,
            source=row.source,
            from_status=Status(row.from_status) if row.from_status else None,
            to_status=Status(row.to_status),
            stage=row.stage,
            note=row.note,
        )


@dataclass(frozen=True)
class OverdueApplication:
    application: ApplicationRecord
    reason: EscalationReason
    due_at: datetime


@dataclass(frozen=True)
class EscalationRequest:
    """What a caller knows when it hands an applicant to a person."""

    reason: EscalationReason
    respond_by: datetime
    application_reference: str | None = None
    # Defaults to the vacancy's recruiter; required when there is no application.
    recruiter_email: str | None = None
    applicant_name: str | None = None
    applicant_email: str | None = None
    vacancy_hint: str | None = None
    channel: str | None = None
    conversation_id: str | None = None
    summary: str | None = None
    # a keyed hash of the client asking, to bound and collapse unverified requests
    client: str | None = None
    # a privacy request's kind, when known: "access" or "erasure"
    privacy_kind: str | None = None
    # a reference an unverified applicant typed: kept as given, never looked up for them
    given_reference: str | None = None


@dataclass(frozen=True)
class EscalationRecord:
    id: int
    reason: EscalationReason
    state: EscalationState
    recruiter: RecruiterRecord
    respond_by: datetime
    created_at: datetime
    application_reference: str | None
    applicant_name: str | None
    applicant_email: str | None
    channel: str | None
    conversation_id: str | None
    # raised for an application its applicant had proven (or by the deadline monitor); False:
    # for someone who had not, with only what they typed
    verified: bool = False
    # what an unverified applicant typed: a reference (not verified) and the vacancy they named
    given_reference: str | None = None
    vacancy_hint: str | None = None
    summary: str | None = None

    @classmethod
    def of(cls, row: Escalation) -> EscalationRecord:
        return cls(
            id=row.id,
            reason=EscalationReason(row.reason),
            state=EscalationState(row.state),
            recruiter=RecruiterRecord.of(row.recruiter),
            respond_by=row.respond_by,
            created_at=row.created_at,
            application_reference=row.application.reference if row.application else None,
            applicant_name=row.applicant_name,
            applicant_email=row.applicant_email,
            channel=row.channel,
            conversation_id=row.conversation_id,
            verified=bool(row.verified),
            given_reference=row.given_reference,
            vacancy_hint=row.vacancy_hint,
            summary=row.summary,
        )


@dataclass(frozen=True)
class Attachment:
    """A file sent with a mail (an applicant's data export)."""

    filename: str
    content_type: str
    content: str


@dataclass(frozen=True)
class Mail:
    """An email to send; queued in the database before anything is sent."""

    to: str
    subject: str
    body: str
    purpose: str
    attachments: tuple[Attachment, ...] = ()
    sender_name: str | None = None  # a person who wrote it (a recruiter's reply)
