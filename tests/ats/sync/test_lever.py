"""Lever's webhook deliveries, in its documented format: verified on the raw bytes, named by what
is signed, and applied only as Lever's API (a local fake of it) confirms (both databases).

What every ATS's web hook does (signatures, forgeries, junk, signed times) is in
test_webhook_contract.py, with these payloads. Lever sends ids only, so the application is first
imported (as a pull sync or an export would bring it) with ats_system "lever" and the
opportunity id as its ats_id.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ats.models import Status
from ats.settings import Settings
from ats.store import ATSStore
from ats.sync import events, replay
from ats.sync.events import Outcome, UnusablePayload, apply_event
from ats.sync.lever import webhooks as lever
from ats.sync.mapping import StageMapping, load_mapping
from tests.ats.helpers import add, row
from tests.ats.sync import fake_lever
from tests.ats.sync.configured import configured
from tests.ats.sync.fake_lever import FakeLever, serving
from tests.servers import free_port

PAYLOADS = Path(__file__).parent / "payloads"
OPPORTUNITY = "250d8f03-738a-4bba-a671-8a3d73477145"
STAGE_ID = "c3ee7d2a-5a0b-4a2f-9e1b-2f5f0c8d1a77"
REASON_ID = "63dd55b2-a99f-4e7b-985f-22c7bf80ab42"
SECRET = "s3cret-signature-token"
EMAIL = "giuseppe.hurley@example.com"


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


def at(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc)


def held_opportunity(
    stage: str = "Phone Screen", updated: int | None = None, archived: dict | None = None
) -> dict:
    """The imported application as Lever's API holds it."""
    opportunity = fake_lever.opportunity(0, stage, updated=updated or ms(18, 15))
    opportunity["id"] = OPPORTUNITY
    opportunity["emails"] = [EMAIL]
    opportunity["createdAt"] = opportunity["lastInteractionAt"] = ms(16)
    opportunity["lastAdvancedAt"] = ms(16)
    opportunity["archived"] = archived
    return opportunity


async def imported(store: ATSStore, settings: Settings) -> None:
    await add(
        store,
        settings,
        row(
            candidate_email=EMAIL,
            candidate_name="Giuseppe Hurley",
            applied_at=datetime(2025, 11, 16, 9, 12, tzinfo=timezone.utc),
            ats_system="lever",
            ats_id=OPPORTUNITY,
        ),
        now=datetime(2025, 11, 16, 10, 0, tzinfo=timezone.utc),
    )


@pytest.fixture
async def api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeLever]:
    """Lever's API (a local fake) holding the imported application, and the key to it."""
    fake = FakeLever([held_opportunity()])
    async with serving(fake) as url:
        monkeypatch.setenv("LEVER_API_KEY", fake_lever.API_KEY)
        monkeypatch.setenv("LEVER_API_URL", url)
        yield fake


async def deliver(
    store: ATSStore, settings: Settings, body: dict, mapping: StageMapping | None = None
) -> Outcome:
    """A delivery as the receiver takes it: verified on its raw bytes, named by what is signed,
    confirmed from Lever's API (LEVER_API_KEY, LEVER_API_URL as the test set them), then
    applied."""
    settings = configured(settings)
    raw = json.dumps(body).encode()
    signed = lever.signed_part(raw, {}, [SECRET])
    assert signed is not None
    mapping = mapping or load_mapping("lever", "")
    read = lever.read_event(body, replay.delivery_key(signed), settings, mapping)
    confirmed = await lever.confirm(read, store, settings, mapping)
    if isinstance(confirmed, Outcome):
        return confirmed
    return await apply_event(store, settings, confirmed)


async def application(store: ATSStore):
    [found] = await store.find_applications_by_email(EMAIL)
    return found


def test_lever_signs_token_and_triggered_at_only_read_from_the_raw_bytes() -> None:
    body = payload("candidateStageChange")
    signed = f"{body['token']}{body['triggeredAt']}".encode()
    # the same envelope with other data still verifies (Lever signs token + triggeredAt only)
    # and is named as the same delivery: what is signed is the same
    replay_body = dict(body, event="candidateHired", data={"opportunityId": "x"})
    assert lever.signed_part(json.dumps(replay_body).encode(), {}, [SECRET]) == signed
    # the members are found without parsing JSON: a verified body need not even be JSON
    bare = f'"token":"{body["token"]}","triggeredAt":{body["triggeredAt"]},'
    bare += f'"signature":"{body["signature"]}"'
    assert lever.signed_part(bare.encode(), {}, [SECRET]) == signed
    assert lever.signature_matches(bare.encode(), {}, SECRET)


