"""The contract every ATS adapter's web hook keeps (`/ats/<ats>`), with each ATS's documented
payloads (tests/ats/sync/webhook_kits.py): a delivery verifies only as the ATS signs it, under
one of the secrets; forged, tampered, junk and oversized bodies do not; the signed time is the
ATS's own; junk reads as nothing or as UnusablePayload, never another error; and, where the
signature covers the whole event, a delivery applies once, in order, and tells a rejection from
a withdrawal (both databases). Lever's deliveries are confirmed from its API first: those
cases, and what only one ATS does, are in test_<ats>.py."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ats.models import Application, Status
from ats.settings import ConfigurationError, Settings
from ats.store import ATSStore
from ats.sync import replay
from ats.sync.adapter import AtsAdapter
from ats.sync.events import AtsEvent, Outcome, UnusablePayload, apply_event
from ats.sync.mapping import StageMapping, load_mapping
from ats.sync.registry import ADAPTERS
from tests.ats.sync.webhook_kits import FIRST_AT, HOOK_KITS, Events, HookKit, status_of

SECRET = "s3cret"
WITHDRAWN_AT, REJECTED_AT = "2026-11-21T09:00:00Z", "2026-11-22T09:00:00Z"
SIGNED_WHOLE = sorted(name for name, kit in HOOK_KITS.items() if kit.events is not None)


@pytest.fixture(params=sorted(ADAPTERS))
def kit(request: pytest.FixtureRequest) -> HookKit:
    return HOOK_KITS[request.param]


@pytest.fixture(params=SIGNED_WHOLE)
def signed_whole(request: pytest.FixtureRequest) -> HookKit:
    """An ATS whose signature covers the whole event: a delivery is applied as it says."""
    return HOOK_KITS[request.param]


def adapter_of(kit: HookKit) -> AtsAdapter:
    return ADAPTERS[kit.name]


def events_of(kit: HookKit) -> Events:
    assert kit.events is not None
    return kit.events


def test_every_adapter_has_a_web_hook_kit() -> None:
    assert set(HOOK_KITS) == set(ADAPTERS)
    assert SIGNED_WHOLE == ["greenhouse", "recruitee", "workable"]


# Verification: on the raw bytes, before any JSON


def test_a_signed_delivery_verifies_under_any_of_the_secrets(kit: HookKit) -> None:
    adapter = adapter_of(kit)
    raw, headers = kit.sign(SECRET)
    signed = kit.signed(raw)
    assert adapter.signed_part(raw, headers, [SECRET]) == signed
    assert adapter.signed_part(raw, headers, ["other", SECRET]) == signed
    assert adapter.signed_part(raw, headers, ["other"]) is None
    assert adapter.signed_part(raw, headers, [""]) is None
    assert adapter.signed_part(raw, headers, []) is None
    for other_raw, other_headers in kit.genuine(SECRET):
        assert adapter.signed_part(other_raw, other_headers, [SECRET]) is not None


def test_a_delivery_is_named_by_what_is_signed(kit: HookKit) -> None:
    raw, headers = kit.sign(SECRET)
    signed = adapter_of(kit).signed_part(raw, headers, [SECRET]) or b""
    named = replay.delivery_key(signed)
    assert named == "sha256:" + hashlib.sha256(kit.signed(raw)).hexdigest()


def test_tampered_forged_junk_or_oversized_deliveries_do_not_verify(kit: HookKit) -> None:
    adapter = adapter_of(kit)
    forgeries = kit.forged(SECRET)
    assert forgeries
    for raw, headers in forgeries:
        assert adapter.signed_part(raw, headers, [SECRET]) is None, (raw[:80], headers)


# The signed time, checked against the freshness window


def test_the_signed_time_is_the_ats_s_own(kit: HookKit, settings: Settings) -> None:
    adapter, settings = adapter_of(kit), kit.settings(settings)
    for raw, event, expected in kit.signed_times():
        at = adapter.signed_at(raw, event, settings)
        assert at is not None and at.isoformat() == expected
    for raw, junk in kit.unsigned_times():
        assert adapter.signed_at(raw, junk, settings) is None, junk


# Reading a delivery


def read(
    kit: HookKit,
    body: Any,
    settings: Settings,
    event_id: str = "e",
    mapping: StageMapping | None = None,
) -> AtsEvent:
    mapping = mapping or load_mapping(kit.name, "")
    return adapter_of(kit).read_event(body, event_id, kit.settings(settings), mapping)


def test_an_event_without_a_time_is_refused_not_given_the_current_one(
    kit: HookKit, settings: Settings
) -> None:
    body, field = kit.untimed()
    with pytest.raises(UnusablePayload, match=field):
        read(kit, body, settings)
    for nothing in kit.changes_nothing():
        event = read(kit, nothing, settings)
        assert event.row is None and event.change is None


def test_junk_reads_as_nothing_or_unusable_never_another_error(
    kit: HookKit, settings: Settings
) -> None:
    for body in kit.junk:
        try:
            event = read(kit, body, settings)
        except UnusablePayload:
            continue
        assert event.source == kit.name and event.occurred_at.tzinfo is not None


# Applying deliveries whose signature covers the whole event (both databases)


async def deliver(
    store: ATSStore,
    kit: HookKit,
    settings: Settings,
    body: Any,
    event_id: str,
    mapping: StageMapping | None = None,
) -> Outcome:
    """A delivery as the receiver takes it once verified: read, confirmed, applied."""
    settings = kit.settings(settings)
    mapping = mapping or load_mapping(kit.name, "")
    adapter = adapter_of(kit)
    event = adapter.read_event(body, event_id, settings, mapping)
    confirmed = await adapter.confirm(event, store, settings, mapping)
    assert confirmed is event  # the event as it is: nothing to ask the ATS
    return await apply_event(store, settings, event)


async def application(store: ATSStore, kit: HookKit) -> Application:
    [found] = await store.find_applications_by_email(events_of(kit).email)
    return found


async def delivered(
    store: ATSStore, kit: HookKit, settings: Settings, body: Any, event_id: str
) -> tuple[Outcome, Status]:
    """What a delivery came to, and the application's status after it."""
    outcome = await deliver(store, kit, settings, body, event_id)
    return outcome, (await application(store, kit)).status


