"""Importing an ATS export: all rows or none, and the same file twice changes nothing.

Rows are matched to stored applications by the ATS's own id when the file has one, else by the
reference, else by candidate email and vacancy. Writes are bulk statements inside one
transaction, so a million-row export loads in minutes and a failure leaves the store as it was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Column, Table, bindparam, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.calendar import ack_due_at
from ats.models import (
    CLOSED_STATUSES,
    Application,
    Candidate,
    Recruiter,
    Status,
    StatusEvent,
    Vacancy,
)
from ats.reference import generate_reference
from ats.rows import ImportRow, RowChecker, RowError, read_file
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow

T = TypeVar("T")

CHUNK = 5000
Progress = Callable[[str, int, int], None]


class ImportFailed(Exception):
    """The file has bad rows; nothing was imported."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the file; nothing was imported")
        self.errors = list(errors)


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    created_references: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


def _no_progress(_stage: str, _done: int, _total: int) -> None:
    pass


def check_file(
    path: Path, settings: Settings, now: datetime, progress: Progress = _no_progress
) -> list[ImportRow]:
    """Read and check a whole file; raise ImportFailed listing every bad row."""
    checker = RowChecker(settings.timezone, now)
    rows: list[ImportRow] = []
    for count, (line, raw) in enumerate(read_file(path), start=1):
        row = checker.check(line, raw)
        if row is not None:
            rows.append(row)
        if count % 50000 == 0:
            progress("checked", count, 0)
    if checker.errors:
        raise ImportFailed(checker.errors)
    return rows


async def import_file(
    store: ATSStore,
    path: Path,
    settings: Settings,
    *,
    actor: str = "import",
    progress: Progress = _no_progress,
    now: datetime | None = None,
) -> ImportSummary:
    now = now or utcnow()
    # Reading and checking a large file is CPU and disk work: keep it off the event loop.
    rows = await asyncio.to_thread(check_file, path, settings, now, progress)
    return await import_rows(store, rows, settings, actor=actor, progress=progress, now=now)


