"""The contract every ATS adapter's pull keeps (`helpdesk ats sync <ats>`), against a local fake
of each ATS's API (tests/ats/sync/kits.py): every page is taken, an interrupted sync resumes
at the page it stopped, the next sync asks only for what changed, and a refused key stops with
a clear error. What only one ATS does is in test_<ats>_pull.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ats.models import Status
from ats.settings import Settings
from ats.store import ATSStore
from ats.sync import pull as pulling
from ats.sync.mapping import load_mapping
from ats.sync.pull import PullSummary
from ats.sync.recruitee.pull import CandidatesPull
from ats.sync.registry import ADAPTERS
from tests.ats.sync.kits import KITS, Kit, served


@pytest.fixture(params=sorted(ADAPTERS))
def kit(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Kit:
    # Recruitee's pages are 100 long; the fake's records are few: pages of 2
    monkeypatch.setattr(CandidatesPull, "limit", 2)
    return KITS[request.param]


@pytest.fixture
def desk(settings: Settings, tmp_path: Path) -> Settings:
    return dataclasses.replace(settings, sync_state_dir=tmp_path / "sync")


def test_every_adapter_has_a_kit_and_a_pull() -> None:
    assert set(KITS) == set(ADAPTERS)
    assert all(adapter.pull is not None for adapter in ADAPTERS.values())


async def pull(
    store: ATSStore, settings: Settings, kit: Kit, url: str, api_key: str | None = None
) -> PullSummary:
    adapter = ADAPTERS[kit.name]
    mapping = load_mapping(kit.name, "")
    return await pulling.pull(store, kit.settings(settings, url, api_key), mapping, adapter)


async def test_the_first_load_takes_every_page(store: ATSStore, desk: Settings, kit: Kit) -> None:
    async with served(kit, [kit.record(n) for n in range(5)]) as (fake, url):
        summary = await pull(store, desk, kit, url)
    assert (summary.pages, summary.applications, summary.skipped) == (3, 5, 0)
    assert await store.count_applications() == 5
    [app] = await store.find_applications_by_email("applicant3@example.com")
    assert (app.status, app.stage, app.vacancy.title) == (Status.SCREENING, kit.stage, kit.title)
    assert (await store.status_history(app.reference))[0].source == kit.name
    kit.first_load(app, fake.requests)


async def test_an_interrupted_sync_resumes_at_the_page_it_stopped(
    store: ATSStore, desk: Settings, kit: Kit
) -> None:
    async with served(kit, [kit.record(n) for n in range(5)]) as (fake, url):
        kit.refuse_second_page(fake)
        with pytest.raises(pulling.SyncFailed, match="403"):
            await pull(store, desk, kit, url)
        assert await store.count_applications() == 2  # the first page was kept
        summary = await pull(store, desk, kit, url)
    assert summary.applications == 3  # pages 2 and 3 only
    kit.resumed(fake.requests)
    assert await store.count_applications() == 5


async def test_the_next_sync_asks_only_for_what_changed(
    store: ATSStore, desk: Settings, kit: Kit
) -> None:
    async with served(kit, [kit.record(1), kit.record(2)]) as (fake, url):
        await pull(store, desk, kit, url)
        fake.requests.clear()
        kit.records(fake)[1] = kit.interview(2)
        summary = await pull(store, desk, kit, url)
    assert kit.since_filter in fake.requests[0]
    [app] = await store.find_applications_by_email("applicant2@example.com")
    assert app.status is Status.INTERVIEW
    assert summary.applications == 1


async def test_a_wrong_api_key_stops_with_a_clear_error(
    store: ATSStore, desk: Settings, kit: Kit
) -> None:
    async with served(kit, [kit.record(1)]) as (_fake, url):
        with pytest.raises(pulling.SyncFailed, match="401"):
            await pull(store, desk, kit, url, api_key="wrong")


async def test_without_an_api_key_the_sync_says_what_to_set(
    store: ATSStore, desk: Settings, kit: Kit
) -> None:
    settings = dataclasses.replace(kit.settings(desk, "http://127.0.0.1:9"), ats={})
    with pytest.raises(pulling.SyncFailed, match=f"{kit.name.upper()}_API_KEY"):
        await pulling.pull(store, settings, load_mapping(kit.name, ""), ADAPTERS[kit.name])