async def test_a_stage_change_moves_the_application_to_the_stage_lever_gives(
    store: ATSStore, settings: Settings, api: FakeLever
) -> None:
    await imported(store, settings)
    assert await deliver(store, settings, payload("candidateStageChange")) is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.SCREENING and app.stage == "Phone Screen"  # by its words
    assert app.acknowledged_at is not None
    last = (await store.status_history(app.reference))[-1]
    assert (last.source, last.actor) == ("lever", "lever webhook")
    assert last.occurred_at == at(ms(18, 15))  # when Lever says the opportunity changed
    assert api.requests == [f"/v1/opportunities/{OPPORTUNITY}?expand=stage"]


async def test_what_a_delivery_claims_is_not_applied_unless_lever_says_so(
    store: ATSStore, settings: Settings, api: FakeLever
) -> None:
    await imported(store, settings)
    # a captured candidateStageChange envelope, replayed as a hire of this opportunity
    claimed_hire = payload("candidateStageChange")
    claimed_hire["event"] = "candidateHired"
    claimed_hire["data"] = {"opportunityId": OPPORTUNITY}
    assert await deliver(store, settings, claimed_hire) is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.SCREENING  # what Lever holds, not "hired"
    assert Status.HIRED not in [e.to_status for e in await store.status_history(app.reference)]
    # once Lever itself has the hire (archived with the employer's "Hired" reason), it applies
    api.opportunities[0] = held_opportunity(
        "Offer", updated=ms(25), archived={"archivedAt": ms(25), "reason": REASON_ID}
    )
    hired = StageMapping(stages={REASON_ID: Status.HIRED})
    assert await deliver(store, settings, payload("candidateHired"), hired) is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.HIRED and app.stage == "Offer"


async def test_the_employer_maps_lever_stage_ids(
    store: ATSStore, settings: Settings, api: FakeLever, tmp_path: Path
) -> None:
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps({"lever": {"stages": {STAGE_ID: "interview"}}}))
    mapping = load_mapping("lever", str(mapping_file))
    await imported(store, settings)
    api.opportunities[0]["stage"] = {"id": STAGE_ID, "text": "Culture chat"}
    assert await deliver(store, settings, payload("candidateStageChange"), mapping) is (
        Outcome.APPLIED
    )
    app = await application(store)
    assert (app.status, app.stage) == (Status.INTERVIEW, "Culture chat")


async def test_the_same_signed_envelope_is_handled_once(
    store: ATSStore, settings: Settings, api: FakeLever
) -> None:
    await imported(store, settings)
    body = payload("candidateStageChange")
    assert await deliver(store, settings, body) is Outcome.APPLIED
    again = copy.deepcopy(body)
    again["data"]["toStageId"] = "offer"  # a replay with other data: the same signed pair
    api.opportunities[0] = held_opportunity("Offer", updated=ms(20))
    assert await deliver(store, settings, again) is Outcome.DUPLICATE
    assert (await application(store)).status is Status.SCREENING


async def test_a_state_no_newer_than_the_one_applied_is_stale(
    store: ATSStore, settings: Settings, api: FakeLever
) -> None:
    await imported(store, settings)
    api.opportunities[0] = held_opportunity(
        "Phone Screen", updated=ms(21), archived={"archivedAt": ms(21), "reason": REASON_ID}
    )
    assert await deliver(store, settings, payload("candidateArchiveChange")) is Outcome.APPLIED
    # Lever answers the same state (its clock has not moved) to a later delivery: nothing new
    assert await deliver(store, settings, payload("candidateStageChange")) is Outcome.STALE
    api.opportunities[0] = held_opportunity("Phone Screen", updated=ms(20))
    assert await deliver(store, settings, payload("candidateHired")) is Outcome.STALE
    app = await application(store)
    assert app.status is Status.REJECTED
    history = await store.status_history(app.reference)
    assert [e.to_status for e in history][-1] is Status.REJECTED
    assert Status.SCREENING not in [e.to_status for e in history]


async def test_rejection_and_withdrawal_are_told_apart(
    store: ATSStore, settings: Settings, api: FakeLever, tmp_path: Path
) -> None:
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps({"lever": {"withdrawn_reasons": [REASON_ID]}}))
    withdrawals = load_mapping("lever", str(mapping_file))
    await imported(store, settings)
    await deliver(store, settings, payload("candidateStageChange"))
    api.opportunities[0] = held_opportunity(
        updated=ms(21), archived={"archivedAt": ms(21), "reason": REASON_ID}
    )
    withdrew = payload("candidateArchiveChange", at=ms(21))
    assert await deliver(store, settings, withdrew, withdrawals) is Outcome.APPLIED
    app = await application(store)
    assert app.status is Status.WITHDRAWN and app.close_reason == REASON_ID
    api.opportunities[0] = held_opportunity("Phone Screen", updated=ms(22))  # unarchived
    unarchived = payload("candidateArchiveChange", at=ms(22), toArchived=None)
    unarchived["token"] = "unarchive-token"
    assert await deliver(store, settings, sign(unarchived)) is Outcome.APPLIED
    assert (await application(store)).status is Status.SCREENING  # open again
    api.opportunities[0] = held_opportunity(
        updated=ms(23), archived={"archivedAt": ms(23), "reason": "b1f2-underqualified"}
    )
    rejected = payload("candidateArchiveChange", at=ms(23))
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


