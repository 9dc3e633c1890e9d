"""Spooled work that survives a lost pod: moved from the local spool into PostgreSQL.

A Rasa server spools to local disk first (server/spool.py): that works while everything else
is away, PostgreSQL included. When the ATS store is PostgreSQL, each replay first ships the
spool's lines into the `spooled_work` table (one transaction per file, then the file keeps only
what was added meanwhile), and then does the work from the table, where every server sees it:
a pod that is lost, with its disk, loses at most what it spooled while PostgreSQL was away too.
With SQLite (one machine) the local spool is all there is, as before.

A server doing a row claims it for a while (FOR UPDATE SKIP LOCKED, then `claimed_until`), so
two servers never do the same row at once, and a server that dies mid-way leaves it to another
once the claim has passed. Rows are done in the order they were spooled.

Each row carries the keyed hash of its conversation (ats.privacy.keys), so an erasure removes
what is spooled for the conversation without the table naming it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from ats.models import SpooledWork
from ats.privacy.keys import ErasureKeys
from ats.services import Services
from ats.store import ATSStore
from ats.store_basics import utcnow
from server.spool import Conversation, Spool

logger = logging.getLogger(__name__)

# how long a server may take over a batch before another may take it over
CLAIM = timedelta(minutes=2)
BATCH = 100
# how often a waiting spool is moved to the database (a pod lost meanwhile loses that much)
SHIP_SECONDS = 5.0


@dataclass(frozen=True)
class Claimed:
    """One row taken to do: its id and the spooled item."""

    id: int
    item: dict[str, Any]


class SharedSpool:
    """One kind of spooled work ("events", "handovers") in the database."""

    def __init__(
        self, store: ATSStore, keys: ErasureKeys, kind: str, conversation: Conversation
    ) -> None:
        self.store = store
        self.keys = keys
        self.kind = kind
        self.conversation = conversation

    @classmethod
    def of(
        cls, store: ATSStore, keys: ErasureKeys, kind: str, conversation: Conversation
    ) -> SharedSpool | None:
        """The shared spool where the ATS store is PostgreSQL; None with SQLite."""
        if store.engine.dialect.name != "postgresql":
            return None
        return cls(store, keys, kind, conversation)

    @classmethod
    def for_services(
        cls, services: Services, kind: str, conversation: Conversation
    ) -> SharedSpool | None:
        return cls.of(services.store, ErasureKeys.of(services.settings), kind, conversation)

    async def ship(self, spool: Spool) -> int:
        """Moves the lines of every spool file this process may take over into the table;
        returns how many. Call it holding `spool.rewriting`. Raises when the database fails
        (the lines then stay on disk)."""
        shipped = 0
        for path in spool.files():
            if not spool.take_over(path):
                continue
            text = spool.read(path)
            rows = list(self._rows(text.splitlines()))
            if rows:
                async with self.store.session() as session, session.begin():
                    session.add_all(rows)
            # no await between reading what was added meanwhile and rewriting the file
            added = spool.read(path)[len(text) :]
            spool.rewrite(path, [added] if added else [])
            shipped += len(rows)
        if shipped:
            logger.info("moved %s spooled %s to the database", shipped, self.kind)
        return shipped

    def _rows(self, lines: Iterable[str]) -> Iterable[SpooledWork]:
        now = utcnow()
        for line in lines:
            try:
                item = json.loads(line)
                sender, _at = self.conversation(item)
            except (json.JSONDecodeError, AttributeError):
                logger.error("unreadable line in the %s spool: dropped", self.kind)
                continue
            yield SpooledWork(
                kind=self.kind,
                conversation_hash=self.keys.conversation(sender) if sender else None,
                body=json.dumps(item),
                spooled_at=now,
            )

    async def claim(self, limit: int = BATCH) -> list[Claimed]:
        """The oldest rows nobody is doing, claimed for CLAIM."""
        now = utcnow()
        async with self.store.session() as session, session.begin():
            rows = (
                await session.execute(
                    select(SpooledWork.id, SpooledWork.body)
                    .where(
                        SpooledWork.kind == self.kind,
                        or_(
                            SpooledWork.claimed_until.is_(None),
                            SpooledWork.claimed_until < now,
                        ),
                    )
                    .order_by(SpooledWork.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if rows:
                await session.execute(
                    update(SpooledWork)
                    .where(SpooledWork.id.in_([row.id for row in rows]))
                    .values(claimed_until=now + CLAIM)
                )
        return [Claimed(row.id, json.loads(row.body)) for row in rows]

    async def done(self, ids: list[int]) -> None:
        if ids:
            async with self.store.session() as session, session.begin():
                await session.execute(delete(SpooledWork).where(SpooledWork.id.in_(ids)))

    async def release(self, ids: list[int]) -> None:
        """Not done now: back to whoever tries next, in their place in the order."""
        if ids:
            async with self.store.session() as session, session.begin():
                await session.execute(
                    update(SpooledWork).where(SpooledWork.id.in_(ids)).values(claimed_until=None)
                )

    async def count(self) -> int:
        async with self.store.session() as session:
            query = select(func.count()).where(SpooledWork.kind == self.kind)
            return int((await session.execute(query)).scalar_one())

    async def do(self, work: Callable[[dict[str, Any]], Any]) -> tuple[int, bool]:
        """Does the rows in order with `work` (an async callable, True when done) until one
        fails; returns how many were done and whether the table is empty of this kind."""
        done = 0
        while batch := await self.claim():
            for index, claimed in enumerate(batch):
                if not await work(claimed.item):
                    await self.release([c.id for c in batch[index:]])
                    return done, False
                # one at a time: a server that dies now leaves at most this row done twice
                await self.done([claimed.id])
                done += 1
        return done, True


async def keep_shipping(shared: SharedSpool, spool: Spool, seconds: float = SHIP_SECONDS) -> None:
    """Moves what `spool` keeps to the database every `seconds`, until cancelled: work waiting
    on a long outage is not left on one pod's disk."""
    while True:
        await asyncio.sleep(seconds)
        if not spool.count():
            continue
        try:
            async with spool.rewriting:
                await shared.ship(spool)
        except Exception as error:  # the database away too: the lines stay on disk
            logger.warning("the %s spool stays on disk (%s)", shared.kind, type(error).__name__)


async def drop_shared_spool(store: ATSStore, conversation_hashes: list[str]) -> int:
    """Removes what is spooled for these conversations (erased); returns how many rows."""
    if not conversation_hashes or store.engine.dialect.name != "postgresql":
        return 0
    removed = 0
    async with store.session() as session, session.begin():
        for start in range(0, len(conversation_hashes), BATCH):
            chunk = conversation_hashes[start : start + BATCH]
            result = await session.execute(
                delete(SpooledWork).where(SpooledWork.conversation_hash.in_(chunk))
            )
            removed += result.rowcount or 0
    return removed
