"""A local fake of Lever's API, as its documentation describes it, for the pull and the web hooks.

- `GET /v1/opportunities`: pages of `limit`, a `next` token and `hasNext` in the body (the next
  page is asked for with `offset=`), `updated_at_start` in ms;
- `GET /v1/opportunities/:opportunity`: `{"data": {...}}`, 404 for an id Lever does not hold;
- Basic auth with the key and an empty password (401 otherwise); `expand=` puts the stage,
  owner and applications in place of their ids, which are given otherwise.
"""

from __future__ import annotations

import base64
import contextlib
import copy
from collections.abc import AsyncIterator
from datetime import datetime, timezone

from aiohttp import web

from tests.servers import free_port

API_KEY = "lever-test-key"
POSTING = "f2f01e16-27f8-4711-a728-7d49499795a0"


def ms(day: int, month: int = 11, year: int = 2026) -> int:
    return int(datetime(year, month, day, 12, tzinfo=timezone.utc).timestamp() * 1000)


def opportunity(number: int, stage: str = "Phone Screen", updated: int | None = None) -> dict:
    """An opportunity as `GET /opportunities?expand=applications&expand=stage&expand=owner`
    gives it."""
    opportunity_id = f"opp-{number:04d}"
    return {
        "id": opportunity_id,
        "name": f"Applicant {number}",
        "contact": f"contact-{number}",
        "emails": [f"Applicant{number}@example.com"],
        "phones": [{"type": "mobile", "value": "+31 6 1234 5678"}],
        "stage": {"id": f"stage-{stage.lower().replace(' ', '-')}", "text": stage},
        "stageChanges": [],
        "confidentiality": "non-confidential",
        "origin": "applied",
        "owner": {"id": "user-1", "name": "Alicia Flopple", "email": "alicia.flopple@example.com"},
        "archived": None,
        "createdAt": ms(16),
        "updatedAt": updated or ms(18),
        "lastInteractionAt": ms(17),
        "lastAdvancedAt": ms(17),
        "applications": [
            {
                "id": f"app-{number}",
                "opportunityId": opportunity_id,
                "type": "posting",
                "createdAt": ms(16),
                "posting": {"id": POSTING, "text": "Designer"},
            }
        ],
    }


class FakeLever:
    """Lever's opportunities API over `opportunities`; `refuse_offset` answers one page 403,
    `failing` answers every single-opportunity read with that status (Lever having trouble)."""

    def __init__(self, opportunities: list[dict], limit: int = 2) -> None:
        self.opportunities = opportunities
        self.limit = limit
        self.requests: list[str] = []
        self.refuse_offset: str | None = None
        self.failing: int | None = None
        self.url = ""  # LEVER_API_URL, while it is served

    def _authorised(self, request: web.Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
        return request.headers.get("Authorization") == expected

    async def opportunities_page(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": "Unauthorized", "message": "Bad key"}, status=401)
        self.requests.append(request.path_qs)
        assert request.query.getall("expand") == ["applications", "stage", "owner"]
        offset = request.query.get("offset")
        if offset is not None and offset == self.refuse_offset:
            self.refuse_offset = None
            return web.json_response({"code": "Forbidden", "message": "Forbidden"}, status=403)
        start = int(request.query.get("updated_at_start", "0"))
        wanted = [o for o in self.opportunities if o["updatedAt"] >= start]
        first = int(base64.b64decode(offset).decode()) if offset else 0
        chunk = wanted[first : first + self.limit]
        has_next = first + self.limit < len(wanted)
        body: dict = {"data": chunk, "hasNext": has_next}
        if has_next:
            body["next"] = base64.b64encode(str(first + self.limit).encode()).decode()
        return web.json_response(body)

    async def one_opportunity(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"code": "Unauthorized", "message": "Bad key"}, status=401)
        self.requests.append(request.path_qs)
        if self.failing is not None:
            return web.json_response(
                {"code": "ServerError", "message": "Oops"}, status=self.failing
            )
        wanted = request.match_info["opportunity"]
        found = next((o for o in self.opportunities if o["id"] == wanted), None)
        if found is None:
            return web.json_response(
                {"code": "ResourceNotFound", "message": f"Opportunity {wanted} not found"},
                status=404,
            )
        return web.json_response({"data": _expanded(found, request.query.getall("expand", []))})


def _expanded(opportunity: dict, expand: list[str]) -> dict:
    """The opportunity with only the fields asked for expanded: ids in place of the others."""
    shown = copy.deepcopy(opportunity)
    for name in ("stage", "owner"):
        if name not in expand and isinstance(shown.get(name), dict):
            shown[name] = shown[name].get("id")
    if "applications" not in expand:
        shown["applications"] = [a.get("id") for a in shown.get("applications") or []]
    return shown


@contextlib.asynccontextmanager
async def serving(fake: FakeLever) -> AsyncIterator[str]:
    """The fake on a free port of this machine; yields its LEVER_API_URL."""
    app = web.Application()
    app.router.add_get("/v1/opportunities", fake.opportunities_page)
    app.router.add_get("/v1/opportunities/{opportunity}", fake.one_opportunity)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, shutdown_timeout=0.5).start()
    fake.url = f"http://127.0.0.1:{port}/v1"
    try:
        yield fake.url
    finally:
        await runner.cleanup()
