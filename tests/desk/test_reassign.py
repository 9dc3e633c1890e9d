"""Passing an escalation on, or letting go of a claim, against the running help desk: it goes
back to the queue unclaimed (with the colleague as its recruiter), the bot answers again, the
applicant is told who has their question, and the rules of resolving apply."""

from __future__ import annotations

import re

import pytest

from tests.desk.test_views import account, chat, log_in, url
from tests.servers import csrf_of
from tests.web.conftest import last_code

pytestmark = pytest.mark.server
LIAM = ("AP-M2DQ-8TVA", "liam.oconnor@example.com")


def test_a_claimed_escalation_is_passed_to_a_colleague_and_the_applicant_told(helpdesk):
    sender, (reference, address) = "rest-liam-reassign", LIAM
    chat(helpdesk, sender, "Where does my application stand?")
    chat(helpdesk, sender, reference)
    chat(helpdesk, sender, address)
    chat(helpdesk, sender, last_code(helpdesk, address))
    chat(helpdesk, sender, "I'd like to talk to a person please")

    account(helpdesk, "reassign.admin@example.com", "--admin", "--name", "Rae Admin")
    account(helpdesk, "reassign.colleague@example.com", "--name", "Cas Collega")
    admin, queue = log_in(helpdesk, "reassign.admin@example.com")
    escalation = int(re.search(r'href="/desk/escalations/(\d+)">Liam', queue.text).group(1))
    page = f"/desk/escalations/{escalation}"
    token = csrf_of(admin.get(url(helpdesk, page)).text)
    admin.post(url(helpdesk, f"{page}/claim"), data={"csrf_token": token})
    assert chat(helpdesk, sender, "Hello?") == ""  # a recruiter has it: the bot is quiet

    form = admin.get(url(helpdesk, page)).text
    colleague = re.search(r'<option value="(\d+)">Cas Collega</option>', form).group(1)
    passed = admin.post(
        url(helpdesk, f"{page}/reassign"), data={"csrf_token": token, "recruiter": colleague}
    )
    assert passed.status_code == 200 and "Passed on" in passed.text
    assert 'class="badge state-open" id="state"' in passed.text  # unclaimed
    assert "Cas Collega" in passed.text  # its recruiter now
    # the applicant is told who has it, and the bot answers again
    lines = admin.get(url(helpdesk, f"{page}/transcript.json")).json()["lines"]
    assert any("passed to Cas Collega" in line["text"] for line in lines)
    assert chat(helpdesk, sender, "what's my status?") != ""
    audit = admin.get(url(helpdesk, "/desk/audit")).text
    assert "Reassigned" in audit

    # the colleague sees it in their queue; nobody without a desk login can be chosen
    _cas, cas_queue = log_in(helpdesk, "reassign.colleague@example.com")
    assert f'href="/desk/escalations/{escalation}"' in cas_queue.text
    refused = admin.post(
        url(helpdesk, f"{page}/reassign"), data={"csrf_token": token, "recruiter": "999999"}
    )
    assert refused.status_code == 409
    assert admin.post(url(helpdesk, f"{page}/reassign")).status_code == 403  # no CSRF token
