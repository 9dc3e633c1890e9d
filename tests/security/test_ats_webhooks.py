"""POST /ats/<ats> on a running help desk: signed deliveries only, fresh, each handled once, and
a Lever delivery never taken for what it claims (the help desk here has no LEVER_API_KEY)."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import hmac
import json
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ats.db import create_engine
from ats.settings import Settings
from ats.store import ATSStore
from tests.ats.helpers import add, row
from tests.ats.sync.test_greenhouse import STAGE_CHANGE
from tests.security.conftest import GREENHOUSE_SECRET, base_url

LEVER_SECRET = "security-lever-secret"  # as the running help desk is given it (conftest.py)

pytestmark = pytest.mark.server


def post(helpdesk, body: bytes, signature: str | None = "good", event_id: str | None = None):
    headers = {"Content-Type": "application/json"}
    if signature == "good":
        digest = hmac.new(GREENHOUSE_SECRET.encode(), body, hashlib.sha256).hexdigest()
        signature = f"sha256 {digest}"
    if signature is not None:
        headers["Signature"] = signature
    headers["Greenhouse-Event-ID"] = event_id or str(uuid.uuid4())
    return requests.post(
        f"{base_url(helpdesk)}/ats/greenhouse", data=body, headers=headers, timeout=30
    )


def now() -> datetime:
    return datetime.now(timezone.utc)


def greenhouse_event(
    application_id: int, email: str, stage: str = "Phone Screen", at: datetime | None = None
) -> bytes:
    body = copy.deepcopy(STAGE_CHANGE)
    application = body["payload"]["application"]
    application["id"] = application_id
    application["current_stage"]["name"] = stage
    application["candidate"]["email_addresses"] = [{"value": email, "type": "personal"}]
    application["last_activity_at"] = (at or now()).isoformat()
    return json.dumps(body).encode()


def stored(helpdesk, ats_id: int) -> list[tuple[str, str]]:
    with sqlite3.connect(helpdesk.home / "ats.db") as db:
        return db.execute(
            "SELECT status, stage FROM applications WHERE ats_system = 'greenhouse' AND ats_id = ?",
            (str(ats_id),),
        ).fetchall()


def test_a_signed_delivery_is_applied_once(helpdesk) -> None:
    body = greenhouse_event(910001, "webhook.one@example.com")
    answer = post(helpdesk, body, event_id="gh-910001-1")
    assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
    assert stored(helpdesk, 910001) == [("screening", "Phone Screen")]
    again = post(helpdesk, body, "good", "gh-910001-1")
    assert again.json() == {"status": "duplicate"}
    assert stored(helpdesk, 910001) == [("screening", "Phone Screen")]


def test_a_captured_body_under_a_new_delivery_id_is_a_duplicate(helpdesk) -> None:
    captured = greenhouse_event(910011, "captured@example.com", "Offer")
    assert post(helpdesk, captured, event_id="gh-910011-1").json() == {"status": "applied"}
    for new_id in ("gh-910011-2", str(uuid.uuid4()), ""):
        answer = post(helpdesk, captured, event_id=new_id)
        assert (answer.status_code, answer.json()) == (200, {"status": "duplicate"})
    assert stored(helpdesk, 910011) == [("offer", "Offer")]


def test_an_event_of_the_time_already_applied_does_not_apply_again(helpdesk) -> None:
    at = now()
    offer = greenhouse_event(910012, "same.time@example.com", "Offer", at)
    assert post(helpdesk, offer).json() == {"status": "applied"}
    earlier_stage = greenhouse_event(910012, "same.time@example.com", "Phone Screen", at)
    answer = post(helpdesk, earlier_stage)
    assert (answer.status_code, answer.json()) == (200, {"status": "stale"})
    assert stored(helpdesk, 910012) == [("offer", "Offer")]


@pytest.mark.parametrize(
    "age", [timedelta(minutes=6), timedelta(days=30), timedelta(minutes=-10)], ids=str
)
def test_a_delivery_signed_too_long_ago_or_in_the_future_is_refused(helpdesk, age) -> None:
    ats_id = 910020 + int(age.total_seconds()) % 1000
    body = greenhouse_event(ats_id, f"stale.{ats_id}@example.com", at=now() - age)
    answer = post(helpdesk, body)
    assert answer.status_code == 400
    assert "refused" in answer.json()["error"]
    assert stored(helpdesk, ats_id) == []


LEVER_OPPORTUNITY = "sec-lever-opportunity-1"


@pytest.fixture(scope="module")
def lever_application(helpdesk) -> str:
    """An application the running help desk holds from Lever (as an import or the pull sync
    would have brought it)."""
    settings = Settings(
        ats_database_url=f"sqlite:///{helpdesk.home / 'ats.db'}",
        timezone=ZoneInfo("Europe/Amsterdam"),
        ack_working_days=5,
        holiday_country="NL",
    )

    async def seed() -> None:
        store = ATSStore(create_engine(settings.ats_database_url))
        application = row(
            candidate_email="lever.victim@example.com",
            candidate_name="Lever Victim",
            ats_system="lever",
            ats_id=LEVER_OPPORTUNITY,
        )
        try:
            await add(store, settings, application)
        finally:
            await store.close()

    asyncio.run(seed())
    return LEVER_OPPORTUNITY


def lever_delivery(name: str, opportunity: str, at: datetime) -> bytes:
    """A Lever delivery as Lever signs it: the HMAC of token + triggeredAt, nothing else."""
    token, triggered = uuid.uuid4().hex, int(at.timestamp() * 1000)
    signature = hmac.new(
        LEVER_SECRET.encode(), f"{token}{triggered}".encode(), hashlib.sha256
    ).hexdigest()
    body = {
        "triggeredAt": triggered,
        "event": name,
        "data": {"opportunityId": opportunity, "candidateId": "c", "contactId": "c"},
        "token": token,
        "signature": signature,
    }
    return json.dumps(body).encode()


def lever_status(helpdesk, opportunity: str) -> str:
    with sqlite3.connect(helpdesk.home / "ats.db") as db:
        [(status,)] = db.execute(
            "SELECT status FROM applications WHERE ats_system = 'lever' AND ats_id = ?",
            (opportunity,),
        ).fetchall()
        return status


def test_a_lever_delivery_is_not_taken_for_what_it_claims(helpdesk, lever_application) -> None:
    # a captured envelope (any signed token + triggeredAt) rewritten as this opportunity's hire
    captured = json.loads(lever_delivery("applicationCreated", "someone-else", now()))
    captured["event"] = "candidateHired"
    captured["data"]["opportunityId"] = lever_application
    answer = requests.post(
        f"{base_url(helpdesk)}/ats/lever", data=json.dumps(captured).encode(), timeout=30
    )
    # without LEVER_API_KEY the help desk cannot ask Lever, so nothing changes, and says why
    assert answer.status_code == 503
    assert "LEVER_API_KEY" in answer.json()["error"]
    assert lever_status(helpdesk, lever_application) == "applied"


def test_an_old_lever_delivery_is_refused(helpdesk, lever_application) -> None:
    old = lever_delivery("candidateHired", lever_application, now() - timedelta(hours=3))
    answer = requests.post(f"{base_url(helpdesk)}/ats/lever", data=old, timeout=30)
    assert answer.status_code == 400 and "refused" in answer.json()["error"]
    assert lever_status(helpdesk, lever_application) == "applied"


def test_a_forged_or_oversized_lever_body_is_refused(helpdesk) -> None:
    forged = json.loads(lever_delivery("candidateHired", "x", now()))
    forged["signature"] = "0" * 64
    url = f"{base_url(helpdesk)}/ats/lever"
    assert requests.post(url, data=json.dumps(forged).encode(), timeout=30).status_code == 401
    forged["padding"] = "x" * (100 * 1024)  # Lever's bodies are a few hundred bytes
    assert requests.post(url, data=json.dumps(forged).encode(), timeout=30).status_code == 413


@pytest.mark.parametrize(
    "signature",
    [None, "", "sha256 0000", "sha1 abc", "sha256 " + "0" * 64, "sha256 ümlaut"],
)
def test_a_forged_or_missing_signature_is_refused_and_stores_nothing(helpdesk, signature) -> None:
    body = greenhouse_event(910002, "forged@example.com")
    answer = post(helpdesk, body, signature)
    assert answer.status_code == 401
    assert "signature" in answer.json()["error"]
    assert stored(helpdesk, 910002) == []


def test_a_signed_body_that_is_not_an_event_gets_a_clear_4xx(helpdesk) -> None:
    assert post(helpdesk, b"not json").status_code == 400
    assert post(helpdesk, b"[1, 2]").status_code == 400
    no_email = json.loads(greenhouse_event(910003, "x@example.com"))
    no_email["payload"]["application"]["candidate"]["email_addresses"] = []
    answer = post(helpdesk, json.dumps(no_email).encode())
    assert answer.status_code == 422 and "email" in answer.json()["error"]
    assert stored(helpdesk, 910003) == []


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=50),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
        max_leaves=20,
    ),
    action=st.sampled_from(
        [
            "candidate_stage_change",
            "reject_candidate",
            "hire_candidate",
            "new_candidate_application",
        ]
    ),
)
def test_signed_junk_never_gets_a_server_error(helpdesk, body, action) -> None:
    event = {"action": action, "payload": {"application": body}}
    answer = post(helpdesk, json.dumps(event).encode())
    assert answer.status_code < 500, answer.text


@pytest.mark.parametrize("ats", ["greenhouse", "lever", "recruitee", "workable"])
def test_every_receiver_refuses_an_unsigned_delivery(helpdesk, ats) -> None:
    body = json.dumps({"event": "candidate_moved", "data": {}, "payload": {}}).encode()
    answer = requests.post(
        f"{base_url(helpdesk)}/ats/{ats}",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize("ats", ["bamboohr", "..%2F..%2Fetc", "greenhouse_pull", "sync"])
def test_an_unknown_ats_is_404(helpdesk, ats) -> None:
    answer = requests.post(f"{base_url(helpdesk)}/ats/{ats}", data=b"{}", timeout=30)
    assert answer.status_code == 404
