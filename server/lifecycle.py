"""What the Rasa server closes when it stops, whichever channels credentials.yml lists.

When its server stops, Rasa closes the event broker and nothing else (rasa.core.run's
`close_resources`, which Rasa registers to run after the server stops). The help desk also keeps
open the HTTP sessions to the action server (server/rasa_speedups.py), the lock store's Redis
connections (server/locks.py), the tracker store's database connections (server/tracker_store.py),
the hand-over replay and its spool (server/handovers.py), the erasure check (server/erasures.py)
and the process's services (the ATS store's connections, ats/services.py). Left open, asyncio
reports "Unclosed client session" and "Unclosed connector" as the process exits, and PostgreSQL
and Redis see their connections dropped instead of closed.

`closing_ours_too` replaces Rasa's `close_resources` (server/patches.py): Rasa's runs first, then
the help desk's, each closed on its own so that one failing does not leave the others open. The
erasure check stops before Rasa's: it filters the event broker's spool, which Rasa's closes.
A channel that opens something of its own (a Redis client) hands its closer to `also_close`.
"""

from __future__ import annotations

import logging
from asyncio import AbstractEventLoop
from collections.abc import Awaitable, Callable
from typing import Any

from sanic import Sanic

from ats.services import services
from ats.settings import ServerSettings
from server import erasures, handovers, rasa_speedups
from server.handovers import HandoverReplay
from server.heap import freeze_what_is_loaded
from server.locks import AtomicRedisLockStore
from server.tracker_store import LeanSQLTrackerStore, unwrapped

logger = logging.getLogger(__name__)

CloseResources = Callable[[Sanic, AbstractEventLoop], Awaitable[None]]
LoadAgent = Callable[[Any, Any, Any, Sanic, AbstractEventLoop], Awaitable[Any]]
Closer = Callable[[], Awaitable[Any]]

# what the channels asked to have closed, in the order they asked
_also: list[tuple[str, Closer]] = []


def also_close(what: str, closer: Closer) -> None:
    """Has `closer` called when this Rasa server stops (before the process's services)."""
    _also.append((what, closer))


def starting_ours_too(load_agent_on_start: LoadAgent, servers: ServerSettings) -> LoadAgent:
    """Replaces rasa.core.run.load_agent_on_start (Rasa's, `load_agent_on_start`): once the
    agent is loaded, its objects are set aside from garbage collection (server/heap.py), and
    this server replays the hand-overs spooled while a service was away and drops erased
    conversations from its memory and spool (server/erasures.py)."""

    async def load(
        model_path: Any, endpoints: Any, remote_storage: Any, app: Sanic, loop: AbstractEventLoop
    ) -> Any:
        agent = await load_agent_on_start(model_path, endpoints, remote_storage, app, loop)
        freeze_what_is_loaded()  # the model, out of every full garbage collection (server/heap.py)
        replay = HandoverReplay(agent, app.ctx.input_channels, servers.handover_retry_seconds)
        app.add_task(replay.loop())
        erasures.start_checking(agent, services(), app)
        return agent

    return load


def closing_ours_too(close_resources: CloseResources, _servers: ServerSettings) -> CloseResources:
    """Replaces rasa.core.run.close_resources (Rasa's, `close_resources`)."""

    async def close(app: Sanic, loop: AbstractEventLoop) -> None:
        try:
            await erasures.stop_checking()
        except Exception:
            logger.exception("stopping the erasure check failed")
        try:
            await close_resources(app, loop)
        finally:
            await close_help_desk(getattr(app.ctx, "agent", None))

    return close


async def close_help_desk(agent: Any) -> None:
    """Closes what the help desk keeps open in this Rasa server (`agent`: Rasa's, or None)."""
    closers: list[tuple[str, Closer]] = [
        # before the hand-over spool it filters is closed
        ("the erasure check", erasures.stop_checking),
        ("the hand-over replay", handovers.stop_replaying),
        ("the action server's HTTP sessions", rasa_speedups.close_sessions),
    ]
    lock_store = getattr(agent, "lock_store", None)
    if isinstance(lock_store, AtomicRedisLockStore):
        closers.append(("the lock store", lock_store.close))
    tracker_store = unwrapped(getattr(agent, "tracker_store", None))
    if isinstance(tracker_store, LeanSQLTrackerStore):
        closers.append(("the tracker store", tracker_store.close))
    closers += _also
    _also.clear()
    closers.append(("the ATS store", services().close))
    for what, closer in closers:
        try:
            await closer()
        except Exception:
            logger.exception("closing %s failed", what)
