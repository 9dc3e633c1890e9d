"""The desk over HTTP against the running help desk: accounts, security, the hand-over.

The tests run in file order and build on each other's state (the help desk is shared by the
desk tests: tests/desk/conftest.py).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import time

import pytest
import requests

from tests.servers import HELPDESK, csrf_of
from tests.web.conftest import last_code

pytestmark = pytest.mark.server

PASSWORD = "correct horse battery staple"
SANNE = ("AP-7K3M-9XQ2", "sanne.devries@example.nl")  # never acknowledged, vacancy of Eva


def url(helpdesk, path: str) -> str:
    return f"http://localhost:{helpdesk.rasa_port}{path}"


def cli(helpdesk, *args: str) -> str:
    env = {**os.environ, "ATS_DATABASE_URL": f"sqlite:///{helpdesk.home / 'ats.db'}"}
    if "ATS_DATABASE_URL" in helpdesk.extra_env:  # a help desk on PostgreSQL
        env["ATS_DATABASE_URL"] = helpdesk.extra_env["ATS_DATABASE_URL"]
    env["HELPDESK_SECRET_KEY"] = "test-secret"
    env["HELPDESK_PUBLIC_URL"] = url(helpdesk, "")
    result = subprocess.run([HELPDESK, "desk", *args], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def account(helpdesk, address: str, *extra: str) -> None:
    """A desk account with PASSWORD, set through the emailed set-password link."""
    link = re.search(
        r"(http://\S+/desk/password/\S+)", cli(helpdesk, "add-recruiter", address, *extra)
    )
    browser = requests.Session()
    form = browser.get(link.group(1))
    answer = browser.post(
        link.group(1), data={"csrf_token": csrf_of(form.text), "password": PASSWORD}
    )
    assert answer.status_code == 200, answer.text


def log_in(
    helpdesk, address: str, password: str = PASSWORD
) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    form = browser.get(url(helpdesk, "/desk/login"))
    answer = browser.post(
        url(helpdesk, "/desk/login"),
        data={"csrf_token": csrf_of(form.text), "email": address, "password": password},
    )
    return browser, answer


def chat(helpdesk, sender: str, text: str) -> str:
    return " ".join(m.get("text", "") for m in helpdesk.send(sender, text))


def test_every_desk_route_needs_a_session(helpdesk):
    for path in ("/desk/", "/desk/dashboard", "/desk/audit", "/desk/escalations/1"):
        answer = requests.get(url(helpdesk, path), allow_redirects=False)
        assert answer.status_code == 302 and answer.headers["Location"] == "/desk/login"
    assert requests.get(url(helpdesk, "/desk/escalations/1/transcript.json")).status_code == 401
    for action in ("claim", "reply", "resolve", "acknowledge", "status"):
        answer = requests.post(url(helpdesk, f"/desk/escalations/1/{action}"), data={"text": "x"})
        assert answer.status_code == 401
    assert requests.post(url(helpdesk, "/desk/logout")).status_code == 401


def test_passwords_are_argon2_hashes_and_wrong_ones_lock_nobody_out(helpdesk):
    account(helpdesk, "eva.jansen@example.com")
    with sqlite3.connect(helpdesk.home / "ats.db") as db:
        [(stored,)] = db.execute(
            "SELECT password_hash FROM desk_accounts JOIN recruiters"
            " ON recruiters.id = desk_accounts.recruiter_id WHERE email = ?",
            ("eva.jansen@example.com",),
        ).fetchall()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored

    # a login form without its CSRF token
    assert (
        requests.post(
            url(helpdesk, "/desk/login"), data={"email": "x", "password": "y"}
        ).status_code
        == 403
    )

    # wrong passwords slow the client down (tests/desk/test_logins.py) but never lock the
    # account: the right password still gets in
    account(helpdesk, "priya.sharma@example.com")
    for _ in range(5):
        assert log_in(helpdesk, "priya.sharma@example.com", "wrong password!")[1].status_code == 401
    _, answer = log_in(helpdesk, "priya.sharma@example.com")
    assert answer.status_code == 200 and "Priya" in answer.text


def test_the_hand_over_from_claim_to_resolve(helpdesk):
    # Sanne's application was never acknowledged: verifying escalates it to Eva
    sender = "rest-sanne"
    chat(helpdesk, sender, "Hebben jullie mijn sollicitatie ontvangen?")
    chat(helpdesk, sender, SANNE[0])
    chat(helpdesk, sender, SANNE[1])
    code = last_code(helpdesk, SANNE[1])
    assert "Eva Jansen" in chat(helpdesk, sender, code)

    eva, answer = log_in(helpdesk, "eva.jansen@example.com")
    assert answer.status_code == 200 and "Sanne de Vries" in answer.text
    escalation = int(re.search(r'href="/desk/escalations/(\d+)">Sanne', answer.text).group(1))
    assert eva.get(url(helpdesk, "/desk/escalations/99999999999")).status_code == 404
    page = eva.get(url(helpdesk, f"/desk/escalations/{escalation}"))
    assert "Sanne de Vries" in page.text and SANNE[0] in page.text
    assert "Hebben jullie mijn sollicitatie ontvangen?" in page.text  # the transcript
    token = csrf_of(page.text)

    # another recruiter sees neither the escalation in the queue nor the page
    account(helpdesk, "daan.bakker@example.com")
    daan, queue = log_in(helpdesk, "daan.bakker@example.com")
    assert "Sanne de Vries" not in queue.text
    assert daan.get(url(helpdesk, f"/desk/escalations/{escalation}")).status_code == 403
    daan_token = csrf_of(queue.text)
    refused = daan.post(
        url(helpdesk, f"/desk/escalations/{escalation}/claim"), data={"csrf_token": daan_token}
    )
    assert refused.status_code == 403

    # a form without its CSRF token changes nothing
    claim = url(helpdesk, f"/desk/escalations/{escalation}/claim")
    assert eva.post(claim, data={}).status_code == 403
    assert eva.post(claim, data={"csrf_token": "forged"}).status_code == 403

    assert eva.post(claim, data={"csrf_token": token}).status_code == 200
    # the bot is quiet now; the applicant's messages reach the desk
    assert chat(helpdesk, sender, "Hallo, is daar iemand?") == ""
    deadline = time.monotonic() + 10
    lines = []
    while time.monotonic() < deadline:
        lines = eva.get(url(helpdesk, f"/desk/escalations/{escalation}/transcript.json")).json()[
            "lines"
        ]
        if any(line["text"] == "Hallo, is daar iemand?" for line in lines):
            break
        time.sleep(0.2)
    assert any(line["text"] == "Hallo, is daar iemand?" for line in lines)
    assert any(line["speaker"] == "Eva Jansen" and "doet nu mee" in line["text"] for line in lines)

    # a REST client does not listen: the recruiter's reply goes by email
    eva.post(
        url(helpdesk, f"/desk/escalations/{escalation}/reply"),
        data={"csrf_token": token, "text": "Dag Sanne, je sollicitatie is binnen. Groet, Eva"},
    )
    replies = [
        p.read_text() for p in helpdesk.outbox.glob("*.eml") if "Groet, Eva" in p.read_text()
    ]
    assert replies and SANNE[1] in replies[0]

    # acknowledging from the desk: the applicant's next status question sees it
    eva.post(
        url(helpdesk, f"/desk/escalations/{escalation}/acknowledge"), data={"csrf_token": token}
    )
    eva.post(url(helpdesk, f"/desk/escalations/{escalation}/resolve"), data={"csrf_token": token})
    back = chat(helpdesk, sender, "Hoe staat mijn sollicitatie ervoor?")
    assert "we hebben hem ontvangen" in back  # the bot answers again, acknowledged

    audit = requests.Session()
    account(helpdesk, "admin@example.com", "--admin")
    audit, _ = log_in(helpdesk, "admin@example.com")
    log = audit.get(url(helpdesk, "/desk/audit")).text
    for action in (  # in words (tests/desk/test_audit.py)
        "Logged in",
        "Claimed",
        "Replied",
        "Status set to Acknowledged",
        "Resolved",
        "Failed login",
    ):
        assert f"<td>{action}</td>" in log
    assert daan.get(url(helpdesk, "/desk/audit")).status_code == 403
