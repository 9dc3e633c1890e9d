"""The deadline monitor at scale: one sweep over 1,000,000 applications of which 10,000 overdue.

Run by hand (never in the test suite):

    .venv/bin/python bench/sweep_scale.py                     # PostgreSQL, 1M rows, 10k overdue
    .venv/bin/python bench/sweep_scale.py --rows 200000 --overdue 2000

PostgreSQL: BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/helpdesk_bench;
created when missing and emptied first). It imports the same generated export as
bench/ats_scale.py, then times:
- the first sweep (escalate the overdue applications, queue one notice per applicant and one
  digest per recruiter), without and then with delivering the queued mail (to .eml files);
- a second sweep, which finds nothing new: the steady-state cost every 15 minutes;
- the same with ten times fewer overdue applications, to show the cost follows the overdue
  rows, not the table.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ats.db import create_engine
from ats.importer import import_file
from ats.linking import ChatLinks
from ats.mail import Mailer
from ats.migrate import upgrade
from ats.settings import Settings
from ats.store import ATSStore
from bench.ats_scale import NOW, OUT, generate, reset
from monitor.sweep import Sweeper, describe


async def prepare(url: str, rows: int, overdue: int) -> tuple[ATSStore, Settings]:
    csv_path = OUT / f"sweep-{rows}-{overdue}.csv"
    print(f"Generating {rows:,} applications ({overdue:,} overdue)...", flush=True)
    generate(csv_path, rows, overdue)
    await reset(url)
    outbox = OUT / "sweep-outbox"
    shutil.rmtree(outbox, ignore_errors=True)
    settings = replace(Settings.from_env(), ats_database_url=url, outbox_dir=outbox, smtp_host=None)
    store = ATSStore(create_engine(url))
    await upgrade(store.engine)
    started = time.perf_counter()
    await import_file(store, csv_path, settings, actor="bench")
    print(f"  imported in {time.perf_counter() - started:.0f} s", flush=True)
    async with store.engine.begin() as connection:
        await connection.exec_driver_sql("ANALYZE")
    return store, settings


async def sweep_once(store: ATSStore, settings: Settings, *, deliver: bool) -> float:
    mailer = Mailer(store, settings)
    sweeper = Sweeper(store, settings, mailer, ChatLinks(store, b"bench"), None, lambda: NOW)
    started = time.perf_counter()
    if deliver:
        report = await sweeper.sweep()
    else:
        escalated = await sweeper.escalate_overdue(NOW)
        emailed, _ = await sweeper.tell_applicants(NOW)
        digests = await sweeper.send_digests()
        report = None
        print(f"    {escalated:,} escalated, {emailed:,} notices, {digests} digests queued")
    seconds = time.perf_counter() - started
    if report is not None:
        print(f"    {describe(report)}")
    return seconds


async def run(url: str, rows: int, overdue: int) -> dict[str, float]:
    store, settings = await prepare(url, rows, overdue)
    figures = {}
    try:
        print("  first sweep, mail queued (not delivered):", flush=True)
        figures["first sweep, queued"] = await sweep_once(store, settings, deliver=False)
        started = time.perf_counter()
        sent = await Mailer(store, settings).deliver_pending()
        figures["delivering the queued mail"] = time.perf_counter() - started
        print(f"    {sent:,} mails delivered to {settings.outbox_dir}")
        print("  second sweep (nothing new):", flush=True)
        figures["second sweep"] = await sweep_once(store, settings, deliver=True)
    finally:
        await store.close()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--overdue", type=int, default=10_000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/helpdesk_bench"
        ),
    )
    args = parser.parse_args()
    results = {}
    for overdue in (args.overdue, args.overdue // 10):
        results[overdue] = await run(args.postgres_url, args.rows, overdue)
    print(f"\nPostgreSQL, {args.rows:,} applications:")
    print("| overdue | first sweep (queued) | delivering the mail | second sweep |")
    print("|---|---|---|---|")
    for overdue, figures in results.items():
        print(
            f"| {overdue:,} | {figures['first sweep, queued']:.2f} s "
            f"| {figures['delivering the queued mail']:.1f} s | {figures['second sweep']:.2f} s |"
        )


if __name__ == "__main__":
    Path(OUT).mkdir(exist_ok=True)
    asyncio.run(main())
