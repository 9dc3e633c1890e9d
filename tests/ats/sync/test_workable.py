"""Workable's webhook events, in its documented format, applied to the store (both databases)."""

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
from ats.sync import workable
from ats.sync.events import Outcome, UnusablePayload, apply_event
from ats.sync.mapping import StageMapping, load_mapping

PAYLOADS = Path(__file__).parent / "payloads"
CREATED = json.loads((PAYLOADS / "workable_candidate_created.json").read_text())
MOVED = json.loads((PAYLOADS / "workable_candidate_moved.json").read_text())
EMAIL = "lakita.marrero@example.com"


@pytest.fixture
def desk(settings: Settings) -> Settings:
    """Workable names no recruiter: the desk's default recruiter takes its applications."""
    return dataclasses.replace(
        settings, default_recruiter_email="Eva@Example.com", default_recruiter_name="Eva Jansen"
    )


def event(base: dict = MOVED, at: str = "2026-11-18T14:38:36Z", **changes) -> dict:
    body = copy.deepcopy(base)
    body["data"]["updated_at"] = at
    body["data"].update(changes)
    return body


def read(body: dict, settings: Settings, mapping: StageMapping | None = None, event_id="e"):
    return workable.read_event(body, event_id, settings, mapping or load_mapping("workable", ""))


async def deliver(
    store: ATSStore,
    settings: Settings,
    body: dict,
    event_id: str,
    mapping: StageMapping | None = None,
) -> Outcome:
    return await apply_event(store, settings, read(body, settings, mapping, event_id))


async def application(store: ATSStore):
    [found] = await store.find_applications_by_email(EMAIL)
    return found


def test_the_signature_is_the_hex_hmac_of_the_body_under_the_token() -> None:
    body = json.dumps(CREATED).encode()
    digest = hmac.new(b"tok3n", body, hashlib.sha256).hexdigest()
    signed = {"X-Workable-Signature": digest}
    assert workable.signature_matches(body, signed, "tok3n")
    assert workable.signature_matches(body, {"x-workable-signature": digest.upper()}, "tok3n")
    assert not workable.signature_matches(body, signed, "other")
    assert not workable.signature_matches(body + b" ", signed, "tok3n")
    assert not workable.signature_matches(body, signed, "")
    forged = (None, "", "zz", f"sha256={digest}", digest[:-1], digest + "0", "ü" * 64, "é")
    for header in forged:
        headers = {} if header is None else {"X-Workable-Signature": header}
        assert not workable.signature_matches(body, headers, "tok3n")
    assert not workable.signature_matches("text", signed, "tok3n")  # type: ignore[arg-type]


def test_the_signed_part_is_the_body_and_the_signed_time_when_it_fired(
    settings: Settings,
) -> None:
    body = json.dumps(CREATED).encode()
    digest = hmac.new(b"tok3n", body, hashlib.sha256).hexdigest()
    signed = {"X-Workable-Signature": digest}
    assert workable.signed_part(body, signed, ["other", "tok3n"]) == body
    assert workable.signed_part(body, signed, ["other"]) is None
    assert workable.signed_at(body, CREATED, settings).isoformat() == "2026-11-16T09:12:04+00:00"
    for junk in ({}, {"fired_at": 12}, {"fired_at": "t"}, {"data": {"updated_at": "x"}}):
        assert workable.signed_at(body, junk, settings) is None


async def test_a_new_candidate_creates_the_application_with_workable_as_its_source(
    store: ATSStore, desk: Settings
) -> None:
    assert await deliver(store, desk, CREATED, "evt-1") is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.APPLIED and app.stage == "Applied"
    assert app.acknowledged_at is None  # nobody has looked at it yet
    assert app.vacancy.code == "WK-GROOV003" and app.vacancy.title == "Operations Manager"
    assert app.recruiter.email == "eva@example.com" and app.recruiter.name == "Eva Jansen"
    assert app.candidate.name == "Lakita Marrero"
    assert app.ats_system == "workable" and app.ats_id == "ce4da98"
    [arrival] = await store.status_history(app.reference)
    assert arrival.source == "workable" and arrival.actor == "workable webhook"


