"""GET /health and GET /metrics for the deadline monitor (`helpdesk sweep --loop --port N`).

/health answers 200 while the last sweep succeeded and the next is not overdue, 503 otherwise,
so that a container runtime restarts a monitor that has stopped sweeping. /metrics has the
sweeps' outcomes and durations and the deadline figures (ats/metrics.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import Counter, Gauge, Histogram

from ats.metrics import CONTENT_TYPE, DeadlineGauges, exposition
from ats.store import ATSStore

SWEEPS = Counter("helpdesk_sweeps", "Sweeps of the deadline monitor", ["outcome"])
SWEEP_SECONDS = Histogram(
    "helpdesk_sweep_seconds",
    "How long a sweep took",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
LAST_SWEEP = Gauge("helpdesk_last_sweep_timestamp_seconds", "When the last sweep succeeded")
GRACE_SECONDS = 300  # a sweep may take this long beyond its interval before we call it stuck


@dataclass
class SweepHealth:
    interval_seconds: float
    last_success: float | None = None
    last_error: str | None = None
    started: float = field(default_factory=time.monotonic)
    gauges: DeadlineGauges | None = None

    def succeeded(self, seconds: float) -> None:
        self.last_success, self.last_error = time.monotonic(), None
        SWEEPS.labels("ok").inc()
        SWEEP_SECONDS.observe(seconds)
        LAST_SWEEP.set(time.time())
        if self.gauges is not None:
            self.gauges.invalidate()

    def failed(self, error: Exception) -> None:
        self.last_error = f"{type(error).__name__}: {error}"
        SWEEPS.labels("failed").inc()

    def healthy(self) -> bool:
        since = self.last_success if self.last_success is not None else self.started
        overdue = time.monotonic() - since > self.interval_seconds + GRACE_SECONDS
        return self.last_error is None and not overdue


def build_app(health: SweepHealth, store: ATSStore) -> web.Application:
    gauges = health.gauges = DeadlineGauges(store)

    async def check(_: web.Request) -> web.Response:
        healthy = health.healthy()
        return web.json_response(
            {"status": "ok" if healthy else "unavailable", "last_error": health.last_error},
            status=200 if healthy else 503,
        )

    async def metrics(_: web.Request) -> web.Response:
        await gauges.refresh()
        response = web.Response(body=exposition())
        response.headers["Content-Type"] = CONTENT_TYPE
        return response

    app = web.Application()
    app.router.add_get("/health", check)
    app.router.add_get("/metrics", metrics)
    return app


async def serve(health: SweepHealth, store: ATSStore, port: int) -> web.AppRunner:
    runner = web.AppRunner(build_app(health, store), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    return runner
