"""Applying an ATS's status change (ATSs that send ids, not whole applications) to the store."""

from __future__ import annotations

from datetime import datetime, timezone

from actions.ats.models import Status
from actions.ats.store import ATSStore
from actions.ats.sync.events import AtsEvent, Outcome, StatusChange, apply_event
from actions.settings import Settings
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
