"""The one async API through which actions, channels and the command line use the ATS store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import and_, bindparam, func, literal, not_, select, text, union_all
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import ColumnElement, Select

from ats.db import create_engine, dialect_insert, session_factory
from ats.models import (
    CLOSED_STATUSES,
    OPEN_APPLICATION_SQL,
    Application,
    Candidate,
    Escalation,
    EscalationReason,
    EscalationState,
    OutgoingMail,
    Recruiter,
    Status,
    StatusEvent,
    TelegramUpdate,
    Vacancy,
)
from ats.records import (
    ApplicationRecord,
    EscalationRecord,
    EscalationRequest,
    Mail,
    OverdueApplication,
    RecruiterRecord,
    StatusEventRecord,
)
from ats.reference import InvalidReference, parse_reference
from ats.settings import Settings

UTC = timezone.utc


def application_query() -> Select:
    """Applications with their candidate, vacancy and recruiter, as flat rows.

    The bot's lookups go through this single join rather than ORM objects: a status question is
    answered from one round trip with nothing to build but the record.
    """
    return (
        select(
            Application.id,
            Application.reference,
            Application.applied_at,
            Application.ack_due_at,
            Application.acknowledged_at,
            Application.status,
            Application.stage,
            Application.next_update_due_at,
            Application.close_reason,
            Application.ats_system,
            Application.ats_id,
            Candidate.name.label("candidate_name"),
            Candidate.email.label("candidate_email"),
            Candidate.language.label("candidate_language"),
            Candidate.phone.label("candidate_phone"),
            Vacancy.code.label("vacancy_code"),
            Vacancy.title.label("vacancy_title"),
            Vacancy.ack_working_days,
            Vacancy.process_description,
            Recruiter.name.label("recruiter_name"),
            Recruiter.email.label("recruiter_email"),
        )
        .select_from(Application)
        .join(Candidate, Application.candidate_id == Candidate.id)
        .join(Vacancy, Application.vacancy_id == Vacancy.id)
        .join(Recruiter, Vacancy.recruiter_id == Recruiter.id)
    )


_BY_REFERENCE = application_query().where(Application.reference == bindparam("reference"))
_BY_EMAIL = (
    application_query()
    .where(Candidate.email == bindparam("email"))
    .order_by(Application.applied_at.desc())
)


def overdue_conditions(now: datetime) -> tuple[ColumnElement, ColumnElement]:
    """When an open application is past its acknowledgement deadline, and when past its
    promised update (and not already the former): each matches one partial index."""
    is_open = text(OPEN_APPLICATION_SQL)
    ack_overdue = and_(
        Application.acknowledged_at.is_(None),
        is_open,
        Application.ack_due_at < now,
    )
    update_overdue = and_(
        Application.next_update_due_at.isnot(None),
        is_open,
        Application.next_update_due_at < now,
        not_(ack_overdue),  # listed once, as ack_overdue
    )
    return ack_overdue, update_overdue


def overdue_query(now: datetime, limit: int | None = None) -> Select:
    """The deadline monitor's question, as rows of `application_query()` plus due_at, reason.

    Both halves are range scans of partial indexes that hold only open applications waiting
    for an acknowledgement or an update, so the cost follows the overdue rows, not the table.
    """
    ack_overdue, update_overdue = overdue_conditions(now)
    ack = (
        application_query()
        .add_columns(
            Application.ack_due_at.label("due_at"),
            literal(EscalationReason.ACK_OVERDUE.value).label("reason"),
        )
        .where(ack_overdue)
    )
    update = (
        application_query()
        .add_columns(
            Application.next_update_due_at.label("due_at"),
            literal(EscalationReason.UPDATE_OVERDUE.value).label("reason"),
        )
        .where(update_overdue)
    )
    both = union_all(ack, update).subquery()
    query = select(both).order_by(both.c.due_at, both.c.id)
    if limit is not None:
        query = query.limit(limit)
    return query


class ApplicationNotFound(LookupError):
    """No application has that reference."""


class RecruiterNotFound(LookupError):
    """No recruiter has that email address."""


async def queue_mail(
    session: AsyncSession, mails: Sequence[Mail], escalation_id: int | None = None
) -> list[OutgoingMail]:
    """Add mails to the outbox inside the caller's transaction, so they share its fate."""
    rows = [
        OutgoingMail(
            to_address=mail.to,
            subject=mail.subject,
            body=mail.body,
            purpose=mail.purpose,
            escalation_id=escalation_id,
            created_at=utcnow(),
            attempts=0,
        )
        for mail in mails
    ]
    session.add_all(rows)
    await session.flush()
    return rows


