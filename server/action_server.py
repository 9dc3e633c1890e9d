"""The action server as `helpdesk serve actions` runs it: rasa_sdk's, plus /health and /metrics,
and only for the help desk's own Rasa servers.

rasa_sdk's server runs whatever conversation it is sent. Here it listens on 127.0.0.1 unless
SANIC_HOST says otherwise, and refuses (401) every call that does not carry the shared token
(`X-Helpdesk-Action-Token`, from HELPDESK_ACTION_SERVER_TOKEN or derived from the secret key)
that only the Rasa servers are given (server/endpoints.py). What a conversation has proven is
not taken from the slots it is sent anyway (dialogue/identity.py).

rasa_sdk's own /health says "ok" whenever the process answers; here /health also asks the ATS
store, so that a load balancer stops sending work to a server that cannot reach it (503 with
the reason), and /metrics counts and times every action for Prometheus (server/action_metrics.py,
applied with the action server's other patches, server/patches.py, when the app is built).
"""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import text

from ats.keys import action_server_token
from ats.metrics import CONTENT_TYPE, exposition
from ats.services import Services, services, use_services
from ats.settings import Settings
from server.endpoints import TOKEN_HEADER
from server.heap import freeze_what_is_loaded
from server.patches import ACTION_SERVER, apply_all
from speech.catalogue import catalogue

CHECK_SECONDS = 2.0


async def ats_store_answers() -> bool:
    async def select_one() -> None:
        async with services().store.session() as session:
            await session.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(select_one(), CHECK_SECONDS)
        return True
    except Exception:
        return False


OPEN_PATHS = ("/health", "/metrics")


def carries_token(request: Request, token: str) -> bool:
    sent = request.headers.get(TOKEN_HEADER, "")
    # bytes: compare_digest raises on str with non-ASCII characters
    return hmac.compare_digest(sent.encode(errors="surrogateescape"), token.encode())


KEEP_ALIVE_SECONDS = 75


def build_app(settings: Settings) -> Sanic:
    token = action_server_token(settings)
    apply_all(ACTION_SERVER, settings.servers)
    app = create_app("actions", cors_origins=[])
    # Rasa keeps its connections here open for aiohttp's keep-alive (15 s; one kept session per
    # endpoint, server/rasa_speedups.py) but Sanic closes idle ones after 5 s: a call written
    # into a connection the server was closing failed ("Can not write request body") and the
    # applicant got the apology. The server must keep them longer than its clients (as nginx).
    app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_SECONDS

    @app.after_server_stop
    async def close_services(*_: Any) -> None:
        await services().close()

    @app.on_request
    async def only_the_rasa_servers(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or carries_token(request, token):
            return None
        return response.json({"error": f"missing or wrong {TOKEN_HEADER}"}, status=401)

    @app.on_request
    async def health_and_metrics(request: Request) -> HTTPResponse | None:
        # rasa_sdk registered /health already; answering here comes before its handler
        if request.path == "/health" and request.method in ("GET", "HEAD"):
            healthy = await ats_store_answers()
            return response.json(
                {"status": "ok" if healthy else "unavailable", "checks": {"ats_store": healthy}},
                status=200 if healthy else 503,
                headers={"Cache-Control": "no-store"},
            )
        if request.path == "/metrics" and request.method == "GET":
            return response.raw(exposition(), content_type=CONTENT_TYPE)
        return None

    return app


def main(settings: Settings, port: int) -> None:
    """The action server of this process, on the services built from its settings."""
    use_services(Services.create(settings))
    catalogue()  # read now, not while the first applicant waits for an answer
    app = build_app(settings)
    freeze_what_is_loaded()  # out of every full garbage collection (server/heap.py)
    # loopback unless told otherwise (containers set SANIC_HOST=0.0.0.0 and rely on the token)
    app.run(settings.servers.actions_host, port, access_log=False, motd=False)
