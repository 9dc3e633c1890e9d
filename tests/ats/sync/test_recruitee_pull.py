"""Recruitee's pull against a local fake of Recruitee's candidates API: the fake (used by the
contract suite, test_contract.py, too) and what only Recruitee's pull does."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import pytest
from aiohttp import web
from multidict import CIMultiDict

from ats.models import Status
from ats.settings import Settings
from ats.store import ATSStore
from ats.sync import pull as pulling
from ats.sync import recruitee
from ats.sync.mapping import load_mapping
from ats.sync.recruitee.pull import CandidatesPull
from tests.ats.sync.configured import with_api
from tests.ats.sync.test_recruitee import EMAIL, MOVED, deliver, moved
from tests.servers import free_port

API_KEY = "recruitee-test-token"
COMPANY = "52"
OFFER = {
    "id": 771,
    "title": "Backend Developer",
    "kind": "job",
    "recruiter": {"id": 9, "name": "Ruben Smit", "email": "ruben.smit@example.com"},
}


def candidate(
    number: int,
    stage: dict | None = None,
    updated: str = "2026-11-18",
    **placement_changes,
) -> dict:
    placement = {
        "id": 990000 + number,
        "candidate_id": 4800000 + number,
        "offer_id": 771,
        "offer": OFFER,
        "stage": stage or {"id": 102, "name": "Phone screen", "category": "phone_screen"},
        "created_at": "2026-11-16T08:12:00Z",
        "updated_at": f"{updated}T12:00:00Z",
        "disqualified_at": None,
        "disqualify_reason": None,
        **placement_changes,
    }
    return {
        "id": 4800000 + number,
        "name": f"Applicant {number}",
        "emails": [f"applicant{number}@example.com"],
        "phones": [],
        "created_at": "2026-11-16T08:12:00Z",
        "updated_at": f"{updated}T12:00:00Z",
        "placements": [placement],
    }


class FakeRecruitee:
    """GET /c/<company>/candidates: limit/offset pages of {"candidates": [...]}, Bearer auth."""

    def __init__(self, candidates: list[dict]) -> None:
        self.candidates = candidates
        self.requests: list[str] = []
        self.refuse_offset: int | None = None

    async def candidates_page(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return web.json_response({"error": ["Unauthorized"]}, status=401)
        if request.match_info["company"] != COMPANY:
            return web.json_response({"error": ["Not found"]}, status=404)
        self.requests.append(request.path_qs)
        offset = int(request.query.get("offset", "0"))
        if offset == self.refuse_offset:
            self.refuse_offset = None
            return web.json_response({"error": ["Forbidden"]}, status=403)
        since = request.query.get("updated_after")
        wanted = [c for c in self.candidates if not since or c["updated_at"] >= since]
        if "limit" not in request.query:
            return web.json_response({"candidates": wanted})
        limit = int(request.query["limit"])
        return web.json_response({"candidates": wanted[offset : offset + limit]})


@contextlib.asynccontextmanager
async def serving(fake: FakeRecruitee) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/c/{company}/candidates", fake.candidates_page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, shutdown_timeout=0.5).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture(autouse=True)
def pages_of_two(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(CandidatesPull, "limit", 2)


async def pull(
    store: ATSStore, settings: Settings, url: str, api_key: str = API_KEY, company: str = COMPANY
):
    mapping = load_mapping("recruitee", "")
    settings = with_api(settings, "recruitee", api_key, url)
    access = dataclasses.replace(settings.access("recruitee"), company_id=company or None)
    settings = dataclasses.replace(settings, ats={**settings.ats, "recruitee": access})
    return await pulling.pull(store, settings, mapping, recruitee.ADAPTER)


def read(data, url: str | None = None, settings: Settings | None = None):
    mapping = load_mapping("recruitee", "")
    reader = CandidatesPull()
    return reader.read_page(data, CIMultiDict(), settings, mapping, url=url or "")


async def test_a_full_last_page_is_followed_by_an_empty_one(
    store: ATSStore, settings: Settings
) -> None:
    fake = FakeRecruitee([candidate(n) for n in range(4)])
    async with serving(fake) as url:
        summary = await pull(store, settings, url)
    assert (summary.pages, summary.applications) == (3, 4)


async def test_a_web_hook_newer_than_the_pull_is_not_undone(
    store: ATSStore, settings: Settings
) -> None:
    # the web hook moved placement 990011 to an interview on the 20th
    interview = {"id": 103, "name": "Interview", "category": "interview"}
    await deliver(store, settings, moved(at="2026-11-20T10:00:00Z", to_stage=interview), "1")
    old = candidate(0, updated="2026-11-18")
    old["placements"][0]["id"] = MOVED["payload"]["placement"]["id"]
    old["emails"] = [EMAIL]
    fake = FakeRecruitee([old])
    async with serving(fake) as url:
        summary = await pull(store, settings, url)
    assert summary.skipped == 1
    [app] = await store.find_applications_by_email(EMAIL)
    assert app.status is Status.INTERVIEW


async def test_a_newer_pulled_record_updates_what_a_web_hook_created(
    store: ATSStore, settings: Settings
) -> None:
    await deliver(store, settings, moved(at="2026-11-18T14:38:36Z"), "1")
    newer = candidate(0, updated="2026-11-22", disqualify_reason="Withdrew")
    newer["placements"][0].update(
        id=MOVED["payload"]["placement"]["id"], disqualified_at="2026-11-22T12:00:00Z"
    )
    newer["emails"] = [EMAIL]
    async with serving(FakeRecruitee([newer])) as url:
        summary = await pull(store, settings, url)
    assert summary.applications == 1
    [app] = await store.find_applications_by_email(EMAIL)
    assert app.status is Status.WITHDRAWN
    assert await store.count_applications() == 1


async def test_without_a_company_id_the_sync_says_so(
    store: ATSStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(pulling.SyncFailed, match="RECRUITEE_COMPANY_ID"):
        await pull(store, settings, "http://127.0.0.1:9", company="")


def test_placements_are_read_by_the_web_hooks_rules(settings: Settings) -> None:
    hired = {"id": 105, "name": "Hired", "category": "hire"}
    rejected = candidate(2, disqualify_reason={"id": 1, "name": "Not a fit"})
    rejected["placements"][0]["disqualified_at"] = "2026-11-19T10:00:00Z"
    pool = candidate(3)
    pool["placements"][0]["offer"] = {"id": 5, "title": "Pool", "kind": "talent_pool"}
    by_reference = candidate(4)
    del by_reference["placements"][0]["offer"]
    del by_reference["placements"][0]["stage"]
    by_reference["placements"][0]["stage_id"] = 104
    data = {
        "candidates": [candidate(1, hired), rejected, pool, by_reference],
        "references": [
            {**OFFER, "type": "Offer"},
            {"type": "Stage", "id": 104, "name": "Offer", "category": "offer"},
        ],
    }
    page = read(data, settings=settings)
    assert [(row.ats_id, row.status, row.stage) for row, _ in page.rows] == [
        ("990001", Status.HIRED, "Hired"),
        ("990002", Status.REJECTED, "Phone screen"),
        ("990004", Status.OFFER, "Offer"),
    ]
    assert page.skipped == 1
    assert page.next_url is None  # no request URL: nothing to page from


def test_the_next_page_is_the_same_request_at_offset_plus_limit(settings: Settings) -> None:
    url = "https://api.recruitee.com/c/52/candidates?limit=2&offset=4&updated_after=2026-11-01"
    full = read({"candidates": [candidate(1), candidate(2)]}, url, settings)
    query = urlencode({"limit": 2, "offset": 6, "updated_after": "2026-11-01"})
    assert full.next_url == f"https://api.recruitee.com/c/52/candidates?{query}"
    assert read({"candidates": [candidate(1)]}, url, settings).next_url is None
    unpaged = "https://api.recruitee.com/c/52/candidates"
    assert read({"candidates": [candidate(1), candidate(2)]}, unpaged, settings).next_url is None


@pytest.mark.parametrize(
    "junk",
    [
        None,
        [],
        "text",
        {"candidates": None},
        {"candidates": [None, 1, "x", {"placements": "no"}, {"placements": [None, {}, 3]}]},
        {"candidates": [{"emails": [], "placements": [{"id": 1, "offer": OFFER}]}]},
        {"candidates": [{**candidate(1), "emails": None}], "references": "no"},
        {"candidates": [candidate(1, stage={"name": 5, "category": []})], "references": [1]},
    ],
)
def test_junk_is_skipped_not_raised(junk, settings: Settings) -> None:
    page = read(junk, "https://x/c/52/candidates?limit=two", settings)
    assert page.next_url is None
    assert all(row.ats_id for row, _ in page.rows)