def utcnow() -> datetime:
    return datetime.now(UTC)


def normalise_email(email: str) -> str:
    return email.strip().lower()


class ATSStore:
    """Async access to the ATS database. Create one per process and `close()` it at the end."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)
        # Lookups read one consistent row set; autocommit spares them BEGIN and ROLLBACK.
        self._reader = engine.execution_options(isolation_level="AUTOCOMMIT")

    @classmethod
    def from_settings(cls, settings: Settings) -> ATSStore:
        return cls(create_engine(settings.ats_database_url))

    async def close(self) -> None:
        await self.engine.dispose()

    def session(self) -> AsyncSession:
        return self._sessions()

    # -- lookups ---------------------------------------------------------------------------

    async def find_application(self, reference: str) -> ApplicationRecord | None:
        """The application with this reference as an applicant typed it, or None."""
        try:
            canonical = parse_reference(reference, lenient=True)
        except InvalidReference:
            return None
        rows = await self._read(_BY_REFERENCE, {"reference": canonical})
        return ApplicationRecord.from_row(rows[0]) if rows else None

    async def find_applications_by_email(self, email: str) -> list[ApplicationRecord]:
        """Every application of the candidate with this email address, newest first."""
        rows = await self._read(_BY_EMAIL, {"email": normalise_email(email)})
        return [ApplicationRecord.from_row(row) for row in rows]

    async def _read(self, statement: Select, parameters: dict[str, Any]) -> list[Row]:
        """Run a read-only query, once more on a fresh connection if the first one failed.

        A database restart leaves dead connections in the pool. Reads are safe to repeat, so
        the connection that failed is discarded and the query tried once more.
        """
        for attempt in (1, 2):
            async with self._reader.connect() as connection:
                try:
                    rows: list[Row] = (await connection.execute(statement, parameters)).all()
                    return rows
                # asyncpg raises some broken-connection errors unwrapped (InternalClientError),
                # so any failure of this idempotent read earns the one retry.
                except Exception:
                    if attempt == 2:
                        raise
                    if not connection.invalidated:
                        await connection.invalidate()
        raise AssertionError("unreachable")

    async def status_history(self, reference: str) -> list[StatusEventRecord]:
        async with self.session() as session:
            rows = await session.scalars(
                select(StatusEvent)
                .join(Application, StatusEvent.application_id == Application.id)
                .where(Application.reference == parse_reference(reference, lenient=True))
                .order_by(StatusEvent.occurred_at, StatusEvent.id)
            )
            return [StatusEventRecord.of(row) for row in rows]

    async def mails_sent_to(self, address: str, purpose: str, since: datetime) -> int:
        """Mails of this purpose queued for this address since then."""
        async with self.session() as session:
            count: int = await session.scalar(
                select(func.count())
                .select_from(OutgoingMail)
                .where(
                    OutgoingMail.to_address == address,
                    OutgoingMail.created_at >= since,
                    OutgoingMail.purpose == purpose,
                )
            )
            return count

    async def count_applications(self) -> int:
        async with self.session() as session:
            count: int = await session.scalar(select(func.count()).select_from(Application))
            return count

    # -- changes ---------------------------------------------------------------------------

    async def record_status_change(
        self,
        reference: str,
        to_status: Status | str,
        *,
        actor: str,
        source: str,
        stage: str | None = None,
        note: str | None = None,
        close_reason: str | None = None,
        at: datetime | None = None,
    ) -> ApplicationRecord:
        """Move an application to a status, keeping the change as a StatusEvent.

        Leaving `applied` for any open status counts as the acknowledgement when none was
        recorded: the applicant has evidently been heard. Nothing is recorded when neither the
        status nor the stage changes.
        """
        to_status = Status(to_status)
        at = at or utcnow()
        async with self.session() as session, session.begin():
            row = await session.scalar(
                select(Application)
                .where(Application.reference == parse_reference(reference, lenient=True))
                .with_for_update(of=Application)
            )
            if row is None:
                raise ApplicationNotFound(reference)
            from_status = row.status
            if apply_status(row, to_status, stage=stage, close_reason=close_reason, at=at):
                session.add(
                    StatusEvent(
                        application_id=row.id,
                        occurred_at=at,
                        actor=actor,
                        source=source,
                        from_status=from_status,
                        to_status=to_status.value,
                        stage=row.stage,
                        note=note,
                    )
                )
            await session.flush()
            changed = (await session.execute(_BY_REFERENCE, {"reference": row.reference})).one()
            return ApplicationRecord.from_row(changed)

    async def open_escalation(
        self,
        request: EscalationRequest,
        mails: Callable[[EscalationRecord], Sequence[Mail]] | None = None,
        *,
        open_per_client: int | None = None,
    ) -> tuple[EscalationRecord, bool, list[int]]:
        """Open an escalation, or return the one already open for this application and reason.

        Returns the escalation, whether this call created it, and the ids of the mails queued
        for it: `mails` builds them from the new escalation, in the same transaction, so the
        escalation is stored before any mail is sent and no mail exists without it. The
        database's partial unique index decides between concurrent callers: exactly one
        creates the escalation (and its mails).

        An escalation with an application is a verified one. One without (someone who has not
        proven who they are) never joins a verified one; it joins the one its conversation
        already has open, or, once its client has `open_per_client` open, the newest of those,
        so that repeating the request neither mails the recruiter again nor fills the queue.
        """
        now = utcnow()
        async with self.session() as session, session.begin():
            application = None
            if request.application_reference:
                application = await session.scalar(
                    select(Application).where(
                        Application.reference
                        == parse_reference(request.application_reference, lenient=True)
                    )
                )
                if application is None:
                    raise ApplicationNotFound(request.application_reference)
            if application is None:
                earlier = await self._open_unverified(session, request, open_per_client)
                if earlier is not None:
                    if request.summary:
                        earlier.summary = (
                            f"{earlier.summary}\n{request.summary}"
                            if earlier.summary
                            else request.summary
                        )[-4000:]
                    return EscalationRecord.of(earlier), False, []
            recruiter_id = await self._recruiter_id(session, request, application)
            values = {
                "application_id": application.id if application else None,
                "applicant_name": request.applicant_name
                or (application.candidate.name if application else None),
                "applicant_email": normalise_email(request.applicant_email)
                if request.applicant_email
                else (application.candidate.email if application else None),
                "vacancy_hint": request.vacancy_hint,
                "reason": EscalationReason(request.reason).value,
                "channel": request.channel,
                "conversation_id": request.conversation_id,
                "recruiter_id": recruiter_id,
                "state": EscalationState.OPEN.value,
                "respond_by": request.respond_by,
                "summary": request.summary,
                "created_at": now,
                "verified": application is not None,
                "client": request.client,
            }
            if application is None:
                row = Escalation(**values)
                session.add(row)
                await session.flush()
                await session.refresh(row, ["recruiter", "application"])
                record = EscalationRecord.of(row)
                return record, True, await self._queue(session, record, mails)
            statement = (
                dialect_insert(session.bind)(Escalation)
                .values(**values)
                .on_conflict_do_nothing(
                    index_elements=["application_id", "reason"],
                    index_where=text("state <> 'resolved' AND application_id IS NOT NULL"),
                )
            )
            result = await session.execute(statement)
            created = result.rowcount == 1
            row = await session.scalar(
                select(Escalation).where(
                    Escalation.application_id == application.id,
                    Escalation.reason == values["reason"],
                    Escalation.state != EscalationState.RESOLVED.value,
                )
            )
            record = EscalationRecord.of(row)
            queued = await self._queue(session, record, mails) if created else []
            return record, created, queued

    @staticmethod
    async def _queue(
        session: AsyncSession,
        record: EscalationRecord,
        mails: Callable[[EscalationRecord], Sequence[Mail]] | None,
    ) -> list[int]:
        if mails is None:
            return []
        return [row.id for row in await queue_mail(session, mails(record), record.id)]

    async def first_time_seen(self, update_id: int) -> bool:
        """Record a Telegram update id; False when it was recorded before (a redelivery)."""
        async with self.session() as session, session.begin():
            result = await session.execute(
                dialect_insert(self.engine)(TelegramUpdate)
                .values(update_id=update_id, received_at=utcnow())
                .on_conflict_do_nothing(index_elements=["update_id"])
            )
            return bool(result.rowcount == 1)

    @staticmethod
    async def _open_unverified(
        session: AsyncSession, request: EscalationRequest, open_per_client: int | None
    ) -> Escalation | None:
        unverified = select(Escalation).where(
            Escalation.application_id.is_(None),
            Escalation.state != EscalationState.RESOLVED.value,
        )
        if request.conversation_id:
            same: Escalation | None = await session.scalar(
                unverified.where(
                    Escalation.conversation_id == request.conversation_id,
                    Escalation.channel == request.channel,
                    Escalation.reason == EscalationReason(request.reason).value,
                )
                .order_by(Escalation.id.desc())
                .limit(1)
            )
            if same is not None:
                return same
        if request.client and open_per_client:
            theirs: list[Escalation] = list(
                await session.scalars(
                    unverified.where(Escalation.client == request.client)
                    .order_by(Escalation.id.desc())
                    .limit(open_per_client)
                )
            )
            if len(theirs) >= open_per_client:
                return theirs[0]
        return None

    async def add_to_escalation(self, escalation_id: int, conversation_id: str, note: str) -> None:
        """Append what the applicant told us later (name, vacancy) to an escalation's summary;
        only to one this conversation raised."""
        async with self.session() as session, session.begin():
            row = await session.get(Escalation, escalation_id)
            if row is not None and row.conversation_id == conversation_id:
                row.summary = f"{row.summary}\n{note}" if row.summary else note

    async def default_recruiter(
        self, email: str | None = None, name: str | None = None
    ) -> RecruiterRecord:
        """The recruiter who takes applicants the ATS cannot place.

        HELPDESK_DEFAULT_RECRUITER_EMAIL (added as a recruiter when new), else the first
        recruiter on record.
        """
        async with self.session() as session, session.begin():
            if email:
                address = normalise_email(email)
                row = await session.scalar(select(Recruiter).where(Recruiter.email == address))
                if row is None:
                    row = Recruiter(email=address, name=name or address.split("@")[0])
                    session.add(row)
                    await session.flush()
                return RecruiterRecord.of(row)
            row = await session.scalar(select(Recruiter).order_by(Recruiter.id).limit(1))
            if row is None:
                raise RecruiterNotFound("there are no recruiters; import applications first")
            return RecruiterRecord.of(row)

    async def _recruiter_id(
        self, session: AsyncSession, request: EscalationRequest, application: Application | None
    ) -> int:
        if request.recruiter_email:
            recruiter_id: int | None = await session.scalar(
                select(Recruiter.id).where(
                    Recruiter.email == normalise_email(request.recruiter_email)
                )
            )
            if recruiter_id is None:
                raise RecruiterNotFound(request.recruiter_email)
            return recruiter_id
        if application is None:
            raise RecruiterNotFound("an escalation without an application needs a recruiter")
        vacancy_recruiter: int = application.vacancy.recruiter_id
        return vacancy_recruiter

    # -- the deadline monitor's question --------------------------------------------------

    async def list_overdue(
        self, now: datetime | None = None, limit: int | None = None
    ) -> list[OverdueApplication]:
        """Open applications past their acknowledgement deadline or promised update date.

        Each appears once (an unacknowledged one as ack_overdue), oldest deadline first. Both
        halves of the query are range scans of partial indexes, so the cost follows the number
        of overdue applications, not the size of the table.
        """
        query = overdue_query(now or utcnow(), limit)
        async with self._reader.connect() as connection:
            result = await connection.execute(query)
            return [
                OverdueApplication(
                    ApplicationRecord.from_row(row), EscalationReason(row.reason), row.due_at
                )
                for row in result
            ]


def apply_status(
    row: Application,
    to_status: Status,
    *,
    stage: str | None,
    close_reason: str | None,
    at: datetime,
) -> bool:
    """Set an application's status fields the way every writer (bot, desk, import) must.

    Returns whether the status or stage changed, which is what a StatusEvent records.
    """
    changed: bool = row.status != to_status.value
    row.status = to_status.value
    if stage is not None and (stage or None) != row.stage:
        row.stage = stage or None
        changed = True
    if to_status in CLOSED_STATUSES:
        if close_reason is not None:
            row.close_reason = close_reason or None
    else:
        row.close_reason = None
    if to_status is not Status.APPLIED and to_status not in CLOSED_STATUSES:
        if row.acknowledged_at is None:
            row.acknowledged_at = at
    if changed:
        row.updated_at = at
    return changed
