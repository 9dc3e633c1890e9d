"""Applying an ATS's status change (ATSs that send ids, not whole applications) to the store."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from ats.models import Status
from ats.settings import Settings
from ats.store import ATSStore
from ats.sync.events import AtsEvent, Outcome, StatusChange, apply_event
from tests.ats.sync.test_greenhouse import application, deliver, event

LATER = datetime(2026, 11, 19, 10, 0, tzinfo=timezone.utc)
EARLIER = datetime(2026, 11, 17, 10, 0, tzinfo=timezone.utc)


async def test_a_status_change_moves_the_application_the_ats_names(
    store: ATSStore, settings: Settings
) -> None:
    await deliver(store, settings, event(), "evt-1")  # application 265277, screening
    change = StatusChange(ats_id="265277", status=Status.INTERVIEW, stage="Onsite")
    moved = AtsEvent("greenhouse", "evt-2", LATER, change=change)
    assert await apply_event(store, settings, moved) is Outcome.APPLIED
    app = await application(store)
    assert (app.status, app.stage) == (Status.INTERVIEW, "Onsite")
    last = (await store.status_history(app.reference))[-1]
    assert (last.source, last.from_status, last.to_status) == (
        "greenhouse",
        Status.SCREENING,
        Status.INTERVIEW,
    )
    older = AtsEvent("greenhouse", "evt-3", EARLIER, change=StatusChange("265277", Status.REJECTED))
    assert await apply_event(store, settings, older) is Outcome.STALE
    assert await apply_event(store, settings, moved) is Outcome.DUPLICATE


async def test_a_change_to_an_application_not_held_yet_can_come_again(
    store: ATSStore, settings: Settings
) -> None:
    change = AtsEvent("greenhouse", "evt-9", LATER, change=StatusChange("404", Status.OFFER))
    assert await apply_event(store, settings, change) is Outcome.UNKNOWN_APPLICATION
    # not marked as handled: once the application is imported, the redelivery applies
    assert await apply_event(store, settings, change) is Outcome.UNKNOWN_APPLICATION


async def test_a_change_of_the_same_time_as_the_one_applied_does_not_apply(
    store: ATSStore, settings: Settings
) -> None:
    await deliver(store, settings, event(), "evt-1")
    offer = AtsEvent("greenhouse", "evt-2", LATER, change=StatusChange("265277", Status.OFFER))
    assert await apply_event(store, settings, offer) is Outcome.APPLIED
    rejected = StatusChange("265277", Status.REJECTED)
    same_time = AtsEvent("greenhouse", "evt-3", LATER, change=rejected)
    assert await apply_event(store, settings, same_time) is Outcome.STALE
    assert (await application(store)).status is Status.OFFER


async def test_of_many_events_of_one_time_arriving_at_once_one_applies(
    store: ATSStore, settings: Settings
) -> None:
    await deliver(store, settings, event(), "evt-1")
    statuses = [Status.INTERVIEW, Status.OFFER, Status.REJECTED, Status.HIRED] * 3
    racing = [
        AtsEvent("greenhouse", f"race-{n}", LATER, change=StatusChange("265277", status))
        for n, status in enumerate(statuses)
    ]
    outcomes = await asyncio.gather(*(apply_event(store, settings, e) for e in racing))
    assert sorted(o.value for o in outcomes) == ["applied"] + ["stale"] * (len(racing) - 1)
    app = await application(store)
    history = await store.status_history(app.reference)
    assert len([e for e in history if e.occurred_at == LATER]) == 1


async def test_a_change_that_fails_can_be_delivered_again(
    store: ATSStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    await deliver(store, settings, event(), "evt-1")
    change = AtsEvent("greenhouse", "evt-2", LATER, change=StatusChange("265277", Status.OFFER))
    recorded = store.record_status_change

    async def store_goes_away(*args, **kwargs):
        raise OSError("the connection was lost")

    monkeypatch.setattr(store, "record_status_change", store_goes_away)
    with pytest.raises(OSError):
        await apply_event(store, settings, change)
    monkeypatch.setattr(store, "record_status_change", recorded)
    assert await apply_event(store, settings, change) is Outcome.APPLIED  # the ATS's retry
    assert (await application(store)).status is Status.OFFER
