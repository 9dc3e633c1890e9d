"""For operators and load balancers: GET /health and GET /metrics on every Rasa server.

/health answers 200 when this server can take messages (model loaded; tracker store, lock store
and ATS store answering) and 503 otherwise, with each check in the JSON body. RabbitMQ is
reported but does not make a server unhealthy: while it is away, events are spooled
(server/broker.py) and conversations go on. /metrics is Prometheus' text format
(ats/metrics.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import text

from ats.metrics import CONTENT_TYPE, DeadlineGauges, exposition
from desk.services import DeskServices
from server import handovers
from server.broker import SpoolingPikaEventBroker
from server.locks import AtomicRedisLockStore
from server.tracker_store import unwrapped

CHECK_SECONDS = 2.0


async def _answers(check: Callable[[], Any], in_thread: bool = False) -> bool:
    try:
        work = asyncio.to_thread(check) if in_thread else check()
        await asyncio.wait_for(work, CHECK_SECONDS)
        return True
    except Exception:
        return False


def _tracker_store(agent: Any) -> Any:
    return unwrapped(getattr(agent, "tracker_store", None))


async def _ats_store_answers() -> bool:
    async def select_one() -> None:
        async with DeskServices.get().store.session() as session:
            await session.execute(text("SELECT 1"))

    return await _answers(select_one)


async def health_checks(agent: Any) -> tuple[bool, dict[str, Any]]:
    """Whether this server can take messages, and each check's outcome."""
    checks: dict[str, Any] = {"model": bool(agent is not None and agent.is_ready())}
    tracker_store = _tracker_store(agent)
    if isinstance(tracker_store, SQLTrackerStore):

        def select_one() -> None:
            with tracker_store.engine.connect() as connection:
                connection.execute(text("SELECT 1"))

        checks["tracker_store"] = await _answers(select_one, in_thread=True)
    else:
        checks["tracker_store"] = tracker_store is not None
    lock_store = getattr(agent, "lock_store", None)
    if isinstance(lock_store, AtomicRedisLockStore):
        checks["lock_store"] = await _answers(lock_store.ping)
    elif isinstance(lock_store, RedisLockStore):
        checks["lock_store"] = await _answers(lock_store.red.ping, in_thread=True)
    else:
        checks["lock_store"] = lock_store is not None
    checks["ats_store"] = await _ats_store_answers()
    broker = getattr(tracker_store, "event_broker", None)
    if broker is not None:
        checks["event_broker"] = broker.is_ready()
        if isinstance(broker, SpoolingPikaEventBroker):
            checks["events_spooled"] = await broker.waiting()
    checks["handovers_waiting"] = await asyncio.to_thread(handovers.pending)
    healthy = all(checks[name] for name in ("model", "tracker_store", "lock_store", "ats_store"))
    return healthy, checks


class Health(InputChannel):
    """GET /health: 200 when this Rasa server can take messages, else 503."""

    @classmethod
    def name(cls) -> str:
        return "health"

    def url_prefix(self) -> str:
        return "/health"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        health = Blueprint("health", __name__)

        @health.route("", methods=["GET", "HEAD"])
        async def check(request: Request) -> HTTPResponse:
            healthy, checks = await health_checks(getattr(request.app.ctx, "agent", None))
            return response.json(
                {"status": "ok" if healthy else "unavailable", "checks": checks},
                status=200 if healthy else 503,
                headers={"Cache-Control": "no-store"},
            )

        return health


class Metrics(InputChannel):
    """GET /metrics: Prometheus metrics of this Rasa server and the deadline figures."""

    @classmethod
    def name(cls) -> str:
        return "metrics"

    def url_prefix(self) -> str:
        return "/metrics"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        metrics = Blueprint("metrics", __name__)
        gauges: list[DeadlineGauges] = []

        @metrics.route("", methods=["GET"])
        async def scrape(_: Request) -> HTTPResponse:
            if not gauges:
                gauges.append(DeadlineGauges(DeskServices.get().store))
            await gauges[0].refresh()
            return response.raw(exposition(), content_type=CONTENT_TYPE)

        return metrics