async def arrived(store: ATSStore, kit: HookKit, settings: Settings) -> Events:
    """The application arrived with the kit's first event (screening)."""
    events = events_of(kit)
    first = await delivered(store, kit, settings, events.first(), "evt-1")
    assert first == (Outcome.APPLIED, Status.SCREENING)
    return events


async def test_a_delivery_creates_the_application_with_the_ats_as_its_source(
    store: ATSStore, settings: Settings, signed_whole: HookKit
) -> None:
    kit = signed_whole
    events = await arrived(store, kit, settings)
    app = await application(store, kit)
    assert app.acknowledged_at is not None  # past the first stage: looked at
    events.arrived(app)
    [arrival] = await store.status_history(app.reference)
    assert (arrival.source, arrival.actor) == (kit.name, f"{kit.name} webhook")


async def test_a_repeated_delivery_is_handled_once(
    store: ATSStore, settings: Settings, signed_whole: HookKit
) -> None:
    kit = signed_whole
    events = await arrived(store, kit, settings)
    interview = events.interview("2026-11-19T10:00:00Z")
    assert await delivered(store, kit, settings, interview, "evt-1") == (  # the same id
        Outcome.DUPLICATE,
        Status.SCREENING,
    )


async def test_an_older_event_arriving_late_is_stale(
    store: ATSStore, settings: Settings, signed_whole: HookKit
) -> None:
    kit, events = signed_whole, events_of(signed_whole)
    interview = events.interview("2026-11-20T10:00:00Z")
    assert await deliver(store, kit, settings, interview, "evt-2") is Outcome.APPLIED
    assert await deliver(store, kit, settings, events.first(), "evt-1") is Outcome.STALE  # 18th
    for n, older in enumerate(events.older()):
        assert await deliver(store, kit, settings, older, f"evt-older-{n}") is Outcome.STALE
    app = await application(store, kit)
    assert (app.status, app.stage) == (Status.INTERVIEW, events.interview_stage)
    history = await store.status_history(app.reference)
    assert [e.to_status for e in history] == [Status.INTERVIEW]