async def test_a_move_changes_the_stage(store: ATSStore, desk: Settings) -> None:
    await deliver(store, desk, CREATED, "evt-1")
    assert await deliver(store, desk, MOVED, "evt-2") is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.SCREENING and app.stage == "Phone Screen"
    assert app.acknowledged_at is not None  # past the first stage: looked at
    history = await store.status_history(app.reference)
    assert [(e.from_status, e.to_status) for e in history][-1] == (
        Status.APPLIED,
        Status.SCREENING,
    )
    assert all(e.source == "workable" for e in history)


async def test_a_move_alone_creates_the_application(store: ATSStore, desk: Settings) -> None:
    # every Workable event carries the whole candidate: no import is needed first
    assert await deliver(store, desk, MOVED, "evt-2") is Outcome.APPLIED
    assert (await application(store)).status is Status.SCREENING


async def test_a_repeated_delivery_is_handled_once(store: ATSStore, desk: Settings) -> None:
    assert await deliver(store, desk, MOVED, "evt-2") is Outcome.APPLIED
    interview = event(stage="Interview", at="2026-11-19T10:00:00Z")
    assert await deliver(store, desk, interview, "evt-2") is Outcome.DUPLICATE  # same id
    assert (await application(store)).status is Status.SCREENING


async def test_an_older_event_arriving_late_is_stale(store: ATSStore, desk: Settings) -> None:
    interview = event(stage="Interview", at="2026-11-20T10:00:00Z")
    assert await deliver(store, desk, interview, "evt-3") is Outcome.APPLIED
    assert await deliver(store, desk, MOVED, "evt-2") is Outcome.STALE  # from the 18th
    assert await deliver(store, desk, CREATED, "evt-1") is Outcome.STALE  # from the 16th
    app = await application(store)
    assert app.status is Status.INTERVIEW and app.stage == "Interview"
    history = await store.status_history(app.reference)
    assert [e.to_status for e in history] == [Status.INTERVIEW]


async def test_an_event_no_newer_than_the_one_applied_does_not_apply_again(
    store: ATSStore, desk: Settings
) -> None:
    assert await deliver(store, desk, MOVED, "evt-2") is Outcome.APPLIED
    same_time = event(stage="Offer")  # the candidate's updated_at has not moved
    assert await deliver(store, desk, same_time, "evt-3") is Outcome.STALE
    assert (await application(store)).status is Status.SCREENING


def test_an_event_without_a_time_is_refused_not_given_the_current_one(desk: Settings) -> None:
    no_time = event(at=None)
    del no_time["fired_at"]
    with pytest.raises(UnusablePayload, match="fired_at"):
        read(no_time, desk)


def test_the_time_of_an_event_is_the_candidate_update_else_when_it_fired(desk: Settings) -> None:
    assert read(MOVED, desk).occurred_at.isoformat() == "2026-11-18T14:38:36+00:00"
    fired = event(at="not a time")
    assert read(fired, desk).occurred_at.isoformat() == "2026-11-18T14:38:40+00:00"
    local = event(at="2026-11-18T15:00:00")  # no offset: the employer's time zone
    assert read(local, desk).occurred_at.isoformat() == "2026-11-18T14:00:00+00:00"


@pytest.mark.parametrize(
    ("stage", "kind", "status"),
    [
        ("Applied", None, Status.APPLIED),
        ("Phone Screen", None, Status.SCREENING),
        ("phone-screen", None, Status.SCREENING),  # a stage slug
        ("Assessment", None, Status.INTERVIEW),
        ("Interview", None, Status.INTERVIEW),
        ("Offer", None, Status.OFFER),
        ("Hired", None, Status.HIRED),
        ("Culture chat", "interview", Status.INTERVIEW),  # the employer's name, Workable's kind
        ("Culture chat", None, Status.SCREENING),
    ],
)
def test_each_default_stage_has_its_status(desk: Settings, stage, kind, status) -> None:
    row = read(event(stage=stage, stage_kind=kind), desk).row
    assert row is not None and row.status is status and row.stage == stage


