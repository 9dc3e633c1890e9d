"""The ATS reads of every message alone: what a conversation has proven, the application it
asks about. N reads at once on the real PostgreSQL, through the store as the action server
runs them (on asyncpg itself, ats/direct_reads.py) and through SQLAlchemy's AsyncConnection as
before; prints reads per second and this process's CPU time per read for each.

    .venv/bin/python bench/ats_reads.py [--reads 6000] [--concurrency 20]

Needs PostgreSQL (ATS_TEST_POSTGRES_URL's server; a database `helpdesk_bench_reads` is created
and dropped).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import psycopg2
from sqlalchemy.engine import make_url

from ats.applications import APPLICATION_BY_REFERENCE
from ats.db import create_engine
from ats.migrate import upgrade
from ats.models import Application, Candidate, ConversationProof, Recruiter, Vacancy
from ats.proofs import PROOFS_OF_CONVERSATION
from ats.store import ATSStore

DATABASE = "helpdesk_bench_reads"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
READS = (
    (PROOFS_OF_CONVERSATION, {"conversation_id": "bench-7"}),
    (APPLICATION_BY_REFERENCE, {"reference": "AP-7K3M-9XQ2"}),
)


def admin(url: str, statement: str) -> None:
    connection = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    connection.autocommit = True
    try:
        connection.cursor().execute(statement)
    finally:
        connection.close()


async def seed(store: ATSStore) -> None:
    async with store.session() as session, session.begin():
        recruiter = Recruiter(name="Eva Jansen", email="eva@example.com")
        vacancy = Vacancy(code="DATA-1", title="Data Analyst", recruiter=recruiter)
        candidate = Candidate(name="Sanne de Vries", email="sanne@example.nl", language="nl")
        session.add(
            Application(
                reference="AP-7K3M-9XQ2",
                candidate=candidate,
                vacancy=vacancy,
                applied_at=NOW - timedelta(days=3),
                ack_due_at=NOW + timedelta(days=4),
                created_at=NOW,
                updated_at=NOW,
            )
        )
        session.add(
            ConversationProof(
                conversation_id="bench-7",
                channel="rest",
                reference="AP-7K3M-9XQ2",
                email="sanne@example.nl",
                client="k3y",
                proven_at=NOW,
                last_seen_at=NOW,
            )
        )


async def by_sqlalchemy(store: ATSStore, statement: Any, parameters: dict[str, Any]) -> list:
    async with store.engine.execution_options(isolation_level="AUTOCOMMIT").connect() as c:
        return list((await c.execute(statement, parameters)).all())


async def measure(
    name: str, read: Callable[[Any, dict[str, Any]], Awaitable[list]], reads: int, at_once: int
) -> None:
    limit = asyncio.Semaphore(at_once)

    async def one(n: int) -> None:
        statement, parameters = READS[n % len(READS)]
        async with limit:
            assert len(await read(statement, parameters)) == 1

    await asyncio.gather(*(one(n) for n in range(200)))  # connections and statements ready
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(n) for n in range(reads)))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"| {name} | {reads} | {reads / seconds:,.0f} | {cpu / reads * 1e6:,.0f} µs |",
        flush=True,
    )


async def main(args: argparse.Namespace) -> None:
    base = os.environ.get("ATS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    url = str(make_url(base).set(database=DATABASE))
    admin(url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    admin(url, f"CREATE DATABASE {DATABASE}")
    store = ATSStore(create_engine(url))
    try:
        await upgrade(store.engine)
        await seed(store)
        print(f"{args.concurrency} reads at once, half proofs and half applications:\n")
        print("| path | reads | reads/s | CPU per read |")
        print("|---|---|---|---|")
        for _ in range(args.rounds):
            await measure(
                "SQLAlchemy AsyncConnection",
                lambda s, p: by_sqlalchemy(store, s, p),
                args.reads,
                args.concurrency,
            )
            await measure("store.read (asyncpg)", store.read, args.reads, args.concurrency)
    finally:
        await store.close()
        admin(url, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
