"""Importing an ATS export: all rows or none, and the same file twice changes nothing.

Rows are matched to stored applications by the ATS's own id when the file has one, else by the
reference, else by candidate email and vacancy. Writes are bulk statements inside one
transaction, so a million-row export loads in minutes and a failure leaves the store as it was.

Erased applicants are not brought back: a new row whose application key or applicant address
matches an erasure tombstone (ats/privacy/keys.py) is left out when the ATS has it closed, and
imported when the ATS still holds it as active (the ATS is the employer's system of record); an
applicant who asked to be erased is then marked so the desk can say why they are back
(import_privacy.py, with the consent the ATS records).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ats.bulk import chunks
from ats.import_privacy import ImportPrivacy
from ats.import_report import ImportFailed, ImportSummary, Progress
from ats.import_writes import ImportWriter
from ats.models import Application, Candidate, Vacancy
from ats.rows import ImportRow, RowChecker, RowError, read_file
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow


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
    row_times: Mapping[str, datetime] | None = None,
) -> ImportSummary:
    """Creates or updates these applications; `source` names where the changes came from
    (an import, an ATS's webhook) on the status events they record, `row_times` when the ATS
    made each row's record (by ATS id; a file's rows have none): a status changed in the desk
    is weighed against them (ats/desk_changes.py)."""
    now = now or utcnow()
    async with store.session() as session, session.begin():
        run = _ImportRun(session, settings, actor, progress, now, source, row_times)
        return await run.execute(rows)


class _ImportRun(ImportPrivacy, ImportWriter):
    async def execute(self, rows: Sequence[ImportRow]) -> ImportSummary:
        summary = ImportSummary()
        existing = await self._match_existing(rows)
        rows, returning = await self._leave_out_erased(rows, existing, summary)
        await self._check_references(rows, existing)
        recruiters = await self._upsert_recruiters(rows)
        vacancies = await self._upsert_vacancies(rows, recruiters)
        candidates = await self._upsert_candidates(rows)
        await self._record_consent(rows, candidates)
        await self._mark_erasure_requested(returning, candidates)
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
            for chunk in chunks(ids):
                result = await self.session.execute(
                    select(*columns).where(
                        Application.ats_system == system, Application.ats_id.in_(chunk)
                    )
                )
                for app in result:
                    by_key[("ats", system, app.ats_id)] = app
        for chunk in chunks(references):
            result = await self.session.execute(
                select(*columns).where(Application.reference.in_(chunk))
            )
            for app in result:
                by_key[("reference", app.reference)] = app
        for chunk in chunks(sorted(set(pairs))):
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
            Application.closed_at,
        ]

    async def _check_references(
        self, rows: Sequence[ImportRow], existing: dict[int, Application]
    ) -> None:
        """A reference is an application's for good: it may not move to another one."""
        errors: list[RowError] = []
        wanted = {row.reference: row for row in rows if row.reference}
        owners: dict[str, int] = {}
        for chunk in chunks(list(wanted)):
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
