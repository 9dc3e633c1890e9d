"""SQLAlchemy models of the ATS vocabulary in DESIGN.md: who applied for what, and where it stands.

Times are stored in UTC (`UTCDateTime`), whatever the database: SQLite keeps no offsets and
PostgreSQL's timestamptz returns the session's zone, so both are normalised on the way in and out.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

UTC = timezone.utc


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Status(str, enum.Enum):
    APPLIED = "applied"
    ACKNOWLEDGED = "acknowledged"
    SCREENING = "screening"
    INTERVIEW = "interview"
    OFFER = "offer"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    ON_HOLD = "on_hold"


CLOSED_STATUSES = frozenset({Status.HIRED, Status.REJECTED, Status.WITHDRAWN})
CLOSED_VALUES = frozenset(s.value for s in CLOSED_STATUSES)
STATUS_VALUES = tuple(s.value for s in Status)
_CLOSED_SQL = ", ".join(f"'{s.value}'" for s in sorted(CLOSED_STATUSES))
# Queries that should use the partial indexes below repeat their predicate with literal values:
# neither SQLite nor a generic PostgreSQL plan can match a partial index on bound parameters.
OPEN_APPLICATION_SQL = f"applications.status NOT IN ({_CLOSED_SQL})"
CLOSED_UNERASED_SQL = f"applications.erased_at IS NULL AND applications.status IN ({_CLOSED_SQL})"


class EscalationReason(str, enum.Enum):
    ACK_OVERDUE = "ack_overdue"
    UPDATE_OVERDUE = "update_overdue"
    APPLICANT_REQUEST = "applicant_request"
    WITHDRAWAL = "withdrawal"
    PRIVACY_REQUEST = "privacy_request"
    UNKNOWN_APPLICANT = "unknown_applicant"


class EscalationState(str, enum.Enum):
    OPEN = "open"
    CLAIMED = "claimed"
    RESOLVED = "resolved"


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)
# Any: SQLAlchemy 1.4 has no types, and mypy cannot use a variable as a base class.
Base: Any = declarative_base(metadata=metadata)


class Recruiter(Base):
    __tablename__ = "recruiters"

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    email = Column(String(320), nullable=False, unique=True)  # stored lower-case

    def __repr__(self) -> str:
        return f"<Recruiter {self.name}>"


class Vacancy(Base):
    __tablename__ = "vacancies"

    id = Column(Integer, primary_key=True)
    code = Column(String(100), nullable=False, unique=True)
    title = Column(String(300), nullable=False)
    recruiter_id = Column(ForeignKey("recruiters.id"), nullable=False, index=True)
    backup_recruiter_id = Column(ForeignKey("recruiters.id"), nullable=True)
    ack_working_days = Column(Integer, nullable=False, default=5)
    process_description = Column(Text, nullable=True)

    recruiter = relationship(Recruiter, foreign_keys=[recruiter_id], lazy="joined")
    backup_recruiter = relationship(Recruiter, foreign_keys=[backup_recruiter_id])


class Candidate(Base):
    __tablename__ = "candidates"

    id = Column(Integer, primary_key=True)
    name = Column(String(200), nullable=False)
    email = Column(String(320), nullable=False, unique=True)  # stored lower-case
    phone = Column(String(50), nullable=True)
    language = Column(String(8), nullable=False, default="en")
    # Consent to keep the data for the longer period (HELPDESK_CONSENT_RETENTION_MONTHS): when,
    # where it came from ("ats" on import or sync, "conversation") and the words agreed to.
    consent_given_at = Column(UTCDateTime, nullable=True)
    consent_source = Column(String(30), nullable=True)
    consent_wording = Column(Text, nullable=True)
    # Set when an applicant who asked to be erased comes back in an import or sync because the
    # ATS still holds an application of theirs as active: the desk says so.
    erasure_requested_at = Column(UTCDateTime, nullable=True)


class Application(Base):
    __tablename__ = "applications"

    id = Column(Integer, primary_key=True)
    # Both None once the applicant's data is erased (ats/privacy): the row then stays only as
    # an anonymous figure for the dashboard (dates, status, vacancy, recruiter).
    reference = Column(String(12), nullable=True, unique=True)
    candidate_id = Column(ForeignKey("candidates.id"), nullable=True, index=True)
    vacancy_id = Column(ForeignKey("vacancies.id"), nullable=False, index=True)
    applied_at = Column(UTCDateTime, nullable=False)
    ack_due_at = Column(UTCDateTime, nullable=False)
    acknowledged_at = Column(UTCDateTime, nullable=True)
    status = Column(String(20), nullable=False, default=Status.APPLIED.value)
    stage = Column(String(200), nullable=True)
    next_update_due_at = Column(UTCDateTime, nullable=True)
    close_reason = Column(String(300), nullable=True)
    ats_system = Column(String(50), nullable=True)
    ats_id = Column(String(100), nullable=True)
    created_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)
    # when the deadline monitor sent the applicant a receipt (HELPDESK_SEND_RECEIPTS)
    receipt_sent_at = Column(UTCDateTime, nullable=True)
    # the time of the newest ATS event applied (webhooks): an older one arriving late is stale
    ats_event_at = Column(UTCDateTime, nullable=True)
    # when it last became hired, rejected or withdrawn: the retention period runs from here
    closed_at = Column(UTCDateTime, nullable=True)
    # when the applicant's data was erased (after the retention period, or on request)
    erased_at = Column(UTCDateTime, nullable=True)

    candidate = relationship(Candidate, lazy="joined")
    vacancy = relationship(Vacancy, lazy="joined")
    events = relationship(
        "StatusEvent", order_by="StatusEvent.id", back_populates="application", lazy="noload"
    )

    __table_args__ = (
        UniqueConstraint("ats_system", "ats_id"),
        # recent applications, for receipts and the dashboard's weeks
        Index("ix_applications_applied_at", "applied_at"),
        # The deadline monitor's two questions, each answered from a partial index that holds
        # only the rows it could ever return.
        Index(
            "ix_applications_unacknowledged_ack_due_at",
            "ack_due_at",
            sqlite_where=text(f"acknowledged_at IS NULL AND status NOT IN ({_CLOSED_SQL})"),
            postgresql_where=text(f"acknowledged_at IS NULL AND status NOT IN ({_CLOSED_SQL})"),
        ),
        Index(
            "ix_applications_open_next_update_due_at",
            "next_update_due_at",
            sqlite_where=text(f"next_update_due_at IS NOT NULL AND status NOT IN ({_CLOSED_SQL})"),
            postgresql_where=text(
                f"next_update_due_at IS NOT NULL AND status NOT IN ({_CLOSED_SQL})"
            ),
        ),
        # The retention purge's question: closed applications not yet erased, by closing date.
        Index(
            "ix_applications_closed_unerased_closed_at",
            "closed_at",
            sqlite_where=text(f"erased_at IS NULL AND status IN ({_CLOSED_SQL})"),
            postgresql_where=text(f"erased_at IS NULL AND status IN ({_CLOSED_SQL})"),
        ),
    )

    @property
    def is_closed(self) -> bool:
        return self.status in {s.value for s in CLOSED_STATUSES}


class StatusEvent(Base):
    """One status change of an application: who, when, from, to."""

    __tablename__ = "status_events"

    id = Column(Integer, primary_key=True)
    application_id = Column(ForeignKey("applications.id"), nullable=False, index=True)
    occurred_at = Column(UTCDateTime, nullable=False)
    actor = Column(String(200), nullable=False)
    source = Column(String(50), nullable=False)
    from_status = Column(String(20), nullable=True)
    to_status = Column(String(20), nullable=False)
    stage = Column(String(200), nullable=True)
    note = Column(Text, nullable=True)

    application = relationship(Application, back_populates="events")


class Escalation(Base):
    """An applicant handed to a human: why, for which application, who has it, and by when."""

    __tablename__ = "escalations"

    id = Column(Integer, primary_key=True)
    # indexed, like the address and conversation below: an erasure finds them by each
    application_id = Column(ForeignKey("applications.id"), nullable=True, index=True)
    # An applicant the ATS does not know is escalated with the details they gave.
    applicant_name = Column(String(200), nullable=True)
    applicant_email = Column(String(320), nullable=True, index=True)
    vacancy_hint = Column(String(300), nullable=True)
    reason = Column(String(30), nullable=False)
    channel = Column(String(50), nullable=True)
    conversation_id = Column(String(200), nullable=True, index=True)
    recruiter_id = Column(ForeignKey("recruiters.id"), nullable=False, index=True)
    state = Column(String(20), nullable=False, default=EscalationState.OPEN.value)
    respond_by = Column(UTCDateTime, nullable=False)
    summary = Column(Text, nullable=True)
    created_at = Column(UTCDateTime, nullable=False)
    claimed_at = Column(UTCDateTime, nullable=True)
    # The recruiter working it in the desk; only one can claim it.
    claimed_by_id = Column(ForeignKey("recruiters.id"), nullable=True)
    # Raised by the deadline monitor (not by the applicant): it tells the applicant and puts
    # it in the recruiter's digest, each exactly once; these record that it did.
    raised_by_sweep = Column(Boolean, nullable=False, default=False, server_default=false())
    # who has it since nobody took it in time (monitor/chain.py): 1 the first recruiter, 2 a
    # second person (the vacancy's backup recruiter or the team lead), 3 the desk's admins
    level = Column(Integer, nullable=False, default=1, server_default=text("1"))
    applicant_notified_at = Column(UTCDateTime, nullable=True)
    notice_claimed_until = Column(UTCDateTime, nullable=True)
    # the digest mail that listed it (an outgoing_mail id; no foreign key, which would make a
    # cycle with outgoing_mail.escalation_id)
    digest_mail_id = Column(Integer, nullable=True)
    resolved_at = Column(UTCDateTime, nullable=True)
    # False: raised by someone who had not proven who they are; it then carries no
    # application, and its name and address are only what was typed.
    verified = Column(Boolean, nullable=False, default=False, server_default=false())
    # A keyed hash of the client that asked (its address, or its chat), to bound and collapse
    # the requests of one client; never the address itself.
    client = Column(String(64), nullable=True)
    # "access" or "erasure" for a privacy request whose kind is known
    privacy_kind = Column(String(20), nullable=True)
    # a reference the applicant typed without proving it (unverified: shown as given, used to
    # route to the vacancy's recruiter, never to disclose anything)
    given_reference = Column(String(12), nullable=True)
    # when the applicant's details were erased from it (it stays as an anonymous figure)
    erased_at = Column(UTCDateTime, nullable=True)

    application = relationship(Application, lazy="joined")
    recruiter = relationship(Recruiter, lazy="joined", foreign_keys=[recruiter_id])

    __table_args__ = (
        # At most one unresolved escalation per application and reason, enforced by the database
        # so that concurrent conversations and sweepers cannot both open one.
        Index(
            "uq_escalations_open_application_reason",
            "application_id",
            "reason",
            unique=True,
            sqlite_where=text("state <> 'resolved' AND application_id IS NOT NULL"),
            postgresql_where=text("state <> 'resolved' AND application_id IS NOT NULL"),
        ),
        Index(
            "ix_escalations_sweep_pending",
            "recruiter_id",
            sqlite_where=text(
                "raised_by_sweep AND (applicant_notified_at IS NULL OR digest_mail_id IS NULL)"
            ),
            postgresql_where=text(
                "raised_by_sweep AND (applicant_notified_at IS NULL OR digest_mail_id IS NULL)"
            ),
        ),
        Index(
            "ix_escalations_unresolved_respond_by",
            "respond_by",
            sqlite_where=text("state <> 'resolved'"),
            postgresql_where=text("state <> 'resolved'"),
        ),
    )


class VerificationChallenge(Base):
    """A one-time code sent to an applicant's email on file, to prove who is chatting.

    Only a keyed hash of the code is kept. A challenge for details that match no application
    is stored too (with no applications), so that a wrong guess looks and counts the same.
    """

    __tablename__ = "verification_challenges"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(200), nullable=False, index=True)
    code_hash = Column(String(64), nullable=False)
    # The applications this code unlocks, as space-separated references (empty: none).
    references = Column(Text, nullable=False, default="")
    created_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)
    used_at = Column(UTCDateTime, nullable=True)
    failed_attempts = Column(Integer, nullable=False, default=0)
    # Bound at issue: the channel it was asked in, the address on file it went to (None when
    # nothing matched), the language of the mail. Nothing typed later changes whom it proves.
    channel = Column(String(50), nullable=True)
    email = Column(String(320), nullable=True)
    language = Column(String(8), nullable=True)
    # The one-click link in the same mail (a keyed hash of its token) and when it was opened:
    # proof of the mailbox that a stranger guessing codes cannot give.
    link_hash = Column(String(64), nullable=True, unique=True)
    confirmed_at = Column(UTCDateTime, nullable=True)


class ConversationProof(Base):
    """An application a conversation has proven with a code: kept here, on the server, never in
    the conversation's slots, and valid only while the conversation stays active."""

    __tablename__ = "conversation_proofs"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(200), nullable=False)
    channel = Column(String(50), nullable=False)
    reference = Column(String(12), nullable=False)
    # the address on file the code went to: a linked Telegram chat and a recruiter's reply use it
    email = Column(String(320), nullable=False)
    # who typed the code (a keyed hash of their address): on the REST channel, where callers
    # choose their own conversation ids, a proof counts only for the same client
    client = Column(String(64), nullable=True)
    proven_at = Column(UTCDateTime, nullable=False)
    last_seen_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (UniqueConstraint("conversation_id", "reference"),)


