"""Greenhouse's webhook events, in its documented format: what only Greenhouse does. What every
ATS's web hook does (signatures, signed times, junk, duplicates, order, rejection versus
withdrawal, the employer's mapping) is in test_webhook_contract.py, with these payloads."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from pathlib import Path

import pytest

from ats.settings import Settings
from ats.store import ATSStore
from ats.sync import greenhouse, replay
from ats.sync.events import Outcome, apply_event
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


def test_a_delivery_is_named_by_its_signed_body_not_by_its_event_id_header() -> None:
    body = json.dumps(STAGE_CHANGE).encode()
    digest = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    first = {"Signature": f"sha256 {digest}", "Greenhouse-Event-ID": "gh-1"}
    again = {"Signature": f"sha256 {digest}", "Greenhouse-Event-ID": "gh-2"}
    named = replay.delivery_key(greenhouse.signed_part(body, first, ["s3cret"]) or b"")
    named_again = replay.delivery_key(greenhouse.signed_part(body, again, ["s3cret"]) or b"")
    assert named == named_again == replay.delivery_key(body)


async def test_an_application_without_an_email_address_is_refused(settings: Settings) -> None:
    body = event()
    body["payload"]["application"]["candidate"]["email_addresses"] = []
    with pytest.raises(greenhouse.UnusablePayload, match="email"):
        greenhouse.read_event(body, "evt-x", settings, load_mapping("greenhouse", ""))