async def test_an_event_no_newer_than_the_one_applied_does_not_apply_again(
    store: ATSStore, settings: Settings, signed_whole: HookKit
) -> None:
    kit = signed_whole
    events = await arrived(store, kit, settings)
    same_time = events.interview(FIRST_AT)  # the application's time has not moved
    stale = await delivered(store, kit, settings, same_time, "evt-2")
    assert stale == (Outcome.STALE, Status.SCREENING)
    app = await application(store, kit)
    await store.record_status_change(
        app.reference, Status.WITHDRAWN, actor="applicant", source="chat"
    )
    # the same snapshot under another name, and another of the same time: neither undoes the
    # withdrawal the help desk recorded since
    assert await deliver(store, kit, settings, events.first(), "evt-1-again") is Outcome.STALE
    assert await deliver(store, kit, settings, same_time, "evt-3") is Outcome.STALE
    assert (await application(store, kit)).status is Status.WITHDRAWN


async def test_rejection_and_withdrawal_are_told_apart(
    store: ATSStore, settings: Settings, signed_whole: HookKit
) -> None:
    kit = signed_whole
    events = await arrived(store, kit, settings)
    withdrew = events.withdrawal(WITHDRAWN_AT)
    applied = await delivered(store, kit, settings, withdrew, "evt-2")
    assert applied == (Outcome.APPLIED, Status.WITHDRAWN)
    same_time = events.rejection(WITHDRAWN_AT)
    stale = await delivered(store, kit, settings, same_time, "evt-3")
    assert stale == (Outcome.STALE, Status.WITHDRAWN)
    rejected = events.rejection(REJECTED_AT)
    applied = await delivered(store, kit, settings, rejected, "evt-4")
    assert applied == (Outcome.APPLIED, Status.REJECTED)
    app = await application(store, kit)
    history = await store.status_history(app.reference)
    assert [(e.from_status, e.to_status) for e in history][-2:] == [
        (Status.SCREENING, Status.WITHDRAWN),
        (Status.WITHDRAWN, Status.REJECTED),
    ]


async def test_a_hire(store: ATSStore, settings: Settings, signed_whole: HookKit) -> None:
    events = await arrived(store, signed_whole, settings)
    hired = events.hire("2026-11-25T09:00:00Z")
    applied = await delivered(store, signed_whole, settings, hired, "evt-5")
    assert applied == (Outcome.APPLIED, Status.HIRED)


async def test_events_of_no_concern_are_ignored(
    store: ATSStore, settings: Settings, signed_whole: HookKit
) -> None:
    kit, events = signed_whole, events_of(signed_whole)
    for n, body in enumerate(events.of_no_concern()):
        assert await deliver(store, kit, settings, body, f"evt-before-{n}") is Outcome.IGNORED
    assert await store.find_applications_by_email(events.email) == []
    await arrived(store, kit, settings)
    for n, body in enumerate(events.of_no_concern()):
        ignored = await delivered(store, kit, settings, body, f"evt-after-{n}")
        assert ignored == (Outcome.IGNORED, Status.SCREENING)


async def test_the_employer_names_its_own_stages_and_withdrawal_reasons(
    store: ATSStore, settings: Settings, signed_whole: HookKit, tmp_path: Path
) -> None:
    kit, events = signed_whole, events_of(signed_whole)
    mapping_file = tmp_path / "mapping.json"
    named = {
        "stages": {events.first_stage: "applied"},
        "withdrawn_reasons": [events.rejection_reason],
    }
    mapping_file.write_text(json.dumps({kit.name: named}))
    mapping = load_mapping(kit.name, str(mapping_file))
    assert mapping.status_of(events.first_stage.lower()) is Status.APPLIED
    assert mapping.status_of("Technical Interview") is Status.INTERVIEW  # by its words
    first = read(kit, events.first(), settings, "evt-1", mapping)
    assert status_of(first) is Status.APPLIED  # over what the ATS's own stage says
    assert await deliver(store, kit, settings, events.first(), "evt-1", mapping) is Outcome.APPLIED
    app = await application(store, kit)
    assert app.status is Status.APPLIED and app.acknowledged_at is None  # not yet looked at
    rejection = events.rejection(REJECTED_AT)
    assert status_of(read(kit, rejection, settings, "evt-2", mapping)) is Status.WITHDRAWN
    assert status_of(read(kit, rejection, settings, "evt-2")) is Status.REJECTED
    mapping_file.write_text(json.dumps({kit.name: {"stages": {"Screen": "maybe"}}}))
    with pytest.raises(ConfigurationError, match="maybe"):
        load_mapping(kit.name, str(mapping_file))
