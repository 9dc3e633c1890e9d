"""Recruitee's webhook events, in its documented format, applied to the store (both databases)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from ats.models import Status
from ats.settings import Settings
from ats.store import ATSStore
from ats.sync import recruitee
from ats.sync.events import Outcome, UnusablePayload, apply_event
from ats.sync.mapping import load_mapping

PAYLOADS = Path(__file__).parent / "payloads"
MOVED = json.loads((PAYLOADS / "recruitee_candidate_moved.json").read_text())
DISQUALIFIED = json.loads((PAYLOADS / "recruitee_candidate_disqualified.json").read_text())
EMAIL = "ilse.bakker@example.com"


def moved(at: str = "2026-11-18T14:38:36Z", to_stage: dict | None = None, **changes) -> dict:
    body = copy.deepcopy(MOVED)
    body["created_at"] = at
    if to_stage is not None:
        body["payload"]["details"]["to_stage"] = to_stage
    body.update(changes)
    return body


def disqualified(reason: str, at: str = "2026-11-21T09:00:00Z") -> dict:
    body = copy.deepcopy(DISQUALIFIED)
    body["created_at"] = at
    body["payload"]["details"]["disqualify_reason"] = {"id": 1, "name": reason}
    return body


def read(body: dict, event_id: str, settings: Settings, mapping_path: str = ""):
    return recruitee.read_event(body, event_id, settings, load_mapping("recruitee", mapping_path))


async def deliver(store: ATSStore, settings: Settings, body: dict, event_id: str) -> Outcome:
    return await apply_event(store, settings, read(body, event_id, settings))


async def application(store: ATSStore):
    [found] = await store.find_applications_by_email(EMAIL)
    return found


def test_the_signature_is_the_hex_hmac_of_the_body_under_the_secret() -> None:
    body = json.dumps(MOVED).encode()
    digest = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    signed = {"X-Recruitee-Signature": digest}
    assert recruitee.signature_matches(body, signed, "s3cret")
    assert recruitee.signature_matches(body, {"X-Recruitee-Signature": digest.upper()}, "s3cret")
    assert not recruitee.signature_matches(body, signed, "other")
    assert not recruitee.signature_matches(body + b" ", signed, "s3cret")
    for forged in (None, "", f"sha256={digest}", digest[:-1], "zz", "ümlaut", digest + "ü"):
        headers = {} if forged is None else {"X-Recruitee-Signature": forged}
        assert not recruitee.signature_matches(body, headers, "s3cret")
    assert not recruitee.signature_matches(body, {"Signature": digest}, "s3cret")


def test_the_signed_part_is_the_body_and_the_signed_time_its_created_at(
    settings: Settings,
) -> None:
    body = json.dumps(MOVED).encode()
    digest = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert recruitee.signed_part(body, {"X-Recruitee-Signature": digest}, ["x", "s3cret"]) == body
    assert recruitee.signed_part(body, {"X-Recruitee-Signature": digest}, ["x"]) is None
    assert recruitee.signed_at(body, MOVED, settings).isoformat() == (
        "2026-11-18T14:38:36.125000+00:00"
    )
    for junk in ({}, {"test": True}, {"created_at": 5}, {"created_at": "yesterday"}):
        assert recruitee.signed_at(body, junk, settings) is None


def test_an_event_without_a_time_is_refused_not_given_the_current_one(
    settings: Settings,
) -> None:
    no_time = moved()
    del no_time["created_at"]
    with pytest.raises(UnusablePayload, match="created_at"):
        read(no_time, "e", settings)
    assert read({"test": True}, "e", settings).row is None  # the Test button changes nothing


async def test_a_move_creates_the_application_with_recruitee_as_its_source(
    store: ATSStore, settings: Settings
) -> None:
    event = read(moved(), "2374321", settings)
    assert event.row is not None and event.change is None
    assert event.row.ats_id == "990011"  # the placement: this candidate on this job
    assert await apply_event(store, settings, event) is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.SCREENING and app.stage == "Phone screen"  # phone_screen
    assert app.vacancy.title == "Backend Developer"
    assert app.recruiter.email == "ruben.smit@example.com"
    assert app.candidate.name == "Ilse Bakker"
    assert app.acknowledged_at is not None  # past the first stage: looked at
    [arrival] = await store.status_history(app.reference)
    assert arrival.source == "recruitee" and arrival.actor == "recruitee webhook"


async def test_an_assignment_without_a_recruiter_uses_the_default(
    store: ATSStore, settings: Settings
) -> None:
    body = moved(to_stage={"id": 101, "name": "Applied", "category": "apply"})
    body["event_type"], body["event_subtype"] = "candidate_assigned", "assigned"
    del body["payload"]["offer"]["recruiter"]
    with pytest.raises(UnusablePayload, match="recruiter"):
        read(body, "a-1", settings)
    settings = dataclasses.replace(settings, default_recruiter_email="desk@example.com")
    assert await deliver(store, settings, body, "a-1") is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.APPLIED and app.recruiter.email == "desk@example.com"
    assert app.acknowledged_at is None


async def test_a_repeated_delivery_is_handled_once(store: ATSStore, settings: Settings) -> None:
    assert await deliver(store, settings, moved(), "2374321") is Outcome.APPLIED
    interview = moved(
        "2026-11-19T10:00:00Z", {"id": 103, "name": "Interview", "category": "interview"}
    )
    assert await deliver(store, settings, interview, "2374321") is Outcome.DUPLICATE
    assert (await application(store)).status is Status.SCREENING


async def test_an_older_event_arriving_late_is_stale(store: ATSStore, settings: Settings) -> None:
    offer = moved("2026-11-20T10:00:00Z", {"id": 105, "name": "Offer", "category": "offer"})
    assert await deliver(store, settings, offer, "e-2") is Outcome.APPLIED
    assert await deliver(store, settings, moved(), "e-1") is Outcome.STALE  # from the 18th
    late_reject = disqualified("Not a good fit", at="2026-11-19T09:00:00Z")
    assert await deliver(store, settings, late_reject, "e-3") is Outcome.STALE
    app = await application(store)
    assert app.status is Status.OFFER
    history = await store.status_history(app.reference)
    assert [e.to_status for e in history] == [Status.OFFER]


@pytest.mark.parametrize(
    ("stage", "status"),
    [
        ({"name": "Applied", "category": "apply"}, Status.APPLIED),
        ({"name": "Call", "category": "phone_screen"}, Status.SCREENING),
        ({"name": "Meet the team", "category": "interview"}, Status.INTERVIEW),
        ({"name": "Case study", "category": "evaluation"}, Status.INTERVIEW),
        ({"name": "Contract", "category": "offer"}, Status.OFFER),
        ({"name": "Welcome aboard", "category": "hire"}, Status.HIRED),
        ({"name": "Technical interview"}, Status.INTERVIEW),  # no category: its name
        ({"name": "Sourced", "category": "something_new"}, Status.SCREENING),
    ],
)
def test_stage_categories_give_the_status(stage: dict, status: Status, settings: Settings) -> None:
    event = read(moved(to_stage=stage), "e-1", settings)
    assert event.row is not None and event.row.status is status


async def test_a_hire(store: ATSStore, settings: Settings) -> None:
    await deliver(store, settings, moved(), "e-1")
    hired = moved("2026-11-25T09:00:00Z", {"id": 106, "name": "Hired", "category": "hire"})
    assert await deliver(store, settings, hired, "e-2") is Outcome.APPLIED
    assert (await application(store)).status is Status.HIRED


async def test_a_change_no_newer_than_the_one_applied_does_not_apply_again(
    store: ATSStore, settings: Settings
) -> None:
    await deliver(store, settings, moved(), "e-1")
    withdrew = disqualified("Withdrew", at="2026-11-21T09:00:00Z")
    assert await deliver(store, settings, withdrew, "e-2") is Outcome.APPLIED
    same_time = disqualified("Not a good fit", at="2026-11-21T09:00:00Z")
    assert await deliver(store, settings, same_time, "e-3") is Outcome.STALE
    assert (await application(store)).status is Status.WITHDRAWN


async def test_rejection_and_withdrawal_are_told_apart(store: ATSStore, settings: Settings) -> None:
    await deliver(store, settings, moved(), "e-1")
    withdrew = read(disqualified("Withdrew"), "e-2", settings)
    assert withdrew.row is None and withdrew.change is not None  # ids only
    assert withdrew.change.ats_id == "990011" and withdrew.change.close_reason == "Withdrew"
    assert await apply_event(store, settings, withdrew) is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.WITHDRAWN
    rejected = disqualified("Not a good fit", at="2026-11-22T09:00:00Z")
    assert await deliver(store, settings, rejected, "e-3") is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.REJECTED
    history = await store.status_history(app.reference)
    assert [(e.from_status, e.to_status) for e in history][-2:] == [
        (Status.SCREENING, Status.WITHDRAWN),
        (Status.WITHDRAWN, Status.REJECTED),
    ]


async def test_the_employer_names_its_withdrawal_reasons_and_stages(
    store: ATSStore, settings: Settings, tmp_path: Path
) -> None:
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(
        json.dumps(
            {
                "recruitee": {
                    "stages": {"Phone screen": "applied"},
                    "withdrawn_reasons": ["Chose to stay"],
                }
            }
        )
    )
    event = read(moved(), "e-1", settings, str(mapping_file))
    assert event.row is not None and event.row.status is Status.APPLIED  # over the category
    await apply_event(store, settings, event)
    stayed = read(disqualified("Chose to stay"), "e-2", settings, str(mapping_file))
    assert stayed.change is not None and stayed.change.status is Status.WITHDRAWN
    assert read(disqualified("Chose to stay"), "e-2", settings).change.status is Status.REJECTED


async def test_a_change_to_an_application_not_held_yet(store: ATSStore, settings: Settings) -> None:
    outcome = await deliver(store, settings, disqualified("Withdrew"), "e-9")
    assert outcome is Outcome.UNKNOWN_APPLICATION


async def test_events_of_no_concern_are_ignored(store: ATSStore, settings: Settings) -> None:
    await deliver(store, settings, moved(), "e-1")
    for kind in ("candidate_deleted", "candidate_created", "offer_published", None):
        body = moved("2026-11-26T09:00:00Z", event_type=kind)
        assert await deliver(store, settings, body, f"e-{kind}") is Outcome.IGNORED
    assert await deliver(store, settings, {"test": True}, "e-test") is Outcome.IGNORED
    assert (await application(store)).status is Status.SCREENING


def test_unusable_payloads_are_refused(settings: Settings) -> None:
    no_placement = moved()
    del no_placement["payload"]["placement"]
    with pytest.raises(UnusablePayload, match="placement"):
        read(no_placement, "e-x", settings)
    no_stage = moved()
    no_stage["payload"]["details"] = {}
    with pytest.raises(UnusablePayload, match="stage"):
        read(no_stage, "e-x", settings)
    assigned = moved(event_type="candidate_assigned")
    assigned["payload"]["candidate"]["emails"] = []
    with pytest.raises(UnusablePayload, match="email"):
        read(assigned, "e-x", settings)
    # a move of a candidate without an email is still a change to an application held
    no_email = moved()
    no_email["payload"]["candidate"]["emails"] = []
    event = read(no_email, "e-x", settings)
    assert event.row is None and event.change.status is Status.SCREENING


@pytest.mark.parametrize(
    "junk",
    [
        {},
        {"event_type": "candidate_moved"},
        {"event_type": "candidate_moved", "payload": []},
        {"event_type": "candidate_moved", "payload": {"placement": {"id": [1]}}},
        {"event_type": ["candidate_moved"], "created_at": 5},
        {"event_type": "candidate_moved", "created_at": "yesterday", "payload": None},
        {
            "event_type": "candidate_moved",
            "payload": {
                "placement": {"id": 1, "created_at": 7},
                "details": {"to_stage": {"name": ["x"], "category": 3}},
                "candidate": {"emails": [None, 5, {"value": 1}], "name": {}},
                "offer": {"id": {}, "title": None, "recruiter": []},
            },
        },
        {
            "event_type": "candidate_disqualified",
            "payload": {"placement": {"id": 1, "stage": []}, "details": {"disqualify_reason": 4}},
        },
    ],
)
def test_junk_never_raises_anything_but_unusable_payload(junk: dict, settings: Settings) -> None:
    try:
        read(junk, "e-junk", settings)
    except UnusablePayload:
        pass
