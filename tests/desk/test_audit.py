"""The audit log in words a person reads, with its subjects linked, and the desk's status choices
in recruiters' words (issue 17, item 10), in process over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from ats.models import EscalationReason
from ats.records import EscalationRequest
from ats.store_basics import utcnow
from monitor.chain import AUDIT_ACTIONS
from speech.catalogue import catalogue
from tests.ats.helpers import add, row
from tests.desk.conftest import InProcessDesk
from tests.servers import csrf_of

ADMIN = "admin@example.com"
DESK = Path(__file__).parents[2] / "desk"


def written_actions() -> set[str]:
    """Every action name the desk's code writes to the audit log, the eraser's, and the
    deadline monitor's raises."""
    calls = re.compile(r"\baudit\(\s*[^,()]+,\s*[^,()]+,\s*\"(\w+)\"", re.S)
    found = {m.group(1) for path in DESK.glob("*.py") for m in calls.finditer(path.read_text())}
    return found | {"erase", "purge"} | set(AUDIT_ACTIONS.values())


def test_every_action_written_has_words_in_both_languages():
    actions = written_actions()
    assert {"login_failed", "claim", "reply", "status_change", "name_set"} <= actions
    for action in actions:
        for language in ("en", "nl"):
            assert catalogue().has(f"desk.audit_actions.{action}"), (action, language)
            words = catalogue().name_of("desk.audit_actions", action, language)
            assert "_" not in words and words != action


async def test_the_audit_log_reads_as_words_with_linked_subjects(desk: InProcessDesk):
    await add(desk.store, desk.settings, row())
    await desk.account(ADMIN, "Alex Admin", admin=True)
    stranger = desk.browser()
    assert (await stranger.log_in(ADMIN, "not the password")).status_code == 401
    admin = desk.browser()
    assert (await admin.log_in(ADMIN)).status_code == 302
    [application] = await desk.store.find_applications_by_email("sanne@example.nl")
    escalation, _, _ = await desk.store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.APPLICANT_REQUEST,
            respond_by=utcnow() + timedelta(days=1),
            application_reference=application.reference,
        )
    )
    path = f"/desk/escalations/{escalation.id}"
    page = await admin.get(path)
    # the status choices in recruiters' words, not the sentences the applicant reads
    options = re.findall(r"<option value=\"\w+\"[^>]*>([^<]*)</option>", page.text)
    assert {"Screening", "Interview", "Rejected", "On hold"} <= set(options), options
    assert "your CV and motivation are being reviewed" not in page.text
    await admin.post(f"{path}/claim", csrf_token=csrf_of(page.text))
    changed = await admin.post(f"{path}/status", csrf_token=csrf_of(page.text), status="screening")
    assert changed.status_code == 302

    log = (await admin.get("/desk/audit")).text
    for words in ("Failed login", "Logged in", "Claimed", "Status set to Screening"):
        assert f"<td>{words}</td>" in log, words
    assert f'<a href="{path}">escalation {escalation.id}</a>' in log
    for raw in ("login_failed", "status_change", ">claim<"):
        assert raw not in log

    log = (await admin.get("/desk/audit?lang=nl")).text
    for words in ("Mislukte inlogpoging", "Ingelogd", "Opgepakt", "Status gezet op Screening"):
        assert f"<td>{words}</td>" in log, words
    assert f'<a href="{path}">escalatie {escalation.id}</a>' in log
    page = (await admin.get(path)).text
    assert "Afgewezen" in page and "In de wacht" in page