class RateCounter(Base):
    """How often something happened in the current window (codes asked, wrong codes), per
    conversation, client, application or in total; and until when it is refused.

    Counted with one conditional UPDATE, so that parallel requests on several servers can never
    count past the limit.
    """

    __tablename__ = "rate_counters"

    subject = Column(String(250), primary_key=True)
    count = Column(Integer, nullable=False, default=0)
    window_started_at = Column(UTCDateTime, nullable=False)
    blocked_until = Column(UTCDateTime, nullable=True)


class Lockout(Base):
    """Failed verification attempts against a conversation or an application, and any lock."""

    __tablename__ = "lockouts"

    id = Column(Integer, primary_key=True)
    subject = Column(String(250), nullable=False, unique=True)  # "conversation:…", "application:…"
    failures = Column(Integer, nullable=False, default=0)
    locked_until = Column(UTCDateTime, nullable=True)
    updated_at = Column(UTCDateTime, nullable=False)


class OutgoingMail(Base):
    """An email waiting to be sent or sent: the outbox that makes mail survive a failed send."""

    __tablename__ = "outgoing_mail"

    id = Column(Integer, primary_key=True)
    to_address = Column(String(320), nullable=False)
    subject = Column(String(500), nullable=False)
    body = Column(Text, nullable=False)
    purpose = Column(String(50), nullable=False)
    # files sent with it, as JSON [{"filename", "content_type", "content"}]; dropped with the
    # body once the mail is sent
    attachments = Column(Text, nullable=True)
    # who wrote it, when a person did (a recruiter's reply): shown in From beside our address
    sender_name = Column(String(200), nullable=True)
    escalation_id = Column(ForeignKey("escalations.id"), nullable=True, index=True)
    created_at = Column(UTCDateTime, nullable=False)
    sent_at = Column(UTCDateTime, nullable=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
    # A sender claims a mail for a short while, so that two processes never both send it.
    claimed_until = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index(
            "ix_outgoing_mail_unsent",
            "created_at",
            sqlite_where=text("sent_at IS NULL"),
            postgresql_where=text("sent_at IS NULL"),
        ),
        # how many codes an address has had lately (dialogue/verification.py)
        Index("ix_outgoing_mail_to_address_created_at", "to_address", "created_at"),
    )


