"""Lever's pull against a local fake of Lever's opportunities API: what only Lever's pull does
(what every ATS's does is in test_contract.py)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from urllib.parse import urlencode

import pytest

from ats.models import Status
from ats.settings import Settings
from ats.store import ATSStore
from ats.sync import lever
from ats.sync import pull as pulling
from ats.sync.events import Outcome
from ats.sync.lever import pull as lever_pull
from ats.sync.mapping import StageMapping, load_mapping
from tests.ats.sync.configured import with_api
from tests.ats.sync.fake_lever import API_KEY, FakeLever, ms, opportunity, serving
from tests.ats.sync.test_lever import deliver, held_opportunity, imported, payload

READER = lever_pull.OpportunitiesPull()


async def pull(
    store: ATSStore,
    settings: Settings,
    url: str,
    api_key: str = API_KEY,
    restart: bool = False,
):
    mapping = load_mapping("lever", "")
    settings = with_api(settings, "lever", api_key, url)
    return await pulling.pull(store, settings, mapping, lever.ADAPTER, restart=restart)


async def test_the_next_sync_asks_only_for_what_changed(
    store: ATSStore, settings: Settings
) -> None:
    fake = FakeLever([opportunity(n) for n in range(3)])
    async with serving(fake) as url:
        await pull(store, settings, url)
        fake.requests.clear()
        fake.opportunities[1] = opportunity(1, "On-site Interview", updated=ms(1, 1, 2099))
        fake.opportunities.append(opportunity(3, updated=ms(2, 1, 2099)))
        fake.opportunities.append(opportunity(4, updated=ms(3, 1, 2099)))
        summary = await pull(store, settings, url)
    assert all("updated_at_start=" in q for q in fake.requests)
    assert len(fake.requests) == 2  # the filter is kept on the next page's request too
    [app] = await store.find_applications_by_email("applicant1@example.com")
    assert app.status is Status.INTERVIEW
    assert summary.applications == 3
    # a page with a held application and new ones: each row updates its own application
    assert await store.count_applications() == 5
    [new] = await store.find_applications_by_email("applicant3@example.com")
    assert new.ats_id == "opp-0003"


async def test_a_web_hook_newer_than_the_pull_is_not_undone(
    store: ATSStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await imported(store, settings)
    # Lever archived it on 2025-11-21, and a web hook delivery had the help desk read that
    archived = held_opportunity(
        updated=ms(21, 11, 2025), archived={"archivedAt": ms(21, 11, 2025), "reason": "r"}
    )
    fake = FakeLever([archived])
    async with serving(fake) as url:
        monkeypatch.setenv("LEVER_API_KEY", API_KEY)
        monkeypatch.setenv("LEVER_API_URL", url)
        assert await deliver(store, settings, payload("candidateArchiveChange")) is Outcome.APPLIED
        # a pull whose record of it is older (an API replica behind, a sync that began earlier)
        fake.opportunities[0] = held_opportunity("Phone Screen", updated=ms(19, 11, 2025))
        summary = await pull(store, settings, url)
    assert summary.skipped == 1
    [app] = await store.find_applications_by_email("giuseppe.hurley@example.com")
    assert app.status is Status.REJECTED


def test_archived_opportunities_and_the_recruiter(settings: Settings) -> None:
    withdrew = opportunity(1)
    withdrew["archived"] = {"reason": "reason-withdrew", "archivedAt": ms(20)}
    rejected = opportunity(2)
    rejected["archived"] = {"reason": "reason-other", "archivedAt": ms(21)}
    no_owner = opportunity(3)
    no_owner["owner"] = "user-1"  # not expanded
    mapping = StageMapping(withdrawn_reasons=frozenset({"reason-withdrew"}))
    page = READER.read_page(
        {"data": [withdrew, rejected, no_owner], "hasNext": False}, {}, settings, mapping
    )
    assert [row.status for row, _ in page.rows] == [Status.WITHDRAWN, Status.REJECTED]
    assert page.rows[1][1] == datetime.fromtimestamp(ms(21) / 1000, tz=timezone.utc)
    assert (page.skipped, page.next_url) == (1, None)  # no recruiter, no default
    with_default = dataclasses.replace(settings, default_recruiter_email="Team@example.com")
    [(row, _)] = READER.read_page({"data": [no_owner]}, {}, with_default, mapping).rows
    assert (row.recruiter_email, row.recruiter_name) == ("team@example.com", "team")


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        "junk",
        {"data": "x", "hasNext": True},
        {"data": [None, 1, "x", [], {}], "hasNext": True, "next": {"x": 1}},
        {"data": [{"id": "o", "emails": "a@b.c", "applications": "x", "stage": 5}]},
        {"data": [{"id": ["o"], "emails": ["a@b.c"], "applications": [{"posting": "p"}]}]},
        {"data": [{"id": "o", "emails": [None, 3], "applications": [None, {"posting": {}}]}]},
        {"data": [{**opportunity(1), "createdAt": "soon", "applications": [{"posting": {}}]}]},
        {"data": [{**opportunity(1), "archived": {"reason": [1]}, "updatedAt": 10**30}]},
        {"data": [{**opportunity(1), "stage": ["x"], "owner": {"email": 5}, "name": {}}]},
    ],
)
def test_junk_is_skipped_never_raised(settings: Settings, data: object) -> None:
    page = READER.read_page(data, {}, settings, StageMapping())
    assert page.next_url is None or "offset=" in page.next_url


def test_the_first_url_asks_for_what_changed_since(monkeypatch: pytest.MonkeyPatch) -> None:
    url = lever_pull.first_url("https://api.lever.co/v1", "2026-11-18T12:00:00+00:00")
    expected = urlencode(
        [("limit", 100), ("expand", "applications"), ("expand", "stage"), ("expand", "owner")]
    )
    assert url == f"https://api.lever.co/v1/opportunities?{expected}&updated_at_start={ms(18)}"
    assert lever_pull.next_page_url(url, "tok/en+=") == url + "&offset=tok%2Fen%2B%3D"


def test_consent_is_lever_data_protection_when_the_mapping_names_it(settings: Settings) -> None:
    allowed, refused, unknown = opportunity(1), opportunity(2), opportunity(3)
    allowed["dataProtection"] = {"store": {"allowed": True, "expiresAt": ms(1, 1, 2027)}}
    refused["dataProtection"] = {"store": {"allowed": False, "expiresAt": None}, "contact": {}}
    unknown["dataProtection"] = None  # no policy applies to this candidate
    data = {"data": [allowed, refused, unknown], "hasNext": False}
    named = StageMapping(consent_field="dataProtection.store")
    rows = [row for row, _ in READER.read_page(data, {}, settings, named).rows]
    assert [(row.consent, row.consent_given_at) for row in rows] == [
        (True, None),
        (False, None),
        (None, None),
    ]
    # not named: Lever may allow storage under legitimate interest, which is no consent
    rows = [row for row, _ in READER.read_page(data, {}, settings, StageMapping()).rows]
    assert [row.consent for row in rows] == [None, None, None]
