"""The desk tells an unverified request from a verified one (issue 14, finding 3), over HTTP on
SQLite and PostgreSQL: a request from someone who had not proven who they are carries no
application, and the queue and its page say that its name and address are only what was typed.
"""

from __future__ import annotations

from datetime import timedelta

from ats.models import EscalationReason
from ats.records import EscalationRequest
from ats.store_basics import utcnow
from tests.ats.helpers import add, row
from tests.desk.conftest import InProcessDesk

ADMIN = "admin@example.com"


async def test_the_queue_and_the_page_mark_an_unverified_request(desk: InProcessDesk):
    await add(desk.store, desk.settings, row())
    await desk.account(ADMIN, "Alex Admin", admin=True)
    [application] = await desk.store.find_applications_by_email("sanne@example.nl")
    verified, _, _ = await desk.store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.APPLICANT_REQUEST,
            respond_by=utcnow() + timedelta(days=1),
            application_reference=application.reference,
        )
    )
    typed, _, _ = await desk.store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.APPLICANT_REQUEST,
            respond_by=utcnow() + timedelta(days=1),
            recruiter_email=ADMIN,
            applicant_name="Claims To Be Sanne",
            applicant_email="sanne@example.nl",
        )
    )
    assert verified.verified and not typed.verified
    browser = desk.browser()
    assert (await browser.log_in(ADMIN)).status_code == 302

    queue = (await browser.get("/desk/")).text
    [verified_row] = [r for r in queue.split("<tr") if f'/escalations/{verified.id}"' in r]
    [typed_row] = [r for r in queue.split("<tr") if f'/escalations/{typed.id}"' in r]
    assert "Unverified" in typed_row and "Unverified" not in verified_row

    page = (await browser.get(f"/desk/escalations/{typed.id}")).text
    assert 'id="unverified"' in page and "only what they typed" in page
    # no application on it, though the address typed is one on file
    assert application.reference not in page
    page = (await browser.get(f"/desk/escalations/{verified.id}")).text
    assert 'id="unverified"' not in page and application.reference in page
    await browser.close()