def test_lever_s_own_withdrawal_reason_and_a_mapped_hired_reason() -> None:
    named = held_opportunity(archived={"archivedAt": ms(21), "reason": {"id": REASON_ID}})
    named["archived"]["reason"]["text"] = "Withdrew"
    change = lever.opportunity_change(OPPORTUNITY, named, StageMapping())
    assert change.status is Status.WITHDRAWN and change.close_reason == "Withdrew"
    by_id = held_opportunity(archived={"archivedAt": ms(21), "reason": REASON_ID})
    hired_reason = StageMapping(stages={REASON_ID: Status.HIRED})
    assert lever.opportunity_change(OPPORTUNITY, by_id, hired_reason).status is Status.HIRED


async def test_events_of_no_concern_are_ignored_without_asking_lever(
    store: ATSStore, settings: Settings, api: FakeLever
) -> None:
    await imported(store, settings)
    # applicationCreated carries ids only: the pull sync fetches new applications
    assert await deliver(store, settings, payload("applicationCreated")) is Outcome.IGNORED
    for name in ("candidateDeleted", "interviewCreated", "contactUpdated", None, 7):
        body = payload("candidateHired")
        body["event"] = name
        body["token"] = f"token-{name}"
        assert await deliver(store, settings, sign(body)) is Outcome.IGNORED
    assert (await application(store)).status is Status.APPLIED
    assert api.requests == []


async def test_an_opportunity_not_held_is_not_asked_about(
    store: ATSStore, settings: Settings, api: FakeLever
) -> None:
    outcome = await deliver(store, settings, payload("candidateHired"))
    assert outcome is Outcome.UNKNOWN_APPLICATION
    assert api.requests == []


async def test_an_opportunity_lever_does_not_hold_changes_nothing(
    store: ATSStore, settings: Settings, api: FakeLever
) -> None:
    await imported(store, settings)
    api.opportunities.clear()  # deleted in Lever since
    assert await deliver(store, settings, payload("candidateHired")) is Outcome.IGNORED
    assert (await application(store)).status is Status.APPLIED


async def test_without_an_api_key_a_delivery_changes_nothing_and_says_why(
    store: ATSStore,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("LEVER_API_KEY", raising=False)
    await imported(store, settings)
    with caplog.at_level(logging.WARNING), pytest.raises(events.Unconfirmed, match="LEVER_API_KEY"):
        await deliver(store, settings, payload("candidateHired"))
    assert "LEVER_API_KEY" in caplog.text
    assert (await application(store)).status is Status.APPLIED


@pytest.mark.parametrize("trouble", ["unreachable", 500, 503, 429, 401])
async def test_while_lever_cannot_answer_nothing_changes(
    store: ATSStore,
    settings: Settings,
    api: FakeLever,
    monkeypatch: pytest.MonkeyPatch,
    trouble: str | int,
) -> None:
    await imported(store, settings)
    if trouble == "unreachable":
        monkeypatch.setenv("LEVER_API_URL", f"http://127.0.0.1:{free_port()}/v1")
    elif trouble == 401:
        monkeypatch.setenv("LEVER_API_KEY", "revoked-key")
    else:
        api.failing = int(trouble)
    with pytest.raises(events.Unconfirmed, match="deliver again"):
        await deliver(store, settings, payload("candidateHired"))
    assert (await application(store)).status is Status.APPLIED


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


def test_junk_opportunities_from_the_api_read_as_a_change_never_an_error() -> None:
    mapping = StageMapping()
    for opportunity in (
        {},
        {"stage": ["x"], "archived": 5},
        {"stage": {"id": {}, "text": 7}, "archived": {"reason": [1], "archivedAt": "x"}},
        {"updatedAt": 10**30, "lastAdvancedAt": "soon", "archived": {"archivedAt": -(10**20)}},
    ):
        change = lever.opportunity_change("o", opportunity, mapping)
        assert change.ats_id == "o" and isinstance(change.status, Status)
        lever.last_activity(opportunity)
