"""Recruitee's webhook events, in its documented format: what only Recruitee does (both
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
from ats.sync.events import Outcome, UnusablePayload, apply_event
from ats.sync.mapping import load_mapping
from ats.sync.recruitee import webhooks as recruitee

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


def test_a_move_carries_the_whole_placement(settings: Settings) -> None:
    event = read(moved(), "2374321", settings)
    assert event.row is not None and event.change is None
    assert event.row.ats_id == "990011"  # the placement: this candidate on this job


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


def test_a_disqualification_carries_ids_only(settings: Settings) -> None:
    withdrew = read(disqualified("Withdrew"), "e-2", settings)
    assert withdrew.row is None and withdrew.change is not None
    assert withdrew.change.ats_id == "990011" and withdrew.change.close_reason == "Withdrew"
    assert withdrew.change.status is Status.WITHDRAWN


async def test_a_change_to_an_application_not_held_yet(store: ATSStore, settings: Settings) -> None:
    outcome = await deliver(store, settings, disqualified("Withdrew"), "e-9")
    assert outcome is Outcome.UNKNOWN_APPLICATION


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
