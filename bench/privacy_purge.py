"""The retention purge at scale: erase 100,000 closed applications out of 1,000,000 on PostgreSQL.

Run by hand (never in the test suite):

    .venv/bin/python bench/privacy_purge.py                     # 1,000,000 with 100,000 due
    .venv/bin/python bench/privacy_purge.py postgresql://postgres@127.0.0.1:5432/other_bench
    .venv/bin/python bench/privacy_purge.py --rows 200000 --due 20000

The database (argument, else BENCH_POSTGRES_URL, else postgresql://postgres@127.0.0.1:5432/
imports_bench) is created when missing and emptied first. The data is written with COPY, as a
help desk that has run for a while holds it: every application has its arrival status event
and each closed one its closing event; `--due` of them are closed past the retention period
(most without consent, some with consent closed longer than the consent period), the rest open,
closed recently or kept by consent; the due ones have mails, escalations and conversations.

It prints the plan of the purge's selection query (EXPLAIN (ANALYZE, BUFFERS): it should be an
index scan on ix_applications_closed_unerased_closed_at reading only the rows it returns), runs
`RetentionPurge.run()` once and times it, counts what is left, and reports which tables the
purge read whole (sequential scans, from pg_stat_user_tables), as markdown tables.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from ats.db import create_engine, explain
from ats.migrate import upgrade
from ats.privacy.retention import RetentionPurge
from ats.settings import Settings
from ats.store import ATSStore

sys.path.insert(0, str(Path(__file__).parent))
from ats_scale import reset

UTC = timezone.utc
NOW = datetime.now(UTC)
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/imports_bench"
OPEN = ["applied", "acknowledged", "screening", "interview", "offer", "on_hold"]
CLOSED = ["hired", "rejected", "withdrawn"]
TABLES = (
    "applications",
    "candidates",
    "status_events",
    "escalations",
    "outgoing_mail",
    "applicant_conversations",
    "erasure_tombstones",
)


@dataclass
class Built:
    rows: int
    due: int
    kept_by_consent: int
    closed_recently: int
    seconds: float


def _days(low: float, high: float, rng: random.Random) -> timedelta:
    return timedelta(days=rng.uniform(low, high))


async def build(url: str, rows: int, due: int, seed: int = 16) -> Built:
    """A help desk's data, written with COPY (the importer's path is measured by ats_scale.py)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    kept = rows // 50  # closed 2-11 months ago with consent: kept for the consent period
    recent = rows // 5  # closed in the last four weeks
    order = list(range(rows))
    rng.shuffle(order)
    due_ids = set(order[:due])
    kept_ids = set(order[due : due + kept])
    recent_ids = set(order[due + kept : due + kept + recent])

    recruiters = [(i, f"Recruiter {i}", f"recruiter{i}@example.com") for i in range(1, 201)]
    vacancies = [(i, f"VAC-{i:05d}", f"Vacancy {i}", 1 + i % 200, 5) for i in range(1, 2001)]
    candidates: list[tuple[Any, ...]] = []
    applications: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    escalations: list[tuple[Any, ...]] = []
    mails: list[tuple[Any, ...]] = []
    conversations: list[tuple[Any, ...]] = []
    for i in range(rows):
        app_id = i + 1
        name, email = f"Candidate {i}", f"candidate{i}@example.com"
        consent_at = None
        if i in due_ids:
            status = CLOSED[i % 3]
            if i % 20 == 0:  # consented, but closed longer ago than the consent period
                closed_at = NOW - _days(400, 730, rng)
                consent_at = closed_at - _days(10, 60, rng)
            else:
                closed_at = NOW - _days(29, 360, rng)
        elif i in kept_ids:
            status, closed_at = CLOSED[i % 3], NOW - _days(60, 330, rng)
            consent_at = closed_at - _days(10, 60, rng)
        elif i in recent_ids:
            status, closed_at = CLOSED[i % 3], NOW - _days(0, 27, rng)
        else:
            status, closed_at = OPEN[i % len(OPEN)], None
        applied = (closed_at or NOW) - _days(5, 90, rng)
        acknowledged = applied + _days(0.5, 4, rng)
        vacancy = vacancies[i % len(vacancies)]
        candidates.append(
            (app_id, name, email, None, "nl" if i % 3 else "en", consent_at)
            + (("ats", "Consent recorded in the ATS.") if consent_at else (None, None))
        )
        applications.append(
            (app_id, f"AP{app_id:010d}", app_id, vacancy[0], applied, applied + timedelta(days=7))
            + (acknowledged, status, None, None, "bench", str(i), applied, closed_at or applied)
            + (closed_at,)
        )
        events.append((app_id, applied, "import", "import", None, "applied", None, "imported"))
        if closed_at is not None:
            events.append(
                (app_id, closed_at, "bench", "bench", "interview", status, None, f"{name}: done")
            )
        if i in due_ids or i % 10 == 0:  # the due ones and a tenth of the others heard from us
            mails.append(
                (len(mails) + 1, email, f"Your application for {vacancy[2]}", "", "receipt")
                + (applied, applied + timedelta(minutes=1), 1)
            )
        if i % 5 == 0 and closed_at is not None:  # a fifth of the closed ones asked for a person
            created = applied + _days(1, 4, rng)
            escalations.append(
                (len(escalations) + 1, app_id, name, email, "applicant_request", "webchat")
                + (f"web-{i}", vacancy[3], "resolved", created + timedelta(days=1), created)
                + (created + timedelta(hours=5), f"{name} asked when they would hear back.")
            )
        if i % 2 == 0:
            conversations.append((len(conversations) + 1, app_id, "webchat", f"web-{i}", applied))

    connection = await asyncpg.connect(url)
    try:
        copies: list[tuple[str, list[str], list[tuple[Any, ...]]]] = [
            ("recruiters", ["id", "name", "email"], recruiters),
            ("vacancies", ["id", "code", "title", "recruiter_id", "ack_working_days"], vacancies),
            (
                "candidates",
                ["id", "name", "email", "phone", "language", "consent_given_at"]
                + ["consent_source", "consent_wording"],
                candidates,
            ),
            (
                "applications",
                ["id", "reference", "candidate_id", "vacancy_id", "applied_at", "ack_due_at"]
                + ["acknowledged_at", "status", "stage", "next_update_due_at", "ats_system"]
                + ["ats_id", "created_at", "updated_at", "closed_at"],
                applications,
            ),
            (
                "status_events",
                ["application_id", "occurred_at", "actor", "source", "from_status"]
                + ["to_status", "stage", "note"],
                events,
            ),
            (
                "outgoing_mail",
                ["id", "to_address", "subject", "body", "purpose", "created_at", "sent_at"]
                + ["attempts"],
                mails,
            ),
            (
                "escalations",
                ["id", "application_id", "applicant_name", "applicant_email", "reason"]
                + ["channel", "conversation_id", "recruiter_id", "state", "respond_by"]
                + ["created_at", "resolved_at", "summary"],
                escalations,
            ),
            (
                "applicant_conversations",
                ["id", "candidate_id", "channel", "conversation_id", "first_seen_at"],
                conversations,
            ),
        ]
        for table, columns, records in copies:
            await connection.copy_records_to_table(table, records=records, columns=columns)
            if "id" in columns:  # later inserts (the purge's own rows) take the next ids
                await connection.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return Built(rows, due, kept, recent, time.perf_counter() - started)