async def import_rows(
    store: ATSStore,
    rows: Sequence[ImportRow],
    settings: Settings,
    *,
    actor: str = "import",
    progress: Progress = _no_progress,
    now: datetime | None = None,
    source: str = "import",
) -> ImportSummary:
    """Creates or updates these applications; `source` names where the changes came from
    (an import, an ATS's webhook) on the status events they record."""
    now = now or utcnow()
    async with store.session() as session, session.begin():
        run = _ImportRun(session, settings, actor, progress, now, source)
        return await run.execute(rows)


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _ImportRun:
    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        actor: str,
        progress: Progress,
        now: datetime,
        source: str = "import",
    ) -> None:
        self.session = session
        self.settings = settings
        self.actor = actor
        self.source = source
        self.progress = progress
        self.now = now
        # Emails and vacancy codes whose stored details this import changed: their rows count
        # as updated even when the application itself did not change.
        self.changed_people: set[str] = set()
        self.changed_vacancies: set[str] = set()

    @property
    def on_postgresql(self) -> bool:
        return bool(self.session.bind.dialect.name == "postgresql")

    async def _driver(self) -> Any:
        connection = await self.session.connection()
        return (await connection.get_raw_connection()).driver_connection

    async def _bulk_insert(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        """Insert many rows: PostgreSQL's COPY where available, else batched executemany."""
        if not rows:
            return
        if self.on_postgresql:
            columns = list(rows[0])
            driver = await self._driver()
            await driver.copy_records_to_table(
                table.name,
                records=[tuple(row[c] for c in columns) for row in rows],
                columns=columns,
            )
            return
        for chunk in _chunks(rows):
            await self.session.execute(insert(table), list(chunk))

    async def _ids_by(self, column: Column, values: Sequence[str]) -> dict[str, int]:
        """value -> id for the rows whose `column` is one of `values`."""
        table = column.table
        if self.on_postgresql:
            driver = await self._driver()
            found = await driver.fetch(
                f"SELECT {column.name}, id FROM {table.name} WHERE {column.name} = ANY($1::text[])",
                list(values),
            )
            return {record[0]: record[1] for record in found}
        ids: dict[str, int] = {}
        for chunk in _chunks(values):
            result = await self.session.execute(select(column, table.c.id).where(column.in_(chunk)))
            ids.update(dict(result.all()))
        return ids

    async def execute(self, rows: Sequence[ImportRow]) -> ImportSummary:
        existing = await self._match_existing(rows)
        await self._check_references(rows, existing)
        recruiters = await self._upsert_recruiters(rows)
        vacancies = await self._upsert_vacancies(rows, recruiters)
        candidates = await self._upsert_candidates(rows)
        summary = ImportSummary()
        new_rows = [row for row in rows if row.line not in existing]
        await self._create_applications(new_rows, vacancies, candidates, summary)
        await self._update_applications(
            [(row, existing[row.line]) for row in rows if row.line in existing],
            vacancies,
            candidates,
            summary,
        )
        return summary

    # -- matching ------------------------------------------------------------------------

    async def _match_existing(self, rows: Sequence[ImportRow]) -> dict[int, Application]:
        """Stored applications by the line of the row that updates them."""
        by_key: dict[tuple[Any, ...], Application] = {}
        by_ats: dict[str, list[str]] = {}
        references: list[str] = []
        pairs: list[str] = []
        for row in rows:
            kind, *key = row.key
            if kind == "ats":
                system, ats_id = key
                by_ats.setdefault(system, []).append(ats_id)
            elif kind == "reference":
                references.append(key[0])
            else:
                pairs.append(row.candidate_email)
        columns = self._application_columns()
        for system, ids in by_ats.items():
            for chunk in _chunks(ids):
                result = await self.session.execute(
                    select(*columns).where(
                        Application.ats_system == system, Application.ats_id.in_(chunk)
                    )
                )
                for app in result:
                    by_key[("ats", system, app.ats_id)] = app
        for chunk in _chunks(references):
            result = await self.session.execute(
                select(*columns).where(Application.reference.in_(chunk))
            )
            for app in result:
                by_key[("reference", app.reference)] = app
        for chunk in _chunks(sorted(set(pairs))):
            result = await self.session.execute(
                select(*columns, Candidate.email.label("candidate_email"), Vacancy.code)
                .join(Candidate, Application.candidate_id == Candidate.id)
                .join(Vacancy, Application.vacancy_id == Vacancy.id)
                .where(Candidate.email.in_(chunk))
                .order_by(Application.applied_at)
            )
            for app in result:
                by_key[("candidate_vacancy", app.candidate_email, app.code)] = app
        return {row.line: by_key[row.key] for row in rows if row.key in by_key}

    @staticmethod
    def _application_columns() -> list[Any]:
        return [
            Application.id,
            Application.reference,
            Application.candidate_id,
            Application.vacancy_id,
            Application.applied_at,
            Application.ack_due_at,
            Application.acknowledged_at,
            Application.status,
            Application.stage,
            Application.next_update_due_at,
            Application.ats_system,
            Application.ats_id,
        ]

    async def _check_references(
        self, rows: Sequence[ImportRow], existing: dict[int, Application]
    ) -> None:
        """A reference is an application's for good: it may not move to another one."""
        errors: list[RowError] = []
        wanted = {row.reference: row for row in rows if row.reference}
        owners: dict[str, int] = {}
        for chunk in _chunks(list(wanted)):
            result = await self.session.execute(
                select(Application.reference, Application.id).where(
                    Application.reference.in_(chunk)
                )
            )
            owners.update(dict(result.all()))
        for reference, row in wanted.items():
            match = existing.get(row.line)
            owner = owners.get(reference)
            if match is not None and match.reference != reference:
                errors.append(
                    RowError(
                        row.line,
                        "reference",
                        f"this application already has reference {match.reference}",
                    )
                )
            elif owner is not None and (match is None or match.id != owner):
                errors.append(
                    RowError(row.line, "reference", f"{reference} belongs to another application")
                )
        if errors:
            raise ImportFailed(sorted(errors, key=lambda e: e.line))

    # -- people and vacancies ------------------------------------------------------------

    async def _upsert_recruiters(self, rows: Sequence[ImportRow]) -> dict[str, int]:
        names = {row.recruiter_email: row.recruiter_name for row in rows}
        return await self._upsert_by_email(Recruiter, {e: {"name": n} for e, n in names.items()})

    async def _upsert_candidates(self, rows: Sequence[ImportRow]) -> dict[str, int]:
        people = {
            row.candidate_email: {
                "name": row.candidate_name,
                "language": row.candidate_language,
                "phone": row.candidate_phone,
            }
            for row in rows
        }
        return await self._upsert_by_email(Candidate, people)

    async def _upsert_by_email(
        self, model: Any, wanted: dict[str, dict[str, Any]]
    ) -> dict[str, int]:
        """Insert or update people keyed by email; returns email -> id."""
        fields = list(next(iter(wanted.values()), {}))
        ids: dict[str, int] = {}
        changed: list[dict[str, Any]] = []
        emails = list(wanted)
        for chunk in _chunks(emails):
            result = await self.session.execute(
                select(model.id, model.email, *[getattr(model, f) for f in fields]).where(
                    model.email.in_(chunk)
                )
            )
            for stored in result:
                ids[stored.email] = stored.id
                values = wanted[stored.email]
                if any(getattr(stored, f) != values[f] for f in fields):
                    self.changed_people.add(stored.email)
                    changed.append({"_id": stored.id, **{f"new_{f}": v for f, v in values.items()}})
        new = [{"email": email, **values} for email, values in wanted.items() if email not in ids]
        await self._bulk_insert(model.__table__, new)
        if changed:
            await self.session.execute(
                update(model)
                .where(model.id == bindparam("_id"))
                .values({f: bindparam(f"new_{f}") for f in fields}),
                changed,
            )
        ids.update(await self._ids_by(model.__table__.c.email, [row["email"] for row in new]))
        return ids

    async def _upsert_vacancies(
        self, rows: Sequence[ImportRow], recruiters: dict[str, int]
    ) -> dict[str, tuple[int, int]]:
        """Returns vacancy code -> (id, acknowledgement working days)."""
        wanted = {
            row.vacancy_code: {
                "title": row.vacancy_title,
                "recruiter_id": recruiters[row.recruiter_email],
            }
            for row in rows
        }
        # A process description is kept until a file gives another one.
        processes = {row.vacancy_code: row.vacancy_process for row in rows if row.vacancy_process}
        found: dict[str, tuple[int, int]] = {}
        for chunk in _chunks(list(wanted)):
            result = await self.session.execute(select(Vacancy).where(Vacancy.code.in_(chunk)))
            for vacancy in result.scalars():
                values = wanted[vacancy.code]
                process = processes.get(vacancy.code, vacancy.process_description)
                if (vacancy.title, vacancy.recruiter_id, vacancy.process_description) != (
                    values["title"],
                    values["recruiter_id"],
                    process,
                ):
                    self.changed_vacancies.add(vacancy.code)
                vacancy.title = values["title"]
                vacancy.recruiter_id = values["recruiter_id"]
                vacancy.process_description = process
                found[vacancy.code] = (vacancy.id, vacancy.ack_working_days)
        new = [
            Vacancy(
                code=code,
                ack_working_days=self.settings.ack_working_days,
                process_description=processes.get(code),
                **values,
            )
            for code, values in wanted.items()
            if code not in found
        ]
        self.session.add_all(new)
        await self.session.flush()
        found.update({v.code: (v.id, v.ack_working_days) for v in new})
        return found

    # -- applications --------------------------------------------------------------------

    def _due(self, row: ImportRow, working_days: int) -> datetime:
        return ack_due_at(
            row.applied_at, working_days, self.settings.timezone, self.settings.holiday_country
        )

    def _acknowledged_at(self, row: ImportRow, stored: datetime | None) -> datetime | None:
        if row.acknowledged_at is not None:
            return row.acknowledged_at
        if stored is not None:
            # An acknowledgement recorded here (by the desk, say) outlives an export without one.
            return stored
        if row.status is not Status.APPLIED and row.status not in CLOSED_STATUSES:
            return self.now  # past `applied`, the ATS has evidently acknowledged it
        return None

    async def _create_applications(
        self,
        rows: Sequence[ImportRow],
        vacancies: dict[str, tuple[int, int]],
        candidates: dict[str, int],
        summary: ImportSummary,
    ) -> None:
        references = await self._new_references(rows)
        values: list[dict[str, Any]] = []
        for row, reference in zip(rows, references, strict=True):
            vacancy_id, working_days = vacancies[row.vacancy_code]
            values.append(
                {
                    "reference": reference,
                    "candidate_id": candidates[row.candidate_email],
                    "vacancy_id": vacancy_id,
                    "applied_at": row.applied_at,
                    "ack_due_at": self._due(row, working_days),
                    "acknowledged_at": self._acknowledged_at(row, None),
                    "status": row.status.value,
                    "stage": row.stage,
                    "next_update_due_at": row.next_update_due_at,
                    "ats_system": row.ats_system,
                    "ats_id": row.ats_id,
                    "created_at": self.now,
                    "updated_at": self.now,
                }
            )
        await self._bulk_insert(Application.__table__, values)
        self.progress("created", len(values), len(values))
        await self._record_arrivals([v["reference"] for v in values])
        summary.created = len(values)
        summary.created_references = [v["reference"] for v in values]

    async def _record_arrivals(self, references: Sequence[str]) -> None:
        """The first StatusEvent of each new application: where it stood when we learnt of it.

        Built in the database from the rows just inserted, to spare a round trip of ids.
        """
        columns = ["application_id", "occurred_at", "actor", "source", "to_status", "stage", "note"]
        if self.on_postgresql:
            driver = await self._driver()
            await driver.execute(
                f"INSERT INTO status_events ({', '.join(columns)}) "
                "SELECT id, $1, $2, $3, status, stage, 'imported' FROM applications "
                "WHERE reference = ANY($4::text[])",
                self.now,
                self.actor,
                self.source,
                list(references),
            )
            return
        for chunk in _chunks(references):
            await self.session.execute(
                insert(StatusEvent).from_select(
                    columns,
                    select(
                        Application.id,
                        literal(self.now, Application.created_at.type),
                        literal(self.actor),
                        literal(self.source),
                        Application.status,
                        Application.stage,
                        literal("imported"),
                    ).where(Application.reference.in_(chunk)),
                )
            )

    async def _new_references(self, rows: Sequence[ImportRow]) -> list[str]:
        references = [row.reference or generate_reference() for row in rows]
        generated = {ref for ref, row in zip(references, rows, strict=True) if not row.reference}
        given = {row.reference for row in rows if row.reference}
        while True:
            clashes = generated & given
            for chunk in _chunks(list(generated)):
                result = await self.session.execute(
                    select(Application.reference).where(Application.reference.in_(chunk))
                )
                clashes.update(result.scalars())
            if len(generated) < sum(1 for row in rows if not row.reference):
                clashes.add("")  # two generated references collided with each other
            if not clashes:
                return references
            seen: set[str] = set(given)
            for index, row in enumerate(rows):
                if row.reference:
                    continue
                if references[index] in clashes or references[index] in seen:
                    references[index] = generate_reference()
                seen.add(references[index])
            generated = {r for r, row in zip(references, rows, strict=True) if not row.reference}

    async def _update_applications(
        self,
        pairs: Sequence[tuple[ImportRow, Application]],
        vacancies: dict[str, tuple[int, int]],
        candidates: dict[str, int],
        summary: ImportSummary,
    ) -> None:
        changes, events = [], []
        for row, stored in pairs:
            vacancy_id, working_days = vacancies[row.vacancy_code]
            wanted = {
                "candidate_id": candidates[row.candidate_email],
                "vacancy_id": vacancy_id,
                "applied_at": row.applied_at,
                "ack_due_at": self._due(row, working_days),
                "acknowledged_at": self._acknowledged_at(row, stored.acknowledged_at),
                "status": row.status.value,
                "stage": row.stage,
                "next_update_due_at": row.next_update_due_at,
                "ats_system": row.ats_system or stored.ats_system,
                "ats_id": row.ats_id or stored.ats_id,
            }
            if all(getattr(stored, name) == value for name, value in wanted.items()):
                if (
                    row.candidate_email in self.changed_people
                    or row.recruiter_email in self.changed_people
                    or row.vacancy_code in self.changed_vacancies
                ):
                    summary.updated += 1
                else:
                    summary.unchanged += 1
                continue
            summary.updated += 1
            wanted["updated_at"] = self.now
            changes.append({"_id": stored.id, **{f"new_{c}": v for c, v in wanted.items()}})
            if stored.status != row.status.value or stored.stage != row.stage:
                events.append(
                    {
                        "application_id": stored.id,
                        "occurred_at": self.now,
                        "actor": self.actor,
                        "source": self.source,
                        "from_status": stored.status,
                        "to_status": row.status.value,
                        "stage": row.stage,
                        "note": None,
                    }
                )
        columns = [c.removeprefix("new_") for c in changes[0] if c != "_id"] if changes else []
        for done, chunk in enumerate(_chunks(changes), start=1):
            await self.session.execute(
                update(Application)
                .where(Application.id == bindparam("_id"))
                .values({c: bindparam(f"new_{c}") for c in columns}),
                list(chunk),
            )
            self.progress("updated", min(done * CHUNK, len(changes)), len(changes))
        await self._bulk_insert(StatusEvent.__table__, events)
