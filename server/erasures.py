"""Erased conversations leave every Rasa server too: its memory and the spool files on its disk.

An erasure (ats/privacy/erasure.py, the retention purge of ats/privacy/retention.py) deletes
conversations from Rasa's SQL tracker store directly, in its database. It cannot reach into a
Rasa server's in-memory tracker store, nor into the spool files on that server's machine, so it
writes a keyed hash of each erased sender id to the `tracker_erasures` table, and every Rasa
server process looks there every HELPDESK_ERASURE_CHECK_SECONDS (60):

- with the in-memory tracker store (no HELPDESK_TRACKER_STORE_URL) it drops each conversation
  whose sender id hashes to an erasure asked since it last looked, and, at most hourly, the
  conversations that never verified (their sender id is in neither `applicant_conversations`
  nor `linked_chats`) and have had no event for HELPDESK_UNVERIFIED_RETENTION_DAYS: the purge
  cannot see those, so this server erases them, counts them (audit row, metric) and announces
  them to the event broker's consumers as the purge does for the SQL tracker store;
- from the spool folders (`events` for RabbitMQ, `handovers`; server/spool.py) it removes every
  line of an erased conversation: in this process's own files under the spool's `rewriting`
  lock (never in the middle of a replay), and in the files of processes that have stopped
  while holding their lock (so no other server takes them over meanwhile). The file of another
  live process is left alone: that process's own check filters it.

An erasure covers what the conversation held when it was asked for: a conversation begun again
afterwards under the same sender id (a Telegram chat id does not change) is kept. That also
makes reading an erasure twice harmless, so each check reads the erasures asked since the latest
it saw, less LOOKBACK (a purge's transaction commits a while after it took its time).

Only counts are logged, never a sender id (a web chat's is a bearer secret). A database or disk
that fails is logged, and the next check tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import InMemoryTrackerStore
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from ats.models import ApplicantConversation, AuditEntry, LinkedChat, TrackerErasure
from ats.privacy.erasure_steps import Erased, announce, count_erased
from ats.privacy.keys import ErasureKeys
from ats.review import forget_review_messages
from ats.services import Services
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow
from server import handovers
from server.broker import SpoolingPikaEventBroker
from server.shared_spool import drop_shared_spool
from server.spool import Conversation, Spool, number, spooled_event, spooled_handover
from server.tracker_store import forget, unwrapped

logger = logging.getLogger(__name__)

# how far back each check reads again: longer than any erasure's transaction takes to commit
LOOKBACK = timedelta(hours=1)
# conversations idle for days need not be looked for every minute (it parses every tracker)
IDLE_SWEEP_EVERY = timedelta(hours=1)
# a shorter setting would have every Rasa server query the ATS database without pause
MIN_CHECK_SECONDS = 1.0
CHUNK = 500


@dataclass(frozen=True)
class SpoolFolder:
    """One kind of spooled work: its folder, this process's spool there (None when this process
    writes none) and how its lines name their conversation."""

    folder: Path
    own: Spool | None
    conversation: Conversation


@dataclass(frozen=True)
class ErasureCheck:
    """What one check did: erasures read, conversations dropped from memory (asked for, and
    never verified and idle), spooled lines removed."""

    requests: int
    conversations: int
    idle: int
    spooled: int

    def describe(self) -> str:
        return (
            f"{self.conversations} erased conversation(s) and {self.idle} idle one(s) that "
            f"never verified dropped from memory, {self.spooled} spooled line(s) removed"
        )


class ConversationEraser:
    """Drops erased conversations from this Rasa server's memory and spool files."""

    def __init__(
        self,
        store: ATSStore,
        settings: Settings,
        *,
        tracker_store: Any = None,
        lock_store: Any = None,
        spools: Sequence[SpoolFolder] = (),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.settings = settings
        self._use(tracker_store, lock_store)
        # Rasa's agent, when the check follows it: the API's PUT /model replaces the agent
        self.current_agent: Callable[[], Any] | None = None
        self.spools = tuple(spools)
        self.clock = clock
        self.keys = ErasureKeys.of(settings)
        self._latest: datetime | None = None  # the latest erasure seen: None reads them all
        self._idle_swept_at: datetime | None = None
        self._hashes: dict[str, str] = {}  # sender id -> its hash, for the conversations held

    @classmethod
    def of_agent(cls, agent: Any, services: Services) -> ConversationEraser:
        """The check for the Rasa server that loaded `agent`: its tracker and lock stores, the
        event broker's spool and the hand-over spool."""
        settings = services.settings
        tracker_store = getattr(agent, "tracker_store", None)
        broker = getattr(unwrapped(tracker_store), "event_broker", None)
        folder = settings.servers.spool_dir
        return cls(
            services.store,
            settings,
            tracker_store=tracker_store,
            lock_store=getattr(agent, "lock_store", None),
            spools=(
                SpoolFolder(
                    folder / "events",
                    broker.spool if isinstance(broker, SpoolingPikaEventBroker) else None,
                    spooled_event,
                ),
                SpoolFolder(folder / "handovers", handovers.spool(), spooled_handover),
            ),
        )

    def _use(self, tracker_store: Any, lock_store: Any) -> None:
        inner = unwrapped(tracker_store)
        # the SQL tracker store is erased in its database by the erasure itself
        self.memory: InMemoryTrackerStore | None = (
            inner if isinstance(inner, InMemoryTrackerStore) else None
        )
        self.lock_store = lock_store

    # -- the check ---------------------------------------------------------------------------

    async def check(self) -> ErasureCheck:
        """One look at the erasures asked since the last; raises when the database fails."""
        now = self.clock()
        if self.current_agent is not None:
            agent = self.current_agent()
            self._use(getattr(agent, "tracker_store", None), getattr(agent, "lock_store", None))
        erased, latest = await self._erasures()
        conversations = await self._drop_erased(erased)
        idle, idle_erased = await self._drop_idle(now)
        spooled = 0
        for kind in self.spools:
            spooled += await self._filter_spool(kind, {**erased, **idle_erased})
        spooled += await drop_shared_spool(self.store, [*erased, *idle_erased])
        self._latest = latest  # only once everything is done: a failed check reads them again
        done = ErasureCheck(len(erased), conversations, idle, spooled)
        if conversations or idle or spooled:
            logger.info("erasure check: %s", done.describe())
        return done

    async def loop(self, interval: float | None = None) -> None:
        """Checks every HELPDESK_ERASURE_CHECK_SECONDS until cancelled (the server stops)."""
        seconds = max(MIN_CHECK_SECONDS, interval or self.settings.servers.erasure_check_seconds)
        running = asyncio.current_task()
        if running is not None:
            _checks.add(running)
        try:
            while True:
                try:
                    await self.check()
                except Exception as error:  # the database away: the next check tries again
                    logger.warning(
                        "the erasure check failed (%s); trying again in %s s",
                        _safe(error),
                        seconds,
                    )
                await asyncio.sleep(seconds)
        finally:
            if running is not None:
                _checks.discard(running)

    async def _erasures(self) -> tuple[dict[str, float], datetime | None]:
        """Erasures asked since the latest seen (less LOOKBACK): hash -> when, and the latest."""
        query = select(TrackerErasure.conversation_hash, TrackerErasure.requested_at)
        if self._latest is not None:
            query = query.where(TrackerErasure.requested_at >= self._latest - LOOKBACK)
        async with self.store.session() as session:
            rows = (await session.execute(query)).all()
        seen = [row.requested_at for row in rows] + ([self._latest] if self._latest else [])
        latest = max(seen, default=None)
        return {row.conversation_hash: row.requested_at.timestamp() for row in rows}, latest

    # -- the in-memory tracker store ---------------------------------------------------------

    def _hash(self, sender_id: str) -> str:
        known = self._hashes.get(sender_id)
        if known is None:
            known = self._hashes[sender_id] = self.keys.conversation(sender_id)
        return known

    async def _drop_erased(self, erased: dict[str, float]) -> int:
        if self.memory is None or not erased:
            return 0
        held = list(self.memory.store)
        self._hashes = {sender: self._hash(sender) for sender in held}  # forget the dropped
        dropped = 0
        for sender in held:
            asked_at = erased.get(self._hashes[sender])
            if asked_at is None:
                continue
            async with self._conversation_locked(sender):
                first, _ = _span(self.memory.store.get(sender))
                # begun again after the erasure was asked for: a new conversation, kept
                if sender in self.memory.store and (first is None or first <= asked_at):
                    forget(self.memory, sender)
                    dropped += 1
        return dropped

    async def _drop_idle(self, now: datetime) -> tuple[int, dict[str, float]]:
        """Conversations that never verified, idle for the period: how many were dropped, and
        their hashes (for the spools)."""
        if self.memory is None:
            return 0, {}
        if self._idle_swept_at is not None and now - self._idle_swept_at < IDLE_SWEEP_EVERY:
            return 0, {}
        cutoff = (now - timedelta(days=self.settings.unverified_retention_days)).timestamp()
        held = list(self.memory.store.items())
        # parsing every conversation held takes a while: not on the event loop
        idle = await asyncio.to_thread(_idle, held, cutoff)
        strangers = await self._never_verified(idle)
        if strangers:
            async with self.store.session() as session, session.begin():
                # the event broker's consumers erase them too (ats/privacy/announcements.py)
                await announce(session, "unverified", now, sender_ids=strangers, references=[])
                # their masked messages in the review inbox: the text goes, the figures stay
                await forget_review_messages(session, [self._hash(s) for s in strangers], now)
                session.add(
                    AuditEntry(
                        at=now,
                        actor="Rasa server",
                        action="purge",
                        detail=f"unverified in memory: {len(strangers)} conversation(s)",
                    )
                )
        dropped: dict[str, float] = {}
        for sender in strangers:
            async with self._conversation_locked(sender):
                _, last = _span(self.memory.store.get(sender))
                if sender in self.memory.store and (last is None or last < cutoff):
                    forget(self.memory, sender)
                    dropped[self._hash(sender)] = now.timestamp()
        count_erased(Erased(conversations=tuple(("", s) for s in dropped)), "unverified")
        self._idle_swept_at = now
        return len(dropped), dropped

    async def _never_verified(self, senders: list[str]) -> list[str]:
        known: set[str] = set()
        async with self.store.session() as session:
            for start in range(0, len(senders), CHUNK):
                chunk = senders[start : start + CHUNK]
                for column in (ApplicantConversation.conversation_id, LinkedChat.chat_id):
                    known.update(await session.scalars(select(column).where(column.in_(chunk))))
        return [sender for sender in senders if sender not in known]

    @contextlib.asynccontextmanager
    async def _conversation_locked(self, sender_id: str) -> AsyncIterator[None]:
        """The conversation's lock: a message being handled would save it back."""
        if self.lock_store is None:
            yield
            return
        async with self.lock_store.lock(sender_id):
            yield

    # -- the spool files ---------------------------------------------------------------------

    async def _filter_spool(self, kind: SpoolFolder, erased: dict[str, float]) -> int:
        if not erased or not kind.folder.is_dir():
            return 0
        if kind.own is None:
            return self._filter_files(kind, erased)
        # no await while it is held: a replay waits a moment, a publish is never held up
        async with kind.own.rewriting:
            return self._filter_files(kind, erased)

    def _filter_files(self, kind: SpoolFolder, erased: dict[str, float]) -> int:
        removed = 0
        for path in sorted(kind.folder.glob("*.jsonl")):
            if kind.own is not None and path == kind.own.path:
                text = kind.own.read(path)
                kept, gone = self._kept(text, erased, kind.conversation)
                if gone:
                    kind.own.rewrite(path, kept)
                removed += gone
            else:
                removed += self._filter_stopped(path, kind, erased)
        return removed

    def _filter_stopped(self, path: Path, kind: SpoolFolder, erased: dict[str, float]) -> int:
        """A file of a process that has stopped, filtered while holding its lock; 0 when its
        process lives (it filters the file itself) or the file has gone."""
        flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        try:
            descriptor = os.open(path, flags)  # never created: a file gone stays gone
        except FileNotFoundError:
            return 0
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # a live process appends to it
            text = path.read_text(encoding="utf-8")
            kept, gone = self._kept(text, erased, kind.conversation)
            if gone:
                # emptied in place before it goes: a server that opened it meanwhile to take it
                # over reads nothing erased
                os.ftruncate(descriptor, 0)
                if kept:
                    os.write(descriptor, "".join(kept).encode("utf-8"))
                else:
                    path.unlink(missing_ok=True)
            return gone
        finally:
            os.close(descriptor)  # the lock goes with it

    def _kept(
        self, text: str, erased: dict[str, float], conversation: Conversation
    ) -> tuple[list[str], int]:
        kept: list[str] = []
        gone = 0
        for line in text.splitlines(keepends=True):
            try:
                item = json.loads(line)
                sender, at = conversation(item)
            except (json.JSONDecodeError, AttributeError):
                kept.append(line)  # the replay reports and drops what it cannot read
                continue
            asked_at = erased.get(self.keys.conversation(sender)) if sender else None
            if asked_at is not None and (at is None or at <= asked_at):
                gone += 1
            else:
                kept.append(line)
        return kept, gone


# the checks running in this process, stopped when the server stops
_checks: set[asyncio.Task] = set()


def start_checking(agent: Any, services: Services, app: Any) -> ConversationEraser:
    """Starts this Rasa server's erasure check, as a task of its Sanic `app`, on the agent the
    app serves at each check."""
    eraser = ConversationEraser.of_agent(agent, services)
    eraser.current_agent = lambda: getattr(app.ctx, "agent", None) or agent
    app.add_task(eraser.loop())
    return eraser


async def stop_checking() -> None:
    """Stops this process's erasure checks (before the hand-over spool closes)."""
    for task in list(_checks):
        task.cancel()
    await asyncio.gather(*_checks, return_exceptions=True)


def _idle(held: Iterable[tuple[str, str]], cutoff: float) -> list[str]:
    """The sender ids whose latest event is older than `cutoff` (epoch seconds)."""
    return [sender for sender, text in held if (_span(text)[1] or 0.0) < cutoff]


def _span(serialised: str | None) -> tuple[float | None, float | None]:
    """The first and the latest event's time of a tracker as the in-memory store keeps it."""
    if not serialised:
        return None, None
    try:
        events = json.loads(serialised).get("events") or []
    except (json.JSONDecodeError, AttributeError):
        return None, None
    times = [t for event in events if (t := number(event.get("timestamp"))) is not None]
    return (min(times), max(times)) if times else (None, None)


def _safe(error: Exception) -> str:
    """What went wrong, without a statement's parameters or a lock's conversation id (they are
    sender ids): the database's or the system's message, else only the kind of error."""
    if isinstance(error, StatementError) and error.orig is not None:
        error = error.orig  # type: ignore[assignment]
    elif not isinstance(error, OSError):
        return type(error).__name__
    first_line = next(iter(str(error).splitlines()), "")
    return f"{type(error).__name__}: {first_line}"
