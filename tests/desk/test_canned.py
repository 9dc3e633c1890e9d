"""Canned replies: admins keep them per language; an escalation's page offers those in the
applicant's language to start a reply; others may not manage them."""

from __future__ import annotations

from datetime import timedelta

from ats.models import EscalationReason
from ats.records import EscalationRequest
from ats.store_basics import utcnow
from tests.ats.helpers import add, row
from tests.desk.conftest import InProcessDesk

ADMIN, EVA = "admin@example.com", "eva@example.com"


async def test_admins_keep_canned_replies_and_the_page_offers_the_applicants_language(
    desk: InProcessDesk,
):
    await add(desk.store, desk.settings, row(2))  # Sanne: Dutch
    [sanne] = await desk.store.find_applications_by_email("sanne@example.nl")
    escalation, _, _ = await desk.store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.APPLICANT_REQUEST,
            respond_by=utcnow() + timedelta(days=1),
            application_reference=sanne.reference,
        )
    )
    await desk.account(ADMIN, "Alex Admin", admin=True)
    await desk.account(EVA, "Eva Jansen")
    admin, eva = desk.browser(), desk.browser()
    await admin.log_in(ADMIN)
    await eva.log_in(EVA)

    token = await admin.csrf()
    for title, language, text in (
        ("Bellen", "nl", "Ik bel je morgen om dit door te nemen."),
        ("Call", "en", "I will call you tomorrow to go through it."),
    ):
        added = await admin.post(
            "/desk/canned", csrf_token=token, title=title, language=language, text=text
        )
        assert added.status_code == 302
    refused = await admin.post("/desk/canned", csrf_token=token, title="", language="nl", text="x")
    assert refused.status_code == 400 and "Give a title" in refused.text
    listed = (await admin.get("/desk/canned")).text
    assert "Ik bel je morgen" in listed and "I will call you" in listed

    # Eva may not manage them
    assert (await eva.get("/desk/canned")).status_code == 403
    eva_token = await eva.csrf()
    assert (await eva.post("/desk/canned", csrf_token=eva_token, delete="1")).status_code == 403

    # claimed, the page offers the Dutch one for Sanne
    await admin.post(f"/desk/escalations/{escalation.id}/claim", csrf_token=token)
    page = (await admin.get(f"/desk/escalations/{escalation.id}")).text
    offered = page[page.index('id="canned-reply"') : page.index('id="reply-text"')]
    assert "Ik bel je morgen" in offered and "I will call you" not in offered

    # deleted: gone everywhere
    listed = (await admin.get("/desk/canned")).text
    first = listed.split('name="delete" value="')[1].split('"')[0]
    await admin.post("/desk/canned", csrf_token=token, delete=first)
    assert len((await admin.get("/desk/canned")).text.split('name="delete" value="')) == 2
