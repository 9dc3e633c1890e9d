"""The one async API through which actions, channels and the command line use the ATS store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.sql import Executable, Select
from sqlalchemy.sql.dml import Insert

from ats.applications import (
    APPLICATION_BY_REFERENCE,
    APPLICATIONS_BY_EMAIL,
    apply_status,
    overdue_query,
)
from ats.db import create_engine, dialect_insert, session_factory
from ats.direct_statements import DirectPostgres, Statements
from ats.escalation_store import EscalationStore
from ats.models import (
    Application,
    EscalationReason,
    OutgoingMail,
    Recruiter,
    Status,
    StatusEvent,
    TelegramUpdate,
)
from ats.records import ApplicationRecord, OverdueApplication, RecruiterRecord, StatusEventRecord
from ats.reference import InvalidReference, parse_reference
from ats.settings import Settings
from ats.store_basics import ApplicationNotFound, RecruiterNotFound, normalise_email, utcnow

# connections of a process's pool for the statements of every message, beside SQLAlchemy's
DIRECT_CONNECTIONS = 10


class ATSStore(EscalationStore):
    """Async access to the ATS database. Create one per process and `close()` it at the end."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)
        # Lookups and single-statement writes: one statement is one consistent, atomic unit,
        # and autocommit spares it BEGIN and ROLLBACK or COMMIT.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        # the statements of every message, on asyncpg itself (see ats/direct_statements.py)
        self._direct = (
            DirectPostgres(engine.url, engine.dialect, DIRECT_CONNECTIONS)
            if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg"
            else None
        )
        # each INSERT given to insert(), with its id returned (PostgreSQL)
        self._returning_id: dict[int, tuple[Insert, Insert]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> ATSStore:
        return cls(create_engine(settings.ats_database_url))

    async def close(self) -> None:
        if self._direct is not None:
            await self._direct.close()
        await self.engine.dispose()

    def session(self) -> AsyncSession:
        return self._sessions()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Statements]:
        """A transaction for prebuilt Core statements only (no ORM objects): committed when
        the block ends, rolled back when it raises. On PostgreSQL its statements run on
        asyncpg itself, elsewhere in a SQLAlchemy session. Read what it needs before it
        begins: a store read inside it would wait for a second connection of the same pool."""
        if self._direct is not None:
            async with self._direct.transaction() as direct:
                yield direct
        else:
            async with self.session() as session, session.begin():
                yield session

    # -- lookups ---------------------------------------------------------------------------

    async def find_application(self, reference: str) -> ApplicationRecord | None:
        """The application with this reference as an applicant typed it, or None."""
        try:
            canonical = parse_reference(reference, lenient=True)
        except InvalidReference:
            return None
        rows = await self.read(APPLICATION_BY_REFERENCE, {"reference": canonical})
        return ApplicationRecord.from_row(rows[0]) if rows else None

    async def find_applications_by_email(self, email: str) -> list[ApplicationRecord]:
        """Every application of the candidate with this email address, newest first."""
        rows = await self.read(APPLICATIONS_BY_EMAIL, {"email": normalise_email(email)})
        return [ApplicationRecord.from_row(row) for row in rows]

    async def read(self, statement: Select, parameters: dict[str, Any] | None = None) -> list[Any]:
        """Run a read-only query, once more on a fresh connection if the first one failed; the
        rows are SQLAlchemy's, or named tuples equal to them (ats/direct_statements.py).

        Give only statements built once (module constants) with their values as parameters:
        on PostgreSQL each is compiled once and kept.

        One statement sees one snapshot by itself: run in autocommit, it costs one round trip
        where a session's costs three (BEGIN, the query, ROLLBACK).

        A database restart leaves dead connections in the pool. Reads are safe to repeat, so
        the connection that failed is discarded and the query tried once more.
        """
        if self._direct is not None:
            direct = await self._direct.fetch(statement, parameters or {})
            if direct is not None:
                return direct
        for attempt in (1, 2):
            async with self._autocommit.connect() as connection:
                try:
                    return list((await connection.execute(statement, parameters or {})).all())
                # asyncpg raises some broken-connection errors unwrapped (InternalClientError),
                # so any failure of this idempotent read earns the one retry.
                except Exception:
                    if attempt == 2:
                        raise
                    if not connection.invalidated:
                        await connection.invalidate()
        raise AssertionError("unreachable")

    async def write(self, statement: Executable, parameters: dict[str, Any] | None = None) -> int:
        """Run one statement that changes rows, on its own; returns the rows it changed.

        One statement is atomic by itself: run in autocommit, it costs one round trip where a
        transaction around it costs three (BEGIN, the statement, COMMIT). Never repeated: the
        caller decides whether a failure may be tried again. A statement built once and given
        its values as `parameters` runs on asyncpg itself on PostgreSQL.
        """
        if self._direct is not None and parameters is not None:
            changed = await self._direct.change(statement, parameters)
            if changed is not None:
                return changed
        async with self._autocommit.connect() as connection:
            result = await connection.execute(statement, parameters)
            return int(result.rowcount)

    async def insert(self, statement: Insert, values: dict[str, Any]) -> int:
        """Insert one row on its own (atomic by itself, as `write()`); returns its id."""
        if self._direct is not None:
            returning = self._returning_id.get(id(statement))
            if returning is None or returning[0] is not statement:
                returning = (statement, statement.returning(*statement.table.primary_key))
                self._returning_id[id(statement)] = returning
            rows = await self._direct.fetch(returning[1], values, repeat=False)
            if rows is not None:
                return int(rows[0][0])
        async with self._autocommit.connect() as connection:
            result = await connection.execute(statement, values)
            return int(result.inserted_primary_key[0])

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
            changed = (
                await session.execute(APPLICATION_BY_REFERENCE, {"reference": row.reference})
            ).one()
            return ApplicationRecord.from_row(changed)

    async def first_time_seen(self, update_id: int) -> bool:
        """Record a Telegram update id; False when it was recorded before (a redelivery)."""
        async with self.session() as session, session.begin():
            result = await session.execute(
                dialect_insert(self.engine)(TelegramUpdate)
                .values(update_id=update_id, received_at=utcnow())
                .on_conflict_do_nothing(index_elements=["update_id"])
            )
            return bool(result.rowcount == 1)

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
        async with self._autocommit.connect() as connection:
            result = await connection.execute(query)
            return [
                OverdueApplication(
                    ApplicationRecord.from_row(row), EscalationReason(row.reason), row.due_at
                )
                for row in result
            ]