class TelegramUpdate(Base):
    """A Telegram update already handled: Telegram redelivers, several servers may receive."""

    __tablename__ = "telegram_updates"

    update_id = Column(BigInteger, primary_key=True, autoincrement=False)
    received_at = Column(UTCDateTime, nullable=False)


class WhatsAppMessageSeen(Base):
    """A WhatsApp message already handled: Meta redelivers, several servers may receive. Kept
    by the SHA-256 of its id, as a wamid encodes the sender's number."""

    __tablename__ = "whatsapp_messages_seen"

    message_key = Column(String(64), primary_key=True)
    received_at = Column(UTCDateTime, nullable=False)


class WhatsAppSent(Base):
    """A message sent on WhatsApp and its latest status from Meta's callbacks (sent, delivered,
    read, failed); what was sent is kept so that a failed one can be followed up."""

    __tablename__ = "whatsapp_sent"

    message_key = Column(String(64), primary_key=True)  # SHA-256 of the wamid
    recipient_id = Column(String(100), nullable=False, index=True)  # the conversation
    text = Column(Text, nullable=False)
    status = Column(String(16), nullable=False)
    error = Column(Text, nullable=True)
    sent_at = Column(UTCDateTime, nullable=False)
    updated_at = Column(UTCDateTime, nullable=False)


