"""POST /ats/greenhouse on a running help desk: signed deliveries only, each handled once."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import sqlite3
import uuid

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.ats.sync.test_greenhouse import STAGE_CHANGE
from tests.security.conftest import GREENHOUSE_SECRET, base_url

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


def greenhouse_event(application_id: int, email: str, stage: str = "Phone Screen") -> bytes:
    body = copy.deepcopy(STAGE_CHANGE)
    application = body["payload"]["application"]
    application["id"] = application_id
    application["current_stage"]["name"] = stage
    application["candidate"]["email_addresses"] = [{"value": email, "type": "personal"}]
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
    again = post(
        helpdesk,
        greenhouse_event(910001, "webhook.one@example.com", "Offer"),
        "good",
        "gh-910001-1",
    )
    assert again.json() == {"status": "duplicate"}
    assert stored(helpdesk, 910001) == [("screening", "Phone Screen")]


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
