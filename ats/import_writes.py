"""Storing an import's checked rows: recruiters, candidates and vacancies inserted or updated
(by email and vacancy code), and applications created with fresh references and a first
status event, or updated with a status event when they moved."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.bulk import CHUNK, BulkWriter, chunks
from ats.calendar import ack_due_at
from ats.desk_changes import Verdict, open_changes, weigh
from ats.import_report import ImportSummary, Progress
from ats.models import (
    CLOSED_STATUSES,
    CLOSED_VALUES,
    Application,
    AtsWriteback,
    Candidate,
    Recruiter,
    Status,
    StatusEvent,
    Vacancy,
)
from ats.reference import generate_reference
from ats.rows import ImportRow
from ats.settings import Settings


class ImportWriter(BulkWriter):
    """The writing half of an import run, in the transaction of `session`."""

    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        actor: str,
        progress: Progress,
        now: datetime,
        source: str = "import",
        row_times: Mapping[str, datetime] | None = None,
    ) -> None:
        self.session = session
        # when the ATS's record of each application (by its ATS id) was made: a pull's or a web
        # hook's; a file's rows have none, and count as older than any desk change
        self.row_times = row_times or {}
        self.settings = settings
        self.actor = actor
        self.source = source
        self.progress = progress
        self.now = now
        # Emails and vacancy codes whose stored details this import changed: their rows count
        # as updated even when the application itself did not change.
        self.changed_people: set[str] = set()
        self.changed_vacancies: set[str] = set()

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
        for chunk in chunks(emails):
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
        for chunk in chunks(list(wanted)):
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

    def _closed_at(self, row: ImportRow, stored: Application) -> datetime | None:
        if row.status not in CLOSED_STATUSES:
            return None
        closed: datetime | None = stored.closed_at
        if closed is not None and stored.status in CLOSED_VALUES:
            return closed  # still closed: the period keeps running from then
        return self.now

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
                    # closed before we learnt of it: the retention period runs from now
                    "closed_at": self.now if row.status in CLOSED_STATUSES else None,
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
        for chunk in chunks(references):
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
            for chunk in chunks(list(generated)):
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

    async def _weigh_desk_change(
        self, row: ImportRow, stored: Application, change: AtsWriteback, summary: ImportSummary
    ) -> ImportRow:
        """The row, or the row with the stored status and stage where an open desk change
        keeps them (ats/desk_changes.py); a kept disagreement is reported."""
        decided = await weigh(
            self.session,
            change,
            seen_status=row.status.value,
            seen_stage=row.stage,
            seen_at=self.row_times.get(row.ats_id or ""),
            source=self.source,
            now=self.now,
        )
        if decided in (Verdict.CONFIRM, Verdict.SUPERSEDE):
            return row
        if decided is Verdict.KEEP:
            summary.kept_for_desk.append((stored.reference or "", stored.status, row.status.value))
        return replace(row, status=Status(stored.status), stage=stored.stage)

    async def _update_applications(
        self,
        pairs: Sequence[tuple[ImportRow, Application]],
        vacancies: dict[str, tuple[int, int]],
        candidates: dict[str, int],
        summary: ImportSummary,
    ) -> None:
        changes, events = [], []
        desk = await open_changes(self.session, [stored.id for _, stored in pairs])
        for row, stored in pairs:
            if stored.id in desk:
                row = await self._weigh_desk_change(row, stored, desk[stored.id], summary)
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
                "closed_at": self._closed_at(row, stored),
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
        for done, chunk in enumerate(chunks(changes), start=1):
            await self.session.execute(
                update(Application)
                .where(Application.id == bindparam("_id"))
                .values({c: bindparam(f"new_{c}") for c in columns}),
                list(chunk),
            )
            self.progress("updated", min(done * CHUNK, len(changes)), len(changes))
        await self._bulk_insert(StatusEvent.__table__, events)