class WhatsAppWindow(Base):
    """When a number last wrote: Meta allows free-form messages for 24 hours after that
    (the customer-service window), and only approved templates outside it."""

    __tablename__ = "whatsapp_windows"

    conversation_id = Column(String(100), primary_key=True)  # "wa-<wa_id>"
    last_inbound_at = Column(UTCDateTime, nullable=False)


class AtsWebhookEvent(Base):
    """An event an ATS delivered by webhook, already handled: ATSs redeliver, and several
    servers may receive the same event."""

    __tablename__ = "ats_webhook_events"

    source = Column(String(30), primary_key=True)
    event_id = Column(String(200), primary_key=True)
    received_at = Column(UTCDateTime, nullable=False)


class LinkToken(Base):
    """A one-time deep link (t.me/<bot>?start=<token>) that links a chat to an applicant.

    Only a keyed hash of the token is kept; it works once and only until it expires.
    """

    __tablename__ = "link_tokens"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    candidate_id = Column(
        ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)
    used_at = Column(UTCDateTime, nullable=True)


class LinkedChat(Base):
    """A chat (on a channel such as Telegram) whose user proved to be this applicant."""

    __tablename__ = "linked_chats"

    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    chat_id = Column(String(100), nullable=False)
    candidate_id = Column(
        ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False, index=True
    )
    linked_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (UniqueConstraint("channel", "chat_id"),)


