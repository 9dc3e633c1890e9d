"""ATS store at scale: import 1,000,000 applications, then time the bot's and the monitor's queries.

Run by hand (never in the test suite):

    .venv/bin/python bench/ats_scale.py                       # PostgreSQL and SQLite, 1M rows
    .venv/bin/python bench/ats_scale.py --database postgresql --rows 200000

PostgreSQL: BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/helpdesk_bench;
the database is created when missing and emptied before the run). SQLite: bench/out/ats.db.
It writes the generated export to bench/out/applications.csv, imports it with the same code as
`helpdesk ats import`, then measures lookup by reference, lookup by email and the overdue query
(p50/p95 over many calls) and prints the overdue query's plan.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import resource
import statistics
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy.engine import make_url

from ats.applications import overdue_query
from ats.db import create_engine, explain
from ats.importer import import_file
from ats.migrate import upgrade
from ats.reference import generate_reference
from ats.rows import COLUMNS
from ats.settings import Settings
from ats.store import ATSStore

OUT = Path(__file__).with_name("out")
UTC = timezone.utc
NOW = datetime.now(UTC)


@dataclass
class Result:
    database: str
    rows: int
    import_seconds: float
    reference_ms: tuple[float, float]
    email_ms: tuple[float, float]
    overdue_ms: tuple[float, float]
    overdue_rows: int
    plan: str


def generate(path: Path, rows: int, overdue: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """A realistic export: most applications handled or fresh, `overdue` of them ack-overdue."""
    rng = random.Random(seed)
    recruiters = [(f"Recruiter {i}", f"recruiter{i}@example.com") for i in range(200)]
    vacancies = [
        (f"VAC-{i:05d}", f"Vacancy {i}", recruiters[i % len(recruiters)]) for i in range(2000)
    ]
    statuses = ["acknowledged", "screening", "interview", "offer", "hired", "rejected", "withdrawn"]
    overdue_lines = set(rng.sample(range(rows), overdue))
    references, emails = [], []
    used: set[str] = set()  # 40 random bits: a million draws do collide now and then
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            code, title, (rname, remail) = vacancies[i % len(vacancies)]
            reference = generate_reference()
            while reference in used:
                reference = generate_reference()
            used.add(reference)
            email = f"candidate{i}@example.com"
            if i in overdue_lines:
                applied = NOW - timedelta(days=rng.uniform(10, 60))
                status, acknowledged = "applied", ""
            elif i % 10 == 0:  # fresh: applied in the last day, not yet due
                applied = NOW - timedelta(hours=rng.uniform(0, 20))
                status, acknowledged = "applied", ""
            else:
                applied = NOW - timedelta(days=rng.uniform(10, 400))
                status = statuses[i % len(statuses)]
                acknowledged = (applied + timedelta(days=rng.uniform(0.5, 4))).isoformat()
            writer.writerow(
                [
                    reference,
                    f"Candidate {i}",
                    email,
                    "nl" if i % 3 else "en",
                    "",
                    code,
                    title,
                    "",  # vacancy_process
                    rname,
                    remail,
                    applied.isoformat(timespec="seconds"),
                    acknowledged,
                    status,
                    "",
                    "",
                    "bench",
                    str(i),
                ]
            )
            if i % 997 == 0:
                references.append(reference)
                emails.append(email)
    return references, emails


async def reset(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(str(parsed.set(database="postgres")), isolation_level="AUTOCOMMIT")
        async with admin.connect() as connection:
            exists = await connection.exec_driver_sql(
                f"SELECT 1 FROM pg_database WHERE datname = '{parsed.database}'"
            )
            if exists.scalar() is None:
                await connection.exec_driver_sql(f'CREATE DATABASE "{parsed.database}"')
        await admin.dispose()
        engine = create_engine(url)
        async with engine.begin() as connection:
            await connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
            await connection.exec_driver_sql("CREATE SCHEMA public")
        await engine.dispose()
    else:
        _remove_sqlite(Path(parsed.database))


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


async def timed(calls, repeat: int) -> list[float]:
    samples = []
    for i in range(repeat):
        started = time.perf_counter()
        await calls(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def measure(
    database: str, url: str, csv_path: Path, references: list[str], emails: list[str]
) -> Result:
    await reset(url)
    settings = replace(Settings.from_env(), ats_database_url=url)
    store = ATSStore(create_engine(url))
    await upgrade(store.engine)

    def progress(stage: str, done: int, total: int) -> None:
        if total and done == total:
            print(f"    {stage} {done:,}", flush=True)

    started = time.perf_counter()
    summary = await import_file(store, csv_path, settings, actor="bench", progress=progress)
    import_seconds = time.perf_counter() - started
    print(f"  imported {summary.rows:,} rows in {import_seconds:.1f} s", flush=True)

    async with store.engine.begin() as connection:
        await connection.exec_driver_sql(
            "ANALYZE" if database == "postgresql" else "ANALYZE applications"
        )
    # warm up the pool and the caches the way a running server would be
    for reference in references[:50]:
        await store.find_application(reference)

    reference_ms = await timed(
        lambda i: store.find_application(references[i % len(references)].lower()), 1000
    )
    email_ms = await timed(
        lambda i: store.find_applications_by_email(emails[i % len(emails)]), 1000
    )
    overdue_found = len(await store.list_overdue(NOW))
    overdue_ms = await timed(lambda _: store.list_overdue(NOW), 20)

    async with store.engine.connect() as connection:
        plan = await explain(connection, overdue_query(NOW), analyze=True)
    await store.close()
    return Result(
        database,
        summary.rows,
        import_seconds,
        percentiles(reference_ms),
        percentiles(email_ms),
        percentiles(overdue_ms),
        overdue_found,
        plan,
    )


def report(results: list[Result]) -> None:
    print(
        "\n| database | rows | import | by reference p50/p95 | by email p50/p95 "
        "| overdue query p50/p95 (rows) |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.database} | {r.rows:,} | {r.import_seconds:.0f} s "
            f"| {r.reference_ms[0]:.2f} / {r.reference_ms[1]:.2f} ms "
            f"| {r.email_ms[0]:.2f} / {r.email_ms[1]:.2f} ms "
            f"| {r.overdue_ms[0]:.0f} / {r.overdue_ms[1]:.0f} ms ({r.overdue_rows:,}) |"
        )
    for r in results:
        print(f"\nOverdue query plan on {r.database}:\n{r.plan}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nPeak memory of the benchmark process: {peak:.0f} MB")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument("--database", choices=["postgresql", "sqlite", "both"], default="both")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/helpdesk_bench"
        ),
    )
    args = parser.parse_args()

    csv_path = OUT / f"applications-{args.rows}.csv"
    print(f"Generating {args.rows:,} applications ({args.overdue:,} overdue)...", flush=True)
    references, emails = generate(csv_path, args.rows, args.overdue)
    targets = []
    if args.database in ("postgresql", "both"):
        targets.append(("postgresql", args.postgres_url))
    if args.database in ("sqlite", "both"):
        targets.append(("sqlite", f"sqlite:///{OUT / 'ats.db'}"))
    results = []
    for database, url in targets:
        print(f"{database}:", flush=True)
        results.append(await measure(database, url, csv_path, references, emails))
    report(results)


if __name__ == "__main__":
    asyncio.run(main())
