"""Greenhouse's pull against a local fake of Harvest's candidates API: the fake (used by the
contract suite, test_contract.py, too) and what only Greenhouse's pull does."""

from __future__ import annotations

import base64
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from ats.models import Status
from ats.settings import Settings
from ats.store import ATSStore
from ats.sync import greenhouse
from ats.sync import pull as pulling
from ats.sync.mapping import load_mapping
from tests.ats.sync.configured import with_api
from tests.ats.sync.test_greenhouse import STAGE_CHANGE, deliver, event
from tests.servers import free_port

API_KEY = "harvest-test-key"


def candidate(number: int, stage: str = "Phone Screen", updated: str = "2026-11-18") -> dict:
    application = {
        "id": 500000 + number,
        "candidate_id": 700000 + number,
        "prospect": False,
        "applied_at": "2026-11-16T09:00:00Z",
        "rejected_at": None,
        "last_activity_at": f"{updated}T12:00:00Z",
        "status": "active",
        "current_stage": {"id": 1, "name": stage},
        "rejection_reason": None,
        "jobs": [{"id": 3485, "name": "Designer"}],
    }
    return {
        "id": 700000 + number,
        "first_name": "Applicant",
        "last_name": str(number),
        "updated_at": f"{updated}T12:00:00Z",
        "email_addresses": [{"value": f"applicant{number}@example.com", "type": "personal"}],
        "recruiter": {"id": 1, "email": "alicia.flopple@example.com", "name": "Alicia Flopple"},
        "applications": [application],
    }


class FakeHarvest:
    """GET /v1/candidates: pages of `per_page`, a Link header to the next, Basic auth."""

    def __init__(self, candidates: list[dict], per_page: int = 2) -> None:
        self.candidates = candidates
        self.per_page = per_page
        self.requests: list[str] = []
        self.refuse_page: int | None = None

    async def candidates_page(self, request: web.Request) -> web.Response:
        expected = "Basic " + base64.b64encode(f"{API_KEY}:".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return web.json_response({"message": "Invalid Basic Auth credentials"}, status=401)
        self.requests.append(request.path_qs)
        page = int(request.query.get("page", "1"))
        if page == self.refuse_page:
            self.refuse_page = None
            return web.json_response({"message": "Forbidden"}, status=403)
        since = request.query.get("updated_after")
        wanted = [c for c in self.candidates if not since or c["updated_at"] >= since]
        chunk = wanted[(page - 1) * self.per_page : page * self.per_page]
        headers = {}
        if page * self.per_page < len(wanted):
            query = f"per_page={self.per_page}&page={page + 1}"
            if since:
                query += f"&updated_after={since}"
            headers["Link"] = f'<http://{request.host}{request.path}?{query}>; rel="next"'
        return web.json_response(chunk, headers=headers)


@contextlib.asynccontextmanager
async def serving(fake: FakeHarvest) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/v1/candidates", fake.candidates_page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, shutdown_timeout=0.5).start()
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


async def pull(store: ATSStore, settings: Settings, url: str, api_key: str = API_KEY):
    mapping = load_mapping("greenhouse", "")
    settings = with_api(settings, "greenhouse", api_key, url)
    return await pulling.pull(store, settings, mapping, greenhouse.ADAPTER)


async def test_a_page_with_known_and_new_applications_keeps_each(
    store: ATSStore, settings: Settings
) -> None:
    fake = FakeHarvest([candidate(1), candidate(2)], per_page=5)
    async with serving(fake) as url:
        await pull(store, settings, url)
        fake.candidates = [
            candidate(1, "Face to Face", updated="2099-01-01"),
            candidate(3, updated="2099-01-01"),
        ]
        await pull(store, settings, url)
    assert await store.count_applications() == 3
    for number, status in ((1, Status.INTERVIEW), (2, Status.SCREENING), (3, Status.SCREENING)):
        [app] = await store.find_applications_by_email(f"applicant{number}@example.com")
        assert app.status is status


async def test_a_web_hook_newer_than_the_pull_is_not_undone(
    store: ATSStore, settings: Settings
) -> None:
    # the web hook moved application 265277 to an interview on the 20th
    moved = event(current_stage={"id": 2, "name": "Face to Face"}, at="2026-11-20T10:00:00Z")
    await deliver(store, settings, moved, "evt-1")
    old = candidate(0, "Phone Screen", updated="2026-11-18")
    old["applications"][0]["id"] = STAGE_CHANGE["payload"]["application"]["id"]
    old["email_addresses"] = [{"value": "giuseppe.hurley@example.com", "type": "personal"}]
    fake = FakeHarvest([old])
    async with serving(fake) as url:
        summary = await pull(store, settings, url)
    assert summary.skipped == 1
    [app] = await store.find_applications_by_email("giuseppe.hurley@example.com")
    assert app.status is Status.INTERVIEW


async def _consent(store: ATSStore, email: str):
    from sqlalchemy import select

    from ats.models import Candidate

    async with store.session() as session:
        found = (
            await session.execute(
                select(Candidate.consent_given_at, Candidate.consent_source).where(
                    Candidate.email == email
                )
            )
        ).one()
        return tuple(found)


async def test_consent_is_read_from_the_custom_field_the_mapping_names(
    store: ATSStore, settings: Settings, tmp_path
) -> None:
    import json
    from datetime import datetime, timezone

    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps({"greenhouse": {"consent_field": "retention_consent"}}))
    mapping = load_mapping("greenhouse", mapping_file)
    given, refused, silent = candidate(1), candidate(2), candidate(3)
    # Harvest's two shapes of a candidate's custom fields
    given["keyed_custom_fields"] = {
        "retention_consent": {
            "name": "Keep my data 12 months",
            "type": "date",
            "value": "2026-11-10",
        }
    }
    refused["custom_fields"] = {"retention_consent": False}
    silent["custom_fields"] = {"other_field": "yes"}
    fake = FakeHarvest([given, refused, silent], per_page=5)
    async with serving(fake) as url:
        configured = with_api(settings, "greenhouse", API_KEY, url)
        await pulling.pull(store, configured, mapping, greenhouse.ADAPTER)
    at, source = await _consent(store, "applicant1@example.com")
    assert (at, source) == (datetime(2026, 11, 9, 23, 0, tzinfo=timezone.utc), "ats")
    assert await _consent(store, "applicant2@example.com") == (None, None)
    assert await _consent(store, "applicant3@example.com") == (None, None)

    # a web hook's candidate carries custom fields as {name, type, value}
    withdrawn = event(at="2026-11-21T10:00:00Z")
    withdrawn["payload"]["application"]["id"] = given["applications"][0]["id"]
    withdrawn["payload"]["application"]["candidate"]["email_addresses"] = given["email_addresses"]
    withdrawn["payload"]["application"]["candidate"]["custom_fields"] = {
        "retention_consent": {"name": "Keep my data", "type": "yes_no", "value": "No"}
    }
    read = greenhouse.read_event(withdrawn, "evt-consent", settings, mapping)
    from ats.sync.events import apply_event

    await apply_event(store, settings, read)
    assert await _consent(store, "applicant1@example.com") == (None, None)


def test_a_consent_field_must_name_a_field(tmp_path) -> None:
    import json

    import pytest

    from ats.settings import ConfigurationError

    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps({"greenhouse": {"consent_field": ["x"]}}))
    with pytest.raises(ConfigurationError, match="consent_field of greenhouse"):
        load_mapping("greenhouse", mapping_file)
    assert load_mapping("lever", mapping_file).consent_field is None