class UndeliveredMessage(Base):
    """A recruiter reply or notice a channel could not deliver, kept so it is never lost."""

    __tablename__ = "undelivered_messages"

    id = Column(Integer, primary_key=True)
    channel = Column(String(20), nullable=False)
    recipient_id = Column(String(100), nullable=False)
    text = Column(Text, nullable=False)
    error = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    # Set when someone retried or handled it another way.
    handled_at = Column(UTCDateTime, nullable=True)


class DeskAccount(Base):
    """A recruiter's login to the desk. No password until they set one with their link."""

    __tablename__ = "desk_accounts"

    id = Column(Integer, primary_key=True)
    recruiter_id = Column(
        ForeignKey("recruiters.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    password_hash = Column(String(200), nullable=True)  # argon2id
    is_admin = Column(Boolean, nullable=False, default=False)
    created_at = Column(UTCDateTime, nullable=False)
    password_set_at = Column(UTCDateTime, nullable=True)


class DeskToken(Base):
    """A desk session or a one-time set-password link; only a keyed hash of it is kept."""

    __tablename__ = "desk_tokens"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    purpose = Column(String(20), nullable=False)  # "session" or "password"
    account_id = Column(
        ForeignKey("desk_accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token = Column(String(64), nullable=True)
    created_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)
    used_at = Column(UTCDateTime, nullable=True)


class AuditEntry(Base):
    """Who did what in the desk: logins, claims, replies, resolutions, status changes."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, index=True)
    actor = Column(String(320), nullable=False)
    action = Column(String(40), nullable=False)
    subject = Column(String(200), nullable=True)
    detail = Column(Text, nullable=True)


class ApplicantConversation(Base):
    """A conversation (a sender id on a channel) in which an applicant proved who they are, or
    a chat they linked: what to remove from the tracker store when their data is erased."""

    __tablename__ = "applicant_conversations"

    id = Column(Integer, primary_key=True)
    candidate_id = Column(
        ForeignKey("candidates.id", ondelete="CASCADE"), nullable=False, index=True
    )
    channel = Column(String(50), nullable=False)
    conversation_id = Column(String(200), nullable=False, index=True)
    first_seen_at = Column(UTCDateTime, nullable=False)

    __table_args__ = (UniqueConstraint("candidate_id", "conversation_id"),)


class ErasureTombstone(Base):
    """A keyed hash of an erased application (its ATS id, its reference) or applicant (their
    address), so that the next import or sync does not bring them back; never the value."""

    __tablename__ = "erasure_tombstones"

    key_hash = Column(String(64), primary_key=True)
    scope = Column(String(20), nullable=False)  # "application" or "applicant"
    reason = Column(String(20), nullable=False)  # "retention" or "request"
    erased_at = Column(UTCDateTime, nullable=False)


class TrackerErasure(Base):
    """A conversation every Rasa server must drop from its in-memory tracker store and spool,
    by keyed hash of its sender id; kept for a while, then forgotten."""

    __tablename__ = "tracker_erasures"

    conversation_hash = Column(String(64), primary_key=True)
    requested_at = Column(UTCDateTime, nullable=False, index=True)


class SpooledWork(Base):
    """Work a Rasa server could not do while a service was away (an event for RabbitMQ, a
    hand-over waiting for the action server), moved here from the server's local spool as soon
    as the database answers, so that any server does it and a lost pod loses none of it
    (server/shared_spool.py). PostgreSQL only: with SQLite the local spool is all there is."""

    __tablename__ = "spooled_work"

    id = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind = Column(String(20), nullable=False)  # "events", "handovers"
    # the keyed hash of the conversation's sender id (ats.privacy.keys), for its erasure
    conversation_hash = Column(String(64), nullable=True, index=True)
    body = Column(Text, nullable=False)  # the spooled JSON line
    spooled_at = Column(UTCDateTime, nullable=False)
    # a server doing it holds it a short while; another takes it over once that has passed
    claimed_until = Column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_spooled_work_kind_id", "kind", "id"),)


class ErasureAnnouncement(Base):
    """An erasure event waiting to be published to the event broker (RabbitMQ), so that the
    consumers of conversation events can erase too; deleted once published."""

    __tablename__ = "erasure_announcements"

    id = Column(Integer, primary_key=True)
    payload = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)


class EscalationMessage(Base):
    """One message of an escalation's thread, whichever way and channel it went: what the
    applicant wrote (chat, email), what a recruiter replied (chat, email), and recruiters'
    internal notes, which the applicant never sees."""

    __tablename__ = "escalation_messages"

    id = Column(Integer, primary_key=True)
    escalation_id = Column(
        ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at = Column(UTCDateTime, nullable=False)
    # "applicant", "recruiter", "note" (internal, recruiters only) or "bot"
    kind = Column(String(20), nullable=False)
    # "webchat", "telegram", "rest", "email", "desk" (a note)
    channel = Column(String(30), nullable=True)
    # the recruiter who wrote it (None: the applicant or the bot)
    recruiter_id = Column(ForeignKey("recruiters.id"), nullable=True)
    text = Column(Text, nullable=False)


class EscalationCopy(Base):
    """An admin told of an escalation raised to the admins (the third level) besides the one
    it is with, who has it in their digest: each admin is told once (monitor/chain.py)."""

    __tablename__ = "escalation_copies"

    id = Column(Integer, primary_key=True)
    escalation_id = Column(
        ForeignKey("escalations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    recruiter_id = Column(ForeignKey("recruiters.id"), nullable=False)
    created_at = Column(UTCDateTime, nullable=False)
    # the digest mail that told them (an outgoing_mail id, like escalations.digest_mail_id;
    # negative while a sweeper has claimed it)
    mail_id = Column(Integer, nullable=True)

    __table_args__ = (
        # the copies still to mail, by whom they are for
        Index(
            "ix_escalation_copies_waiting",
            "recruiter_id",
            sqlite_where=text("mail_id IS NULL"),
            postgresql_where=text("mail_id IS NULL"),
        ),
    )


class CannedReply(Base):
    """A reply recruiters often send, in one language, that admins keep for everyone: picked
    on an escalation's page to start a reply from."""

    __tablename__ = "canned_replies"

    id = Column(Integer, primary_key=True)
    title = Column(String(200), nullable=False)
    language = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)


class WritebackState(str, enum.Enum):
    """Where a desk change stands with the ATS (ats/desk_changes.py)."""

    PENDING = "pending"  # to be written through the ATS's API (again, after a passing failure)
    WRITTEN = "written"  # the ATS's API took it; its next snapshot should say the same
    FAILED = "failed"  # the ATS's API refused it for good: the reason says why
    MANUAL = "manual"  # no API: the recruiter makes the change in the ATS too
    CONFIRMED = "confirmed"  # a snapshot of the ATS says the same: nothing left to guard
    SUPERSEDED = "superseded"  # a later desk change, or a later change in the ATS, replaced it


class AtsWriteback(Base):
    """A status change made in the desk, on its way to the ATS (the outbox of the write-back),
    and the guard that keeps an older snapshot of the ATS from undoing it."""

    __tablename__ = "ats_writebacks"

    id = Column(Integer, primary_key=True)
    application_id = Column(
        ForeignKey("applications.id", ondelete="CASCADE"), nullable=False, index=True
    )
    ats_system = Column(String(50), nullable=True)
    from_status = Column(String(20), nullable=True)
    status = Column(String(20), nullable=False)
    stage = Column(String(200), nullable=True)
    actor = Column(String(200), nullable=False)
    state = Column(String(20), nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=True)
    last_error = Column(String(500), nullable=True)
    created_at = Column(UTCDateTime, nullable=False)
    written_at = Column(UTCDateTime, nullable=True)
    settled_at = Column(UTCDateTime, nullable=True)
    # the last snapshot that disagreed and was not applied: what it said, from where, when
    seen_status = Column(String(20), nullable=True)
    seen_stage = Column(String(200), nullable=True)
    seen_source = Column(String(50), nullable=True)
    seen_at = Column(UTCDateTime, nullable=True)

    __table_args__ = (
        # the sweep's question: writes due now
        Index(
            "ix_ats_writebacks_pending_next_attempt_at",
            "next_attempt_at",
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
    )


class CandidateFeedback(Base):
    """One time an applicant was asked how helpful the help desk was (ats/feedback.py): after
    a status answer ("status") or a resolved hand-over ("handover", with its recruiter), and
    what they answered. An erasure of the conversation drops the comment and what ties the row
    to the applicant; the score stays, as an anonymous figure for the dashboard."""

    __tablename__ = "candidate_feedback"

    id = Column(Integer, primary_key=True)
    asked_at = Column(UTCDateTime, nullable=False)
    kind = Column(String(20), nullable=False)  # "status" or "handover"
    channel = Column(String(30), nullable=True)
    language = Column(String(10), nullable=True)
    # the conversation it was asked in, and a keyed hash of who was asked (their address, else
    # the conversation): asked at most once a week each; both None once erased
    conversation_id = Column(String(255), nullable=True, index=True)
    applicant_key = Column(String(64), nullable=True, index=True)
    escalation_id = Column(ForeignKey("escalations.id", ondelete="SET NULL"), nullable=True)
    recruiter_id = Column(ForeignKey("recruiters.id", ondelete="SET NULL"), nullable=True)
    score = Column(Integer, nullable=True)  # 1-5; None: not answered
    answered_at = Column(UTCDateTime, nullable=True)
    comment = Column(Text, nullable=True)  # masked (ats/masking.py)


class ReviewMessage(Base):
    """An applicant's message the language model may have misread (little confidence, a
    fallback, a person asked for right after the bot's answer, the applicant saying it again),
    kept masked (ats/masking.py) for the desk's review inbox: an admin confirms or corrects
    its intent, and `helpdesk nlu export` makes training examples of the reviewed ones.
    Erasing the conversation takes its text and conversation away; the intent, reason and
    week stay as anonymous figures for the dashboard."""

    __tablename__ = "review_messages"

    id = Column(Integer, primary_key=True)
    noticed_at = Column(UTCDateTime, nullable=False, index=True)
    # the message's own time in the conversation, to show the turns around it
    message_at = Column(UTCDateTime, nullable=False)
    conversation_id = Column(String(200), nullable=True)
    # the keyed hash of the conversation's sender id (ats.privacy.keys), for its erasure
    conversation_hash = Column(String(64), nullable=True, index=True)
    channel = Column(String(30), nullable=True)
    language = Column(String(8), nullable=True)
    text = Column(Text, nullable=True)  # masked; None once the conversation is erased
    intent = Column(String(100), nullable=False)  # what the model thought it was
    confidence = Column(Float, nullable=False)
    # "low_confidence", "fallback", "human_after_answer", "repeated"
    reason = Column(String(30), nullable=False)
    # "confirmed", "corrected", "discarded"; None while it waits for a review
    verdict = Column(String(20), nullable=True)
    reviewed_intent = Column(String(100), nullable=True)
    reviewed_at = Column(UTCDateTime, nullable=True)
    exported_at = Column(UTCDateTime, nullable=True)
    erased_at = Column(UTCDateTime, nullable=True)

    # one row per message, however many reasons it gives or actions see it
    __table_args__ = (UniqueConstraint("conversation_hash", "message_at"),)