async def test_rejection_and_withdrawal_are_told_apart(
    store: ATSStore, desk: Settings, tmp_path: Path
) -> None:
    await deliver(store, desk, MOVED, "evt-2")
    withdrew = event(
        at="2026-11-21T09:00:00Z",
        disqualified=True,
        withdrew=True,
        disqualification_reason="Took another job",
        disqualified_at="2026-11-21T09:00:00Z",
    )
    assert await deliver(store, desk, withdrew, "evt-3") is Outcome.APPLIED
    assert (await application(store)).status is Status.WITHDRAWN
    rejected = event(
        at="2026-11-22T09:00:00Z", disqualified=True, disqualification_reason="Underqualified"
    )
    assert await deliver(store, desk, rejected, "evt-4") is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.REJECTED and app.stage == "Phone Screen"
    history = await store.status_history(app.reference)
    assert [(e.from_status, e.to_status) for e in history][-2:] == [
        (Status.SCREENING, Status.WITHDRAWN),
        (Status.WITHDRAWN, Status.REJECTED),
    ]
    # Workable's own wording, without the flag
    worded = event(disqualified=True, disqualification_reason=" Candidate withdrew ")
    assert read(worded, desk).row.status is Status.WITHDRAWN
    # reasons the employer lists
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps({"workable": {"withdrawn_reasons": ["Took another job"]}}))
    mapping = load_mapping("workable", str(mapping_file))
    listed = event(disqualified=True, disqualification_reason="Took another job")
    assert read(listed, desk, mapping).row.status is Status.WITHDRAWN
    assert read(listed, desk).row.status is Status.REJECTED
    assert read(event(disqualified=True), desk).row.status is Status.REJECTED  # no reason


async def test_a_hire(store: ATSStore, desk: Settings) -> None:
    await deliver(store, desk, MOVED, "evt-2")
    hired = event(stage="Hired", hired_at="2026-11-25", at="2026-11-25T09:00:00Z")
    assert await deliver(store, desk, hired, "evt-5") is Outcome.APPLIED
    assert (await application(store)).status is Status.HIRED
    stageless = event(stage=None, hired_at="2026-11-25")
    assert read(stageless, desk).row.status is Status.HIRED


async def test_events_of_no_concern_are_ignored(store: ATSStore, desk: Settings) -> None:
    for kind in ("candidate_deleted", "employee_created", "timeoff_updated", None):
        body = dict(copy.deepcopy(CREATED), event_type=kind)
        assert await deliver(store, desk, body, f"evt-{kind}") is Outcome.IGNORED
    sourced = event(CREATED, stage="Sourced", sourced=True)  # found, never applied
    assert await deliver(store, desk, sourced, "evt-sourced") is Outcome.IGNORED
    by_kind = event(CREATED, stage="Long list", stage_kind="sourced")
    assert await deliver(store, desk, by_kind, "evt-kind") is Outcome.IGNORED
    talent_pool = event(CREATED, job=None)
    assert await deliver(store, desk, talent_pool, "evt-pool") is Outcome.IGNORED
    assert await store.find_applications_by_email(EMAIL) == []
    # a sourced candidate the recruiter moves on is an application from then on
    moved_on = event(stage="Phone Screen", sourced=True)
    assert await deliver(store, desk, moved_on, "evt-moved") is Outcome.APPLIED


def test_a_candidate_that_cannot_be_kept_is_refused(settings: Settings, desk: Settings) -> None:
    for changes, reason in (
        ({"email": None}, "email"),
        ({"email": "not an address"}, "email"),
        ({"job": {"title": "Operations Manager"}}, "shortcode"),
        ({"job": []}, "shortcode"),
        ({"created_at": None}, "created_at"),
        ({"id": None}, "id"),
    ):
        with pytest.raises(UnusablePayload, match=reason):
            read(event(**changes), desk)
    with pytest.raises(UnusablePayload, match="HELPDESK_DEFAULT_RECRUITER_EMAIL"):
        read(MOVED, settings)  # no recruiter in the payload and no default


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"event_type": "candidate_moved"},
        {"event_type": "candidate_moved", "data": []},
        {"event_type": "candidate_moved", "data": None},
        {"event_type": "candidate_moved", "data": "ce4da98", "fired_at": 12},
        {"event_type": ["candidate_moved"], "data": {}},
        {"event_type": "candidate_created", "data": {"id": {}, "job": "x", "stage": 3}},
        {"event_type": "candidate_created", "data": {"updated_at": [], "email": 5, "job": {}}},
        {"event_type": "candidate_created", "data": {"stage_kind": 1, "disqualified": "yes"}},
    ],
)
def test_junk_is_ignored_or_refused_never_an_error(desk: Settings, body: dict) -> None:
    try:
        read(body, desk)
    except UnusablePayload:
        pass
    assert read([], desk).row is None  # type: ignore[arg-type]
