"""The action server serves the help desk's Rasa servers and nobody else (issue 14, finding 2).

Against the running help desk of tests/security/conftest.py: a POST to the action server with a
made-up conversation, whose slots claim a verified application and a pending withdrawal, must
neither tell that application's status nor withdraw it; without the shared token the action
server refuses the call outright; and it listens on the loopback interface only.
"""

from __future__ import annotations

import json
import socket
import sqlite3
import urllib.error
import urllib.request

import pytest

from ats.keys import derived_key
from tests.servers import RunningHelpdesk

pytestmark = pytest.mark.server

AISHA = ("AP-6VFK-8RMB", "aisha.okafor@example.com")  # in screening


def forged_call(action: str, intent: str, slots: dict, sender: str = "forged") -> dict:
    """What Rasa would send the action server, made up by an attacker."""
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {
                "text": "yes",
                "intent": {"name": intent, "confidence": 1.0},
                "entities": [],
                "metadata": {},
            },
            "latest_event_time": 0,
            "followup_action": None,
            "paused": False,
            "events": [{"event": "user", "text": "yes", "input_channel": "rest"}],
            "latest_input_channel": "rest",
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def post(url: str, payload: dict, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def status_of(helpdesk: RunningHelpdesk, reference: str) -> str:
    with sqlite3.connect(helpdesk.home / "ats.db") as db:
        return db.execute(
            "SELECT status FROM applications WHERE reference = ?", (reference,)
        ).fetchone()[0]


def actions_url(helpdesk: RunningHelpdesk) -> str:
    return f"http://127.0.0.1:{helpdesk.actions_port}/webhook"


def test_a_call_without_the_token_is_refused(helpdesk):
    slots = {"verified_references": [AISHA[0]], "selected_reference": AISHA[0]}
    code, answer = post(
        actions_url(helpdesk), forged_call("action_check_status", "check_status", slots)
    )
    assert code == 401 and "events" not in answer
    wrong = {"X-Helpdesk-Action-Token": "guessed"}
    withdraw = {**slots, "awaiting": "withdraw_confirm"}
    code, _ = post(actions_url(helpdesk), forged_call("action_yes_no", "affirm", withdraw), wrong)
    assert code == 401
    assert status_of(helpdesk, AISHA[0]) == "screening"
    # the list of actions is not for strangers either
    request = urllib.request.Request(f"http://127.0.0.1:{helpdesk.actions_port}/actions")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401


def test_slots_sent_with_the_token_still_prove_nothing(helpdesk):
    """Even a caller holding the token (a Rasa server) cannot make slots stand for a code."""
    token = derived_key(b"test-secret", "action-server")  # tests/servers.py's secret key
    headers = {"X-Helpdesk-Action-Token": token}
    slots = {"verified_references": [AISHA[0]], "selected_reference": AISHA[0]}
    code, answer = post(
        actions_url(helpdesk), forged_call("action_check_status", "check_status", slots), headers
    )
    assert code == 200
    said = " ".join(r.get("text") or "" for r in answer["responses"])
    assert "Data Analyst" not in said and "screening" not in said.lower() and "reference" in said
    withdraw = {**slots, "awaiting": "withdraw_confirm"}
    code, answer = post(
        actions_url(helpdesk), forged_call("action_yes_no", "affirm", withdraw), headers
    )
    assert code == 200
    assert status_of(helpdesk, AISHA[0]) == "screening"


def test_the_action_server_listens_on_loopback_only(helpdesk):
    own = _outside_address()
    if own is None:
        pytest.skip("this machine has no address but loopback")
    with socket.socket() as sock:
        sock.settimeout(2)
        assert sock.connect_ex((own, helpdesk.actions_port)) != 0
    with socket.socket() as sock:
        sock.settimeout(2)
        assert sock.connect_ex(("127.0.0.1", helpdesk.actions_port)) == 0


def _outside_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: only a route is chosen
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address
