"""Greenhouse's webhook events, in its documented format, applied to the store (both databases)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from ats.models import Status
from ats.settings import ConfigurationError, Settings
from ats.store import ATSStore
from ats.sync import greenhouse, replay
from ats.sync.events import Outcome, UnusablePayload, apply_event
from ats.sync.mapping import load_mapping

PAYLOADS = Path(__file__).parent / "payloads"
STAGE_CHANGE = json.loads((PAYLOADS / "greenhouse_candidate_stage_change.json").read_text())


def event(action: str = "candidate_stage_change", at: str = "2026-11-18T14:38:36Z", **changes):
    body = copy.deepcopy(STAGE_CHANGE)
    body["action"] = action
    application = body["payload"]["application"]
    application["last_activity_at"] = at
    for name, value in changes.items():
        application[name] = value
    return body


async def deliver(store: ATSStore, settings: Settings, body: dict, event_id: str) -> Outcome:
    read = greenhouse.read_event(body, event_id, settings, load_mapping("greenhouse", ""))
    return await apply_event(store, settings, read)


async def application(store: ATSStore):
    [found] = await store.find_applications_by_email("giuseppe.hurley@example.com")
    return found


def test_the_signature_is_the_hmac_of_the_body_under_the_secret() -> None:
    body = json.dumps(STAGE_CHANGE).encode()
    digest = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    signed = {"Signature": f"sha256 {digest}"}
    assert greenhouse.signature_matches(body, signed, "s3cret")
    assert not greenhouse.signature_matches(body, signed, "other")
    assert not greenhouse.signature_matches(body + b" ", signed, "s3cret")
    for forged in (None, "", digest, f"sha1 {digest}", "sha256 ", "sha256 zz", "sha256 ümlaut"):
        headers = {} if forged is None else {"Signature": forged}
        assert not greenhouse.signature_matches(body, headers, "s3cret")


def test_a_delivery_is_named_by_its_signed_body_not_by_its_event_id_header() -> None:
    body = json.dumps(STAGE_CHANGE).encode()
    digest = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    first = {"Signature": f"sha256 {digest}", "Greenhouse-Event-ID": "gh-1"}
    again = {"Signature": f"sha256 {digest}", "Greenhouse-Event-ID": "gh-2"}
    assert greenhouse.signed_part(body, first, ["other", "s3cret"]) == body
    named = replay.delivery_key(greenhouse.signed_part(body, again, ["s3cret"]) or b"")
    assert named == replay.delivery_key(body) == "sha256:" + hashlib.sha256(body).hexdigest()
    assert greenhouse.signed_part(body, first, ["other"]) is None
    assert greenhouse.signed_part(body, {}, ["s3cret"]) is None


def test_the_signed_time_is_the_application_s_last_change(settings: Settings) -> None:
    assert greenhouse.signed_at(b"", event(), settings).isoformat() == "2026-11-18T14:38:36+00:00"
    rejected = event(rejected_at="2026-11-19T08:00:00Z")
    assert greenhouse.signed_at(b"", rejected, settings).isoformat() == "2026-11-19T08:00:00+00:00"
    for junk in ({}, {"payload": []}, event(at=None), event(at="soon"), {"action": "ping"}):
        assert greenhouse.signed_at(b"", junk, settings) is None


def test_an_event_without_a_time_is_refused_not_given_the_current_one(
    settings: Settings,
) -> None:
    mapping = load_mapping("greenhouse", "")
    with pytest.raises(UnusablePayload, match="last_activity_at"):
        greenhouse.read_event(event(at=None), "e", settings, mapping)
    # Greenhouse's ping when a web hook is saved carries no time and changes nothing
    ping = {"action": "ping", "payload": {"web_hook_id": 1}}
    assert greenhouse.read_event(ping, "e", settings, mapping).row is None


async def test_a_stage_change_creates_the_application_with_greenhouse_as_its_source(
    store: ATSStore, settings: Settings
) -> None:
    assert await deliver(store, settings, event(), "evt-1") is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.SCREENING and app.stage == "Phone Screen"
    assert app.vacancy.title == "Designer"
    assert app.recruiter.email == "alicia.flopple@example.com"
    assert app.candidate.name == "Giuseppe Hurley"
    assert app.acknowledged_at is not None  # past the first stage: looked at
    [arrival] = await store.status_history(app.reference)
    assert arrival.source == "greenhouse" and arrival.actor == "greenhouse webhook"


async def test_a_repeated_delivery_is_handled_once(store: ATSStore, settings: Settings) -> None:
    assert await deliver(store, settings, event(), "evt-1") is Outcome.APPLIED
    moved = event(current_stage={"id": 2, "name": "Face to Face"}, at="2026-11-19T10:00:00Z")
    assert await deliver(store, settings, moved, "evt-1") is Outcome.DUPLICATE  # same id
    assert (await application(store)).status is Status.SCREENING


async def test_an_older_event_arriving_late_is_stale(store: ATSStore, settings: Settings) -> None:
    interview = event(current_stage={"id": 2, "name": "Face to Face"}, at="2026-11-20T10:00:00Z")
    assert await deliver(store, settings, interview, "evt-2") is Outcome.APPLIED
    assert await deliver(store, settings, event(), "evt-1") is Outcome.STALE  # from the 18th
    app = await application(store)
    assert app.status is Status.INTERVIEW
    history = await store.status_history(app.reference)
    assert [e.to_status for e in history] == [Status.INTERVIEW]


async def test_an_event_no_newer_than_the_one_applied_does_not_apply_again(
    store: ATSStore, settings: Settings
) -> None:
    interview = event(current_stage={"id": 2, "name": "Face to Face"}, at="2026-11-20T10:00:00Z")
    assert await deliver(store, settings, interview, "evt-2") is Outcome.APPLIED
    app = await application(store)
    await store.record_status_change(
        app.reference, Status.WITHDRAWN, actor="applicant", source="chat"
    )
    # the same snapshot under another name, and another of the same time: neither undoes the
    # withdrawal the help desk recorded since
    assert await deliver(store, settings, interview, "evt-2-again") is Outcome.STALE
    same_time = event(at="2026-11-20T10:00:00Z")
    assert await deliver(store, settings, same_time, "evt-3") is Outcome.STALE
    assert (await application(store)).status is Status.WITHDRAWN


async def test_rejection_and_withdrawal_are_told_apart(store: ATSStore, settings: Settings) -> None:
    await deliver(store, settings, event(), "evt-1")
    withdrew = event(
        "reject_candidate",
        at="2026-11-21T09:00:00Z",
        status="rejected",
        rejected_at="2026-11-21T09:00:00Z",
        rejection_reason={
            "id": 9,
            "name": "Accepted another offer",
            "type": {"id": 2, "name": "They rejected us"},
        },
    )
    assert await deliver(store, settings, withdrew, "evt-3") is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.WITHDRAWN
    rejected = event(
        "reject_candidate",
        at="2026-11-22T09:00:00Z",
        status="rejected",
        rejection_reason={
            "id": 4,
            "name": "Lacking skill(s)",
            "type": {"id": 1, "name": "We rejected them"},
        },
    )
    await deliver(store, settings, rejected, "evt-4")
    app = await application(store)
    assert app.status is Status.REJECTED
    history = await store.status_history(app.reference)
    assert [(e.from_status, e.to_status) for e in history][-2:] == [
        (Status.SCREENING, Status.WITHDRAWN),
        (Status.WITHDRAWN, Status.REJECTED),
    ]


async def test_a_hire_and_events_of_no_concern(store: ATSStore, settings: Settings) -> None:
    await deliver(store, settings, event(), "evt-1")
    hired = event("hire_candidate", at="2026-11-25T09:00:00Z", status="hired")
    assert await deliver(store, settings, hired, "evt-5") is Outcome.APPLIED
    assert (await application(store)).status is Status.HIRED
    for action in ("delete_candidate", "prospect_created", "job_created"):
        assert await deliver(store, settings, event(action), f"evt-{action}") is Outcome.IGNORED


async def test_an_application_without_an_email_address_is_refused(settings: Settings) -> None:
    body = event()
    body["payload"]["application"]["candidate"]["email_addresses"] = []
    with pytest.raises(greenhouse.UnusablePayload, match="email"):
        greenhouse.read_event(body, "evt-x", settings, load_mapping("greenhouse", ""))


async def test_the_employer_names_its_own_stages(
    store: ATSStore, settings: Settings, tmp_path: Path
) -> None:
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(
        json.dumps({"greenhouse": {"stages": {"Phone Screen": "applied"}, "withdrawn_reasons": []}})
    )
    mapping = load_mapping("greenhouse", str(mapping_file))
    assert mapping.status_of("phone screen") is Status.APPLIED
    assert mapping.status_of("Technical Interview") is Status.INTERVIEW  # by its words
    read = greenhouse.read_event(event(), "evt-1", settings, mapping)
    await apply_event(store, settings, read)
    app = await application(store)
    assert app.status is Status.APPLIED and app.acknowledged_at is None  # not yet looked at
    mapping_file.write_text(json.dumps({"greenhouse": {"stages": {"Screen": "maybe"}}}))
    with pytest.raises(ConfigurationError, match="maybe"):
        load_mapping("greenhouse", str(mapping_file))
