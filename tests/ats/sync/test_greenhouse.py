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


async def test_a_web_hook_does_not_bring_back_an_erased_closed_application(
    store: ATSStore, settings: Settings
) -> None:
    from datetime import datetime, timezone

    from sqlalchemy import insert

    from ats.models import ErasureTombstone
    from ats.privacy.keys import ErasureKeys

    keys = ErasureKeys.of(settings)
    application_id = str(STAGE_CHANGE["payload"]["application"]["id"])
    hashes = keys.application(
        reference=None,
        ats_system="greenhouse",
        ats_id=application_id,
        email=None,
        vacancy_code=None,
    ) + [keys.applicant("giuseppe.hurley@example.com")]
    async with store.session() as session, session.begin():
        await session.execute(
            insert(ErasureTombstone),
            [
                {
                    "key_hash": key,
                    "scope": "applicant" if n else "application",
                    "reason": "request",
                    "erased_at": datetime(2026, 11, 19, tzinfo=timezone.utc),
                }
                for n, key in enumerate(hashes)
            ],
        )
    rejected = event("reject_candidate", at="2026-11-20T10:00:00Z")
    assert await deliver(store, settings, rejected, "evt-erased") is Outcome.IGNORED
    assert await store.find_applications_by_email("giuseppe.hurley@example.com") == []
    # the ATS moves it on as active: the employer's record is imported, the desk is told
    moved = event(at="2026-11-21T10:00:00Z")
    assert await deliver(store, settings, moved, "evt-active") is Outcome.APPLIED
    found = await application(store)
    assert found.reference
