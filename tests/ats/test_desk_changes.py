"""A status set in the desk is not undone by an older copy of the ATS (ats/desk_changes.py): the
next file import that disagrees is shown, not applied; a pull or a web hook that brings what
the ATS said before the desk's change was written leaves the desk's value, and the ATS saying
the same settles it; a change made in the ATS after the desk's was written applies."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from ats import desk_changes
from ats.importer import import_file
from ats.models import Status, WritebackState
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow
from ats.sync import pull as pulling
from ats.sync.events import AtsEvent, StatusChange, apply_event
from ats.sync.mapping import load_mapping
from ats.sync.recruitee.pull import CandidatesPull
from ats.sync.registry import ADAPTERS
from ats.sync.writeback.send import send
from tests.ats.helpers import add, csv_row, row, write_csv
from tests.ats.sync import fake_writes as fw
from tests.ats.sync.kits import KITS, Kit, served
from tests.ats.sync.test_writeback import CASES, desk_sets


async def import_csv(store: ATSStore, settings: Settings, tmp_path: Path, **values: str):
    path = write_csv(tmp_path / "export.csv", [csv_row(**values)])
    return await import_file(store, path, settings)


async def the_application(store: ATSStore, email: str = "sanne@example.nl"):
    [app] = await store.find_applications_by_email(email)
    return app


@pytest.mark.parametrize("export", ["small", "large"])
async def test_a_file_import_that_disagrees_is_shown_not_applied(
    store: ATSStore, settings: Settings, tmp_path: Path, export: str, monkeypatch
) -> None:
    if export == "large":  # an export beyond a chunk: open changes are read all at once
        monkeypatch.setattr(desk_changes, "CHUNK", 0)
    await import_csv(store, settings, tmp_path, status="screening")
    reference = (await the_application(store)).reference
    await desk_sets(store, settings, reference, Status.REJECTED)
    change = await desk_changes.latest(store, reference)
    assert change is not None and change.state == WritebackState.MANUAL.value

    summary = await import_csv(store, settings, tmp_path, status="screening")
    assert (await the_application(store)).status is Status.REJECTED  # not undone
    assert summary.kept_for_desk == [(reference, "rejected", "screening")]
    assert any(
        reference in line and "desk rejected, ATS screening" in line for line in summary.lines()
    )
    shown = await desk_changes.latest(store, reference)
    assert shown is not None
    assert (shown.seen_status, shown.seen_source) == ("screening", "import")

    # the recruiter made the change in the ATS too: the next import agrees and settles it
    summary = await import_csv(store, settings, tmp_path, status="rejected")
    assert summary.kept_for_desk == []
    settled = await desk_changes.latest(store, reference)
    assert settled is not None and settled.state == WritebackState.CONFIRMED.value
    # from then on the ATS is the record again
    await import_csv(store, settings, tmp_path, status="screening")
    assert (await the_application(store)).status is Status.SCREENING


async def test_an_acknowledgement_outlives_an_import_that_cannot_say_it(
    store: ATSStore, settings: Settings, tmp_path: Path
) -> None:
    await import_csv(store, settings, tmp_path, status="applied")
    reference = (await the_application(store)).reference
    await desk_sets(store, settings, reference, Status.ACKNOWLEDGED)
    summary = await import_csv(store, settings, tmp_path, status="applied")
    app = await the_application(store)
    assert (app.status, app.acknowledged_at is not None) == (Status.ACKNOWLEDGED, True)
    assert summary.kept_for_desk == []  # nothing to show: the ATS has no such status
    # an import that says the application moved on in the ATS is shown, as any other
    summary = await import_csv(store, settings, tmp_path, status="rejected")
    assert summary.kept_for_desk == [(reference, "acknowledged", "rejected")]


@pytest.fixture(params=sorted(ADAPTERS))
def kit(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Kit:
    monkeypatch.setattr(CandidatesPull, "limit", 2)
    return KITS[request.param]


async def test_a_desk_change_survives_the_next_pull_until_the_ats_says_the_same(
    store: ATSStore, settings: Settings, tmp_path: Path, kit: Kit
) -> None:
    settings = dataclasses.replace(settings, sync_state_dir=tmp_path / "sync")
    case = CASES[kit.name]
    mapping = load_mapping(kit.name, "")

    async def pull(records: list) -> pulling.PullSummary:
        async with served(kit, records) as (_fake, url):
            return await pulling.pull(
                store, kit.settings(settings, url), mapping, ADAPTERS[kit.name], restart=True
            )

    await pull([kit.record(1)])
    app = await the_application(store, "applicant1@example.com")
    assert app.status is Status.SCREENING
    writes = case.fake()
    async with fw.serving(writes) as write_url:
        writing = case.settings(kit.settings(settings, "http://unused"), write_url)
        await desk_sets(store, writing, app.reference, Status.INTERVIEW)

        summary = await pull([kit.record(1)])  # the ATS's record from before the desk's change
        assert summary.kept_for_desk == 1
        kept = await the_application(store, "applicant1@example.com")
        assert kept.status is Status.INTERVIEW
        change = await desk_changes.latest(store, app.reference)
        assert change is not None and (change.state, change.seen_status) == ("pending", "screening")

        writes.add(case.ats_id)  # type: ignore[attr-defined]
        await send(store, writing, change.id, pause=0)
        assert case.holds(writes) == case.interview_held  # it reached the ATS's API
    await pull([kit.record(1)])  # older than the write: still kept
    assert (await the_application(store, "applicant1@example.com")).status is Status.INTERVIEW

    await pull([kit.interview(1)])  # the ATS now says the same: settled
    confirmed = await desk_changes.latest(store, app.reference)
    assert confirmed is not None and confirmed.state == WritebackState.CONFIRMED.value
    assert (await the_application(store, "applicant1@example.com")).status is Status.INTERVIEW


def greenhouse_row(status: Status, stage: str | None = None):
    return row(
        ats_system="greenhouse",
        ats_id="500001",
        vacancy_code="GH-3485",
        status=status,
        stage=stage,
    )


async def test_a_desk_change_survives_web_hooks_older_than_it(
    store: ATSStore, settings: Settings
) -> None:
    case = CASES["greenhouse"]
    start = utcnow()
    writes = fw.FakeGreenhouse()
    async with fw.serving(writes) as url:
        writing = case.settings(settings, url)
        await add(store, writing, greenhouse_row(Status.SCREENING, "Phone Screen"))
        reference = (await the_application(store)).reference
        await desk_sets(store, writing, reference, Status.REJECTED)

        def hook(number: int, status: Status, at_minutes: float) -> AtsEvent:
            at = start + timedelta(minutes=at_minutes)
            return AtsEvent(
                "greenhouse", f"event-{number}", at, greenhouse_row(status, "Phone Screen")
            )

        await apply_event(store, writing, hook(1, Status.SCREENING, -60))  # from before the change
        assert (await the_application(store)).status is Status.REJECTED
        await apply_event(store, writing, hook(2, Status.SCREENING, 1))  # not written yet: kept
        assert (await the_application(store)).status is Status.REJECTED
        writes.add(case.ats_id)
        await send(store, writing, (await desk_changes.latest(store, reference)).id, pause=0)  # type: ignore[union-attr]
        assert writes.applications["500001"]["status"] == "rejected"
        await apply_event(store, writing, hook(3, Status.REJECTED, 90))  # the ATS agrees
        settled = await desk_changes.latest(store, reference)
        assert settled is not None and settled.state == WritebackState.CONFIRMED.value
        # a later change made in the ATS itself is the ATS's to make
        await apply_event(store, writing, hook(4, Status.SCREENING, 120))
        assert (await the_application(store)).status is Status.SCREENING


async def test_a_change_made_in_the_ats_after_the_write_applies(
    store: ATSStore, settings: Settings
) -> None:
    case = CASES["greenhouse"]
    writes = fw.FakeGreenhouse()
    async with fw.serving(writes) as url:
        writing = case.settings(settings, url)
        await add(store, writing, greenhouse_row(Status.SCREENING, "Phone Screen"))
        reference = (await the_application(store)).reference
        change_id = await desk_sets(store, writing, reference, Status.INTERVIEW)
        writes.add(case.ats_id, stage=2)
        await send(store, writing, change_id, pause=0)
        later = utcnow() + timedelta(hours=1)
        event = AtsEvent("greenhouse", "later", later, greenhouse_row(Status.OFFER, "Offer"))
        await apply_event(store, writing, event)
    assert (await the_application(store)).status is Status.OFFER
    moved_on = await desk_changes.latest(store, reference)
    assert moved_on is not None and moved_on.state == WritebackState.SUPERSEDED.value


async def test_a_status_only_web_hook_is_kept_out_too(store: ATSStore, settings: Settings) -> None:
    await add(
        store,
        settings,
        row(
            ats_system="recruitee", ats_id="990001", vacancy_code="RT-771", status=Status.SCREENING
        ),
    )
    reference = (await the_application(store)).reference
    await desk_sets(store, settings, reference, Status.REJECTED)
    event = AtsEvent(
        "recruitee",
        "moved-1",
        utcnow() + timedelta(minutes=5),
        change=StatusChange("990001", Status.INTERVIEW, "Interview"),
    )
    await apply_event(store, settings, event)
    assert (await the_application(store)).status is Status.REJECTED
    shown = await desk_changes.latest(store, reference)
    assert shown is not None and (shown.seen_status, shown.seen_source) == (
        "interview",
        "recruitee",
    )
