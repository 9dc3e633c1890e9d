"""Conversations in Rasa's SQL tracker store (HELPDESK_TRACKER_STORE_URL), read for an access
request and deleted for an erasure, straight in its database: the purge must work while every
Rasa server is down, and Rasa's tracker store API has no delete.

Only Rasa's `events` table is touched (sender_id, timestamp, type_name, data), with its own
column names, so the store stays Rasa's. The in-memory tracker store of a single server cannot
be reached from here: `tracker_erasures` asks that server to drop them (server/erasures.py).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

T = TypeVar("T")
CHUNK = 500

EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("data", sa.Text),
)


@dataclass(frozen=True)
class ConversationLine:
    """One message of a conversation: when, who ("applicant" or "assistant"), what."""

    at: datetime
    speaker: str
    text: str


class TrackerEvents:
    """Rasa's `events` table in the tracker store's database."""

    def __init__(self, url: str) -> None:
        # psycopg2, as Rasa's own store: a short connect timeout keeps a purge from hanging
        self.engine: Engine = sa.create_engine(
            _sync_url(url), pool_pre_ping=True, connect_args=_connect_args(url)
        )

    async def close(self) -> None:
        await asyncio.to_thread(self.engine.dispose)

    async def _run(self, work: Callable[[], T]) -> T:
        return await asyncio.to_thread(work)

    async def _exists(self) -> bool:
        return await self._run(lambda: sa.inspect(self.engine).has_table("events"))

    async def conversation(self, sender_id: str) -> list[ConversationLine]:
        """What the applicant and the assistant said in this conversation, oldest first."""

        def read() -> list[ConversationLine]:
            query = (
                sa.select(EVENTS.c.type_name, EVENTS.c.timestamp, EVENTS.c.data)
                .where(EVENTS.c.sender_id == sender_id, EVENTS.c.type_name.in_(("user", "bot")))
                .order_by(EVENTS.c.id)
            )
            with self.engine.connect() as connection:
                return [_line(*row) for row in connection.execute(query)]

        if not await self._exists():
            return []
        return [line for line in await self._run(read) if line.text]

    async def delete(self, sender_ids: Iterable[str]) -> int:
        """Remove these conversations entirely; returns the number of events removed."""
        ids = sorted(set(sender_ids))
        if not ids or not await self._exists():
            return 0

        def remove() -> int:
            removed = 0
            with self.engine.begin() as connection:
                for start in range(0, len(ids), CHUNK):
                    chunk = ids[start : start + CHUNK]
                    result = connection.execute(
                        EVENTS.delete().where(EVENTS.c.sender_id.in_(chunk))
                    )
                    removed += result.rowcount or 0
            return removed

        return await self._run(remove)

    async def idle_since(self, cutoff: datetime) -> list[str]:
        """Conversations whose latest event is older than `cutoff`."""
        if not await self._exists():
            return []

        def read() -> list[str]:
            query = (
                sa.select(EVENTS.c.sender_id)
                .group_by(EVENTS.c.sender_id)
                .having(sa.func.max(EVENTS.c.timestamp) < cutoff.timestamp())
            )
            with self.engine.connect() as connection:
                return list(connection.execute(query).scalars())

        return await self._run(read)


def _line(type_name: str, timestamp: float | None, data: str) -> ConversationLine:
    event: dict[str, Any] = json.loads(data or "{}")
    at = datetime.fromtimestamp(timestamp or 0, tz=timezone.utc)
    speaker = "applicant" if type_name == "user" else "assistant"
    return ConversationLine(at, speaker, str(event.get("text") or ""))


def _sync_url(url: str) -> str:
    scheme, _, rest = url.partition("://")
    if scheme.split("+")[0] in {"postgresql", "postgres"}:
        return f"postgresql+psycopg2://{rest}"
    return url


def _connect_args(url: str) -> dict[str, Any]:
    return {"connect_timeout": 3} if url.startswith(("postgres", "postgresql")) else {}


def conversation_ids(pairs: Sequence[tuple[str, str]]) -> list[str]:
    return sorted({conversation for _channel, conversation in pairs})
