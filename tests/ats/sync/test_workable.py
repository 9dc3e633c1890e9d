"""Workable's webhook events, in its documented format: what only Workable does (both
databases). What every ATS's web hook does is in test_webhook_contract.py, with these payloads."""

from __future__ import annotations

import copy
import dataclasses
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


async def test_a_new_candidate_then_a_move_changes_the_stage(
    store: ATSStore, desk: Settings
) -> None:
    assert await deliver(store, desk, CREATED, "evt-1") is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.APPLIED and app.stage == "Applied"
    assert app.acknowledged_at is None  # nobody has looked at it yet
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


async def test_a_disqualification_keeps_the_stage_and_workable_s_wording_is_a_withdrawal(
    store: ATSStore, desk: Settings, tmp_path: Path
) -> None:
    await deliver(store, desk, MOVED, "evt-2")
    rejected = event(
        at="2026-11-22T09:00:00Z", disqualified=True, disqualification_reason="Underqualified"
    )
    assert await deliver(store, desk, rejected, "evt-4") is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.REJECTED and app.stage == "Phone Screen"
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


def test_a_hire_without_a_stage(desk: Settings) -> None:
    stageless = event(stage=None, hired_at="2026-11-25")
    assert read(stageless, desk).row.status is Status.HIRED


async def test_sourced_candidates_and_the_talent_pool_are_ignored(
    store: ATSStore, desk: Settings
) -> None:
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
