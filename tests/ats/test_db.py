"""The ATS database's engine (ats/db.py) on the real PostgreSQL: the connections a busy process
uses at once are kept for the next use, not opened for one use and closed."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from sqlalchemy import text

from ats.db import create_engine
from ats.store import ATSStore
from tests.conftest import require_postgres


async def test_ten_sessions_at_once_keep_their_connections_for_the_next_ten() -> None:
    url = require_postgres()
    name = f"test-pool-{uuid.uuid4().hex[:8]}"
    engine = create_engine(url, connect_args={"server_settings": {"application_name": name}})
    store = ATSStore(engine)
    observer = await asyncpg.connect(url)

    async def backends() -> set[int]:
        rows = await observer.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1", name
        )
        return {row["pid"] for row in rows}

    async def ten_at_once() -> None:
        async def one() -> None:
            async with store.session() as session:
                await session.execute(text("SELECT pg_sleep(0.05)"))

        await asyncio.gather(*(one() for _ in range(10)))

    try:
        await ten_at_once()
        first = await backends()
        assert len(first) == 10
        await ten_at_once()
        assert await backends() == first  # the same ten: none closed after one use
    finally:
        await observer.close()
        await store.close()