async def scans(url: str) -> dict[str, tuple[int, int, int]]:
    """table -> (sequential scans, rows they read, index scans) so far."""
    connection = await asyncpg.connect(url)
    try:
        # the statistics collector reports with a delay: ask it for fresh figures
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        found = await connection.fetch(
            "SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) "
            "FROM pg_stat_user_tables WHERE relname = ANY($1::text[])",
            list(TABLES),
        )
        return {record[0]: (record[1], record[2], record[3]) for record in found}
    finally:
        await connection.close()


async def count(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url)
    try:
        return {
            "closed unerased": await connection.fetchval(
                "SELECT count(*) FROM applications WHERE closed_at IS NOT NULL "
                "AND erased_at IS NULL"
            ),
            "erased": await connection.fetchval(
                "SELECT count(*) FROM applications WHERE erased_at IS NOT NULL"
            ),
            "candidates": await connection.fetchval("SELECT count(*) FROM candidates"),
            "mails": await connection.fetchval("SELECT count(*) FROM outgoing_mail"),
            "tombstones": await connection.fetchval("SELECT count(*) FROM erasure_tombstones"),
        }
    finally:
        await connection.close()


async def watch(url: str, started: float, every: float = 15.0) -> None:
    """Progress while the purge runs: how many applications it has erased so far."""
    connection = await asyncpg.connect(url)
    try:
        while True:
            await asyncio.sleep(every)
            erased = await connection.fetchval(
                "SELECT count(*) FROM applications WHERE erased_at IS NOT NULL"
            )
            print(f"  {time.perf_counter() - started:.0f} s: {erased:,} erased", flush=True)
    finally:
        await connection.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_URL))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=100_000)
    args = parser.parse_args()
    url = args.url
    if make_url(url).get_backend_name() != "postgresql":
        parser.error("the purge benchmark runs on PostgreSQL")

    await reset(url)
    store = ATSStore(create_engine(url))
    await upgrade(store.engine)
    print(f"Building {args.rows:,} applications ({args.due:,} past retention)...", flush=True)
    built = await build(url, args.rows, args.due)
    print(f"  built in {built.seconds:.0f} s", flush=True)

    # a fixed key: the tombstones need one, and the machine's own key file is not touched
    settings = replace(Settings.from_env(), ats_database_url=url, secret_key="bench " * 8)
    purge = RetentionPurge(store, settings, clock=lambda: NOW)
    async with store.engine.connect() as connection:
        plan = await explain(connection, purge.selection(NOW), analyze=True)
    before = await count(url)
    read_before = await scans(url)
    started = time.perf_counter()
    watching = asyncio.create_task(watch(url, started))
    try:
        report = await purge.run()
    finally:
        watching.cancel()
    seconds = time.perf_counter() - started
    read_after = await scans(url)
    after = await count(url)
    async with store.engine.connect() as connection:
        plan_after = await explain(connection, purge.selection(NOW), analyze=True)
    await store.close()

    print(
        "\n| applications | past retention | purge wall time | applications erased "
        "| applicants removed | escalations erased | per 1,000 |"
    )
    print("|---|---|---|---|---|---|---|")
    per_thousand = seconds / max(report.applications, 1) * 1000
    print(
        f"| {built.rows:,} | {built.due:,} | {seconds:.1f} s | {report.applications:,} "
        f"| {report.applicants:,} | {report.escalations:,} | {per_thousand:.2f} s |"
    )
    print("\n| | before | after |\n|---|---|---|")
    for name in before:
        print(f"| {name} | {before[name]:,} | {after[name]:,} |")
    print("\n| table | sequential scans during the purge | rows they read | index scans |")
    print("|---|---|---|---|")
    for table in TABLES:
        seq0, tup0, idx0 = read_before.get(table, (0, 0, 0))
        seq1, tup1, idx1 = read_after.get(table, (0, 0, 0))
        print(f"| {table} | {seq1 - seq0:,} | {tup1 - tup0:,} | {idx1 - idx0:,} |")
    print(f"\nPurge report: {report.describe()}")
    print(f"\nSelection query plan (first batch, before the purge):\n{plan}")
    print(f"\nSelection query plan after the purge (nothing left to erase):\n{plan_after}")


if __name__ == "__main__":
    asyncio.run(main())
