"""Workable's pull against a local fake of Workable's candidates API: the fake (used by the
contract suite, test_contract.py, too) and what only Workable's pull does."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from ats.models import Status
from ats.settings import AtsAccess, Settings
from ats.store import ATSStore
from ats.sync import pull as pulling
from ats.sync import workable
from ats.sync.mapping import load_mapping
from tests.ats.sync.configured import with_api
from tests.ats.sync.test_workable import MOVED, deliver, event
from tests.servers import free_port

API_KEY = "workable-test-token"
READER = workable.CandidatesPull()


@pytest.fixture
def desk(settings: Settings) -> Settings:
    """Workable names no recruiter: the desk's default recruiter takes its applications."""
    return dataclasses.replace(
        settings, default_recruiter_email="Eva@Example.com", default_recruiter_name="Eva Jansen"
    )


def candidate(number: int, stage: str = "phone-screen", updated: str = "2026-11-18") -> dict:
    """One candidate as GET /spi/v3/candidates lists it (the stage is its slug there)."""
    return {
        "id": f"c{number:06x}",
        "name": f"Applicant {number}",
        "firstname": "Applicant",
        "lastname": str(number),
        "headline": "Designer",
        "account": {"subdomain": "northwind", "name": "Northwind"},
        "job": {"shortcode": "GROOV005", "title": "Designer"},
        "stage": stage,
        "disqualified": False,
        "disqualification_reason": None,
        "sourced": False,
        "profile_url": f"https://northwind.workable.com/backend/candidates/{number}",
        "email": f"applicant{number}@example.com",
        "domain": "indeed.com",
        "created_at": "2026-11-16T09:00:00Z",
        "updated_at": f"{updated}T12:00:00Z",
        "hired_at": None,
        "address": None,
        "phone": None,
    }


class FakeWorkable:
    """GET /spi/v3/candidates: pages of `limit` in the order added, `paging.next` with
    `since_id` for the next page, Bearer auth."""

    def __init__(self, candidates: list[dict], limit: int = 2) -> None:
        self.candidates = candidates
        self.limit = limit
        self.requests: list[str] = []
        self.refuse_since_id: str | None = None

    async def candidates_page(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return web.json_response({"error": "Not authorized"}, status=401)
        self.requests.append(request.path_qs)
        since_id = request.query.get("since_id")
        if since_id is not None and since_id == self.refuse_since_id:
            self.refuse_since_id = None
            return web.json_response({"error": "Forbidden"}, status=403)
        limit = min(int(request.query.get("limit", "50")), self.limit)
        since = request.query.get("updated_after")
        wanted = [c for c in self.candidates if not since or c["updated_at"] > since]
        ids = [c.get("id") if isinstance(c, dict) else None for c in wanted]
        start = ids.index(since_id) if since_id is not None and since_id in ids else 0
        body: dict = {"candidates": wanted[start : start + limit]}
        if start + limit < len(wanted):
            query = f"limit={limit}&since_id={ids[start + limit]}"
            if since:
                query += f"&updated_after={since}"
            body["paging"] = {"next": f"http://{request.host}{request.path}?{query}"}
        return web.json_response(body)


@contextlib.asynccontextmanager
async def serving(fake: FakeWorkable) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/spi/v3/candidates", fake.candidates_page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, shutdown_timeout=0.5).start()
    try:
        yield f"http://127.0.0.1:{port}/spi/v3"
    finally:
        await runner.cleanup()


async def pull(store: ATSStore, settings: Settings, url: str | None, api_key: str = API_KEY):
    mapping = load_mapping("workable", "")
    settings = with_api(settings, "workable", api_key, url)
    return await pulling.pull(store, settings, mapping, workable.ADAPTER)


async def test_what_is_no_application_is_skipped(store: ATSStore, desk: Settings) -> None:
    sourced, pooled, no_email = candidate(1, "sourced"), candidate(2), candidate(3)
    pooled["job"] = None
    no_email["email"] = None
    rejected = candidate(4, "interview") | {"disqualified": True}
    withdrawn = candidate(5) | {"disqualified": True, "disqualification_reason": "Withdrew"}
    fake = FakeWorkable([sourced, pooled, no_email, "junk", rejected, withdrawn], limit=100)
    async with serving(fake) as url:
        summary = await pull(store, desk, url)
    assert (summary.applications, summary.skipped) == (2, 4)
    [app] = await store.find_applications_by_email("applicant4@example.com")
    assert app.status is Status.REJECTED
    [app] = await store.find_applications_by_email("applicant5@example.com")
    assert app.status is Status.WITHDRAWN


async def test_a_web_hook_newer_than_the_pull_is_not_undone(
    store: ATSStore, desk: Settings
) -> None:
    # the web hook moved candidate ce4da98 to an interview on the 20th
    await deliver(store, desk, event(stage="Interview", at="2026-11-20T10:00:00Z"), "evt-1")
    old = candidate(0, "phone-screen", updated="2026-11-18")
    old["id"] = MOVED["data"]["id"]
    old["email"] = MOVED["data"]["email"]
    fake = FakeWorkable([old])
    async with serving(fake) as url:
        summary = await pull(store, desk, url)
    assert (summary.applications, summary.skipped) == (0, 1)
    [app] = await store.find_applications_by_email(MOVED["data"]["email"])
    assert (app.status, app.stage) == (Status.INTERVIEW, "Interview")


async def test_without_the_account_address_it_says_what_to_set(
    store: ATSStore, desk: Settings
) -> None:
    with pytest.raises(pulling.SyncFailed, match="WORKABLE_API_URL"):
        await pull(store, desk, None)


@pytest.mark.parametrize(
    "data",
    [None, [], "x", {"candidates": "x"}, {"candidates": [1, None, []], "paging": "x"}, {}],
)
def test_junk_never_raises(desk: Settings, data) -> None:
    page = READER.read_page(data, {}, desk, load_mapping("workable", ""))
    assert page.rows == [] and page.next_url is None
    weird = candidate(1) | {"created_at": "0001-01-01T00:00:00+01:00", "updated_at": 7}
    page = READER.read_page(
        {"candidates": [weird], "paging": {"next": 5}}, {}, desk, load_mapping("workable", "")
    )
    assert (page.rows, page.skipped, page.next_url) == ([], 1, None)


def test_the_first_page_and_its_filter() -> None:
    base = "https://acme.workable.com/spi/v3"
    assert READER.first_url(base, None, AtsAccess()) == f"{base}/candidates?limit=100"
    since = READER.first_url(base, "2026-11-18T12:00:00.123456+00:00", AtsAccess())
    assert since == f"{base}/candidates?limit=100&updated_after=2026-11-18T12%3A00%3A00Z"
    assert workable.stage_name("phone-screen") == "Phone Screen"
    assert workable.stage_name("Culture chat") == "Culture chat"
