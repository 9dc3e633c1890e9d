"""The desk never shows a conversation's id (issue 14, finding 10, the desk's half).

A web chat's session id is a bearer secret: whoever has it can reopen the chat and read what
the applicant was told. The desk refers to a conversation by its escalation's number only: not
in the queue, the escalation page (data attributes included), its transcript JSON, the
dashboard or the audit log, before or after a recruiter takes over, replies and resolves.
"""

from __future__ import annotations

import re
import secrets

import pytest

from tests.desk.test_views import account, chat, csrf_of, log_in, url
from tests.web.conftest import last_code

pytestmark = pytest.mark.server

EMILY = ("AP-8YJS-4GQA", "emily.clarke@example.com")


def pages(helpdesk, browser, escalation: int) -> dict[str, str]:
    return {
        path: browser.get(url(helpdesk, path)).text
        for path in (
            "/desk/?state=all",
            f"/desk/escalations/{escalation}",
            f"/desk/escalations/{escalation}/transcript.json",
            "/desk/dashboard",
            "/desk/audit",
        )
    }


def test_no_desk_page_shows_the_conversation_id(helpdesk):
    conversation = f"session-{secrets.token_hex(16)}"  # as secret as a web chat session id
    chat(helpdesk, conversation, "What's the status of my application?")
    chat(helpdesk, conversation, EMILY[0])
    chat(helpdesk, conversation, EMILY[1])
    chat(helpdesk, conversation, last_code(helpdesk, EMILY[1]))
    chat(helpdesk, conversation, "I'd like to talk to a person please")

    account(helpdesk, "auditor@example.com", "--admin")
    admin, queue = log_in(helpdesk, "auditor@example.com")
    escalation = int(re.search(r'href="/desk/escalations/(\d+)">Emily', queue.text).group(1))
    before = pages(helpdesk, admin, escalation)
    assert "talk to a person" in before[f"/desk/escalations/{escalation}/transcript.json"]

    token = csrf_of(before[f"/desk/escalations/{escalation}"])
    for what, form in (("claim", {}), ("reply", {"text": "Hi Emily"}), ("resolve", {})):
        answer = admin.post(
            url(helpdesk, f"/desk/escalations/{escalation}/{what}"),
            data={"csrf_token": token, **form},
        )
        assert answer.status_code == 200, what
    after = pages(helpdesk, admin, escalation)
    assert "<td>Resolved</td>" in after["/desk/audit"]

    for path, text in {**before, **after}.items():
        assert conversation not in text, path
