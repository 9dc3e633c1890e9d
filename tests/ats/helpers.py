"""Builders for ATS test data, shared by the store and import tests."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from ats.importer import import_rows
from ats.models import Status
from ats.rows import COLUMNS, ImportRow
from ats.settings import Settings
from ats.store import ATSStore

UTC = timezone.utc
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def row(line: int = 2, **overrides: object) -> ImportRow:
    values: dict[str, object] = {
        "line": line,
        "reference": None,
        "candidate_name": "Sanne de Vries",
        "candidate_email": "sanne@example.nl",
        "candidate_language": "nl",
        "candidate_phone": None,
        "vacancy_code": "DATA-1",
        "vacancy_title": "Data Analyst",
        "recruiter_name": "Eva Jansen",
        "recruiter_email": "eva@example.com",
        "applied_at": datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        "acknowledged_at": None,
        "status": Status.APPLIED,
        "stage": None,
        "next_update_due_at": None,
        "ats_system": None,
        "ats_id": None,
    }
    values.update(overrides)
    return ImportRow(**values)  # type: ignore[arg-type]


async def add(
    store: ATSStore, settings: Settings, *rows: ImportRow, now: datetime | None = None
) -> None:
    await import_rows(store, list(rows), settings, now=now)


def csv_row(**overrides: str) -> dict[str, str]:
    values = {
        "reference": "",
        "candidate_name": "Sanne de Vries",
        "candidate_email": "sanne@example.nl",
        "candidate_language": "nl",
        "candidate_phone": "",
        "vacancy_code": "DATA-1",
        "vacancy_title": "Data Analyst",
        "vacancy_process": "",
        "recruiter_name": "Eva Jansen",
        "recruiter_email": "eva@example.com",
        "applied_at": "2026-11-02T10:00:00",
        "acknowledged_at": "",
        "status": "applied",
        "stage": "",
        "next_update_due_at": "",
        "ats_system": "",
        "ats_id": "",
    }
    values.update(overrides)
    return values


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_json(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def days(n: float) -> timedelta:
    return timedelta(days=n)
