"""What every fake of an ATS's write calls shares: the requests it saw, failures to answer
first, the keys and acting users the tests configure, and serving it on a free port."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.servers import free_port

GREENHOUSE_KEY = "harvest-test-key"
GREENHOUSE_USER = "4080"
LEVER_KEY = "lever-test-key"
LEVER_USER = "user-8d2f"
RECRUITEE_TOKEN = "recruitee-test-token"
RECRUITEE_COMPANY = "52"
WORKABLE_TOKEN = "workable-test-token"
WORKABLE_MEMBER = "13e0eb0e"


@dataclass
class Seen:
    method: str
    path: str
    body: Any
    authorization: str | None
    on_behalf_of: str | None


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


@dataclass
class FakeWrites:
    """What every fake shares: the requests seen, failures to answer first, serving."""

    requests: list[Seen] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    prefix: str = ""

    def writes(self) -> list[Seen]:
        return [seen for seen in self.requests if seen.method != "GET"]

    @web.middleware
    async def record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        text = await request.text()
        body = json.loads(text) if text else None
        path = request.path_qs.removeprefix(self.prefix)
        self.requests.append(
            Seen(
                request.method,
                path,
                body,
                request.headers.get("Authorization"),
                request.headers.get("On-Behalf-Of"),
            )
        )
        if self.fail_next:
            return web.json_response({"error": "unavailable"}, status=self.fail_next.pop(0))
        if not self.authorised(request):
            return web.json_response({"message": "Unauthorized"}, status=401)
        request["body"] = body or {}
        return await handler(request)

    def authorised(self, request: web.Request) -> bool:
        raise NotImplementedError

    def routes(self) -> list[web.RouteDef]:
        raise NotImplementedError


@contextlib.asynccontextmanager
async def serving(fake: FakeWrites) -> AsyncIterator[str]:
    app = web.Application(middlewares=[fake.record])
    app.add_routes(fake.routes())
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, shutdown_timeout=0.5).start()
    try:
        yield f"http://127.0.0.1:{port}{fake.prefix}"
    finally:
        await runner.cleanup()


def error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)
