"""The review inbox fed by a real conversation: an applicant's message the model could not
read, sent over REST to the running help desk, reaches the admins' review inbox masked, with
the conversation around it; the admin's correction comes out of `helpdesk nlu export`."""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

from tests.desk.test_views import account, chat, log_in, url
from tests.servers import HELPDESK, csrf_of

pytestmark = pytest.mark.server

ADMIN = "review.admin@example.com"
# nonsense to the model (it falls back), with an address in it
UNCLEAR = "zwrx qlop vrendi blorp at jan.smit@example.org"
MASKED = "zwrx qlop vrendi blorp at name@example.com"


def test_a_message_the_model_could_not_read_is_reviewed_and_exported(helpdesk):
    account(helpdesk, ADMIN, "--admin")
    browser, answer = log_in(helpdesk, ADMIN)
    assert answer.status_code == 200
    assert chat(helpdesk, "review-rest-1", "hello")
    assert chat(helpdesk, "review-rest-1", UNCLEAR)  # answered as before

    # kept in the background, after the answer
    deadline = time.monotonic() + 30
    while MASKED not in (page := browser.get(url(helpdesk, "/desk/review")).text):
        assert time.monotonic() < deadline, page[-3000:]
        time.sleep(0.5)
    assert "jan.smit" not in page and "Not understood" in page
    item = re.search(r'<tr id="review-(\d+)">\s*<td class="said">' + re.escape(MASKED), page)
    assert item, page[-3000:]
    item_id = item.group(1)

    # the conversation around it, from the Rasa server's tracker, masked
    around = browser.get(url(helpdesk, f"/desk/review/{item_id}")).text
    assert "hello" in around and "Assistant" in around and MASKED in around

    corrected = browser.post(
        url(helpdesk, f"/desk/review/{item_id}"),
        data={"csrf_token": csrf_of(page), "verdict": "correct", "intent": "out_of_scope"},
    )
    assert corrected.status_code == 200 and MASKED not in corrected.text

    env = {**os.environ, "ATS_DATABASE_URL": f"sqlite:///{helpdesk.home / 'ats.db'}"}
    exported = subprocess.run(
        [HELPDESK, "nlu", "export"], env=env, capture_output=True, text=True, timeout=120
    )
    assert exported.returncode == 0, exported.stderr
    assert f"- intent: out_of_scope\n  examples: |\n    - {MASKED}\n" in exported.stdout
