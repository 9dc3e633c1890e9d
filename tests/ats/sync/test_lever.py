"""Lever's webhook events, in its documented format, applied to the store (both databases).

Lever sends ids only, so the application is first imported (as a pull sync or an export would
bring it) with ats_system "lever" and the opportunity id as its ats_id.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from actions.ats.models import Status
from actions.ats.store import ATSStore
from actions.ats.sync import lever
from actions.ats.sync.events import Outcome, UnusablePayload, apply_event
from actions.ats.sync.mapping import StageMapping, load_mapping
from actions.settings import Settings
from tests.ats.helpers import add, row

PAYLOADS = Path(__file__).parent / "payloads"
OPPORTUNITY = "250d8f03-738a-4bba-a671-8a3d73477145"
STAGE_ID = "c3ee7d2a-5a0b-4a2f-9e1b-2f5f0c8d1a77"
REASON_ID = "63dd55b2-a99f-4e7b-985f-22c7bf80ab42"
SECRET = "s3cret-signature-token"


def payload(name: str, at: int | None = None, **data) -> dict:
    body = copy.deepcopy(json.loads((PAYLOADS / f"lever_{name}.json").read_text()))
    if at is not None:
        body["triggeredAt"] = at
    body["data"].update(data)
    return sign(body)


def sign(body: dict, secret: str = SECRET) -> dict:
    text = f"{body['token']}{body['triggeredAt']}".encode()
    body["signature"] = hmac.new(secret.encode(), text, hashlib.sha256).hexdigest()
    return body


def ms(day: int, hour: int = 10) -> int:
    return int(datetime(2025, 11, day, hour, tzinfo=timezone.utc).timestamp() * 1000)


async def imported(store: ATSStore, settings: Settings) -> None:
    await add(
        store,
        settings,
        row(
            candidate_email="giuseppe.hurley@example.com",
            candidate_name="Giuseppe Hurley",
            applied_at=datetime(2025, 11, 16, 9, 12, tzinfo=timezone.utc),
            ats_system="lever",
            ats_id=OPPORTUNITY,
        ),
        now=datetime(2025, 11, 16, 10, 0, tzinfo=timezone.utc),
    )


async def deliver(
    store: ATSStore, settings: Settings, body: dict, mapping: StageMapping | None = None
) -> Outcome:
    raw = json.dumps(body).encode()
    assert lever.signature_matches(raw, {}, SECRET)
    event_id = lever.delivery_id({}, body)
    assert event_id
    read = lever.read_event(body, event_id, settings, mapping or load_mapping("lever", ""))
    return await apply_event(store, settings, read)


async def application(store: ATSStore):
    [found] = await store.find_applications_by_email("giuseppe.hurley@example.com")
    return found


def test_the_signature_is_the_hmac_of_token_and_triggered_at() -> None:
    body = payload("candidateStageChange")
    raw = json.dumps(body).encode()
    assert lever.signature_matches(raw, {}, SECRET)
    assert not lever.signature_matches(raw, {}, "other")
    # the same envelope with other data still verifies (Lever signs token + triggeredAt only);
    # its delivery id is the same, so a replay is a duplicate
    replay = dict(body, data={"opportunityId": "x", "toStageId": "offer"})
    assert lever.delivery_id({}, replay) == lever.delivery_id({}, body)
    later = dict(body, triggeredAt=body["triggeredAt"] + 1)
    assert not lever.signature_matches(json.dumps(later).encode(), {}, SECRET)
    digest = body["signature"]
    for forged in (None, "", "zz", digest[:-1], digest + "0", "ümlaut", 12, ["a"]):
        forged_body = dict(body, signature=forged)
        assert not lever.signature_matches(json.dumps(forged_body).encode(), {}, SECRET)
    for junk in (
        b"",
        b"[]",
        b"null",
        b"{",
        b"\xff\xfe",
        b"[" * 100000,
        json.dumps(dict(body, triggeredAt=True)).encode(),
        json.dumps(dict(body, token=None)).encode(),
    ):
        assert not lever.signature_matches(junk, {}, SECRET)
    upper = dict(body, signature=digest.upper())
    assert lever.signature_matches(json.dumps(upper).encode(), {}, SECRET)


async def test_a_stage_change_moves_the_application_with_lever_as_its_source(
    store: ATSStore, settings: Settings
) -> None:
    await imported(store, settings)
    assert await deliver(store, settings, payload("candidateStageChange")) is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.SCREENING and app.stage == STAGE_ID  # unknown id: screening
    assert app.acknowledged_at is not None
    last = (await store.status_history(app.reference))[-1]
    assert (last.source, last.actor) == ("lever", "lever webhook")
    assert last.occurred_at == datetime(2025, 11, 18, 14, 38, 36, tzinfo=timezone.utc)


async def test_the_employer_maps_lever_stage_ids(
    store: ATSStore, settings: Settings, tmp_path: Path
) -> None:
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps({"lever": {"stages": {STAGE_ID: "interview"}}}))
    mapping = load_mapping("lever", str(mapping_file))
    await imported(store, settings)
    body = payload("candidateStageChange")
    assert await deliver(store, settings, body, mapping) is Outcome.APPLIED
    assert (await application(store)).status is Status.INTERVIEW
    offer = payload("candidateStageChange", at=ms(20), toStageId="offer")
    offer["token"] = "another-token"
    assert await deliver(store, settings, sign(offer), mapping) is Outcome.APPLIED
    assert (await application(store)).status is Status.OFFER  # Lever's own "offer" id, by word


async def test_a_repeated_delivery_is_handled_once(store: ATSStore, settings: Settings) -> None:
    await imported(store, settings)
    body = payload("candidateStageChange")
    assert await deliver(store, settings, body) is Outcome.APPLIED
    again = copy.deepcopy(body)
    again["data"]["toStageId"] = "offer"  # a replay with other data: same token, same id
    assert await deliver(store, settings, again) is Outcome.DUPLICATE
    assert (await application(store)).status is Status.SCREENING


async def test_an_older_event_arriving_late_is_stale(store: ATSStore, settings: Settings) -> None:
    await imported(store, settings)
    archived = payload("candidateArchiveChange")  # the 21st
    assert await deliver(store, settings, archived) is Outcome.APPLIED
    assert await deliver(store, settings, payload("candidateStageChange")) is Outcome.STALE
    app = await application(store)
    assert app.status is Status.REJECTED
    history = await store.status_history(app.reference)
    assert history[-1].to_status is Status.REJECTED
    assert Status.SCREENING not in [e.to_status for e in history]


async def test_rejection_and_withdrawal_are_told_apart(
    store: ATSStore, settings: Settings, tmp_path: Path
) -> None:
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps({"lever": {"withdrawn_reasons": [REASON_ID]}}))
    withdrawals = load_mapping("lever", str(mapping_file))
    await imported(store, settings)
    await deliver(store, settings, payload("candidateStageChange"))
    withdrew = payload("candidateArchiveChange", at=ms(21))
    assert await deliver(store, settings, withdrew, withdrawals) is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.WITHDRAWN and app.close_reason == REASON_ID
    unarchived = payload("candidateArchiveChange", at=ms(22), toArchived=None)
    unarchived["data"]["fromArchived"] = {"archivedAt": ms(21), "reason": REASON_ID}
    unarchived["token"] = "unarchive-token"
    assert await deliver(store, settings, sign(unarchived)) is Outcome.APPLIED
    assert (await application(store)).status is Status.SCREENING  # open again
    rejected = payload(
        "candidateArchiveChange",
        at=ms(23),
        toArchived={"archivedAt": ms(23), "reason": "b1f2c3d4-0000-4000-8000-underqualified"},
    )
    rejected["token"] = "reject-token"
    assert await deliver(store, settings, sign(rejected), withdrawals) is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.REJECTED
    history = await store.status_history(app.reference)
    assert [(e.from_status, e.to_status) for e in history][-3:] == [
        (Status.SCREENING, Status.WITHDRAWN),
        (Status.WITHDRAWN, Status.SCREENING),
        (Status.SCREENING, Status.REJECTED),
    ]


def test_lever_s_own_withdrawal_reason_and_a_mapped_hired_reason(settings: Settings) -> None:
    mapping = load_mapping("lever", "")
    named = payload(
        "candidateArchiveChange",
        toArchived={"archivedAt": ms(21), "reason": {"id": REASON_ID, "text": "Withdrew"}},
    )
    read = lever.read_event(named, "e1", settings, mapping)
    assert read.change.status is Status.WITHDRAWN and read.change.close_reason == "Withdrew"
    hired_reason = StageMapping(stages={REASON_ID: Status.HIRED})
    read = lever.read_event(payload("candidateArchiveChange"), "e2", settings, hired_reason)
    assert read.change.status is Status.HIRED  # the employer's "Hired" archive reason


async def test_a_hire(store: ATSStore, settings: Settings) -> None:
    await imported(store, settings)
    await deliver(store, settings, payload("candidateStageChange"))
    assert await deliver(store, settings, payload("candidateHired")) is Outcome.APPLIED
    assert (await application(store)).status is Status.HIRED


async def test_events_of_no_concern_are_ignored(store: ATSStore, settings: Settings) -> None:
    await imported(store, settings)
    # applicationCreated carries ids only: the pull sync fetches the application
    assert await deliver(store, settings, payload("applicationCreated")) is Outcome.IGNORED
    for name in ("candidateDeleted", "interviewCreated", "contactUpdated", None, 7):
        body = payload("candidateHired")
        body["event"] = name
        body["token"] = f"token-{name}"
        assert await deliver(store, settings, sign(body)) is Outcome.IGNORED
    assert (await application(store)).status is Status.APPLIED


async def test_a_change_to_an_application_not_held_yet(store: ATSStore, settings: Settings) -> None:
    outcome = await deliver(store, settings, payload("candidateHired"))
    assert outcome is Outcome.UNKNOWN_APPLICATION


@pytest.mark.parametrize(
    "data",
    [
        {"opportunityId": None},
        {"opportunityId": ["x"]},
        {"toStageId": None},
        {"toStageId": {"id": 1}},
    ],
)
def test_an_unusable_stage_change_is_refused(settings: Settings, data: dict) -> None:
    with pytest.raises(UnusablePayload):
        lever.read_event(payload("candidateStageChange", **data), "e", settings, StageMapping())


def test_junk_never_raises_anything_but_unusable_payload(settings: Settings) -> None:
    mapping = StageMapping()
    junk_bodies = [
        {},
        {"event": "candidateHired"},
        {"event": "candidateHired", "data": []},
        {"event": "candidateArchiveChange", "data": {"opportunityId": "o"}},
        {"event": "candidateArchiveChange", "data": {"opportunityId": "o", "toArchived": 5}},
        {"event": "candidateArchiveChange", "data": {"opportunityId": "o", "toArchived": {}}},
        {"event": "candidateStageChange", "triggeredAt": 10**30, "data": None},
        {"event": ["x"], "triggeredAt": "soon", "data": {"opportunityId": 5}},
        {"event": "candidateHired", "triggeredAt": -(10**20), "data": {"opportunityId": 5}},
    ]
    for body in junk_bodies:
        try:
            read = lever.read_event(body, "e", settings, mapping)
        except UnusablePayload:
            continue
        assert read.source == "lever" and read.occurred_at.tzinfo is not None
    assert lever.delivery_id({}, {"token": None}) is None
    assert lever.delivery_id({}, {"token": "t", "event": "candidateHired", "triggeredAt": 1}) == (
        "candidateHired:t:1"
    )
