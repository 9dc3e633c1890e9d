"""Searching the queue by name, email address or reference, as a recruiter types them."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from ats.models import EscalationReason
from ats.records import EscalationRequest
from ats.store_basics import utcnow
from tests.ats.helpers import add, row
from tests.desk.conftest import InProcessDesk

ADMIN = "admin@example.com"


async def escalate(desk: InProcessDesk, **request: object) -> int:
    escalation, _, _ = await desk.store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.APPLICANT_REQUEST,
            respond_by=utcnow() + timedelta(days=1),
            **request,  # type: ignore[arg-type]
        )
    )
    return escalation.id


async def test_the_queue_finds_an_escalation_by_name_address_or_reference(desk: InProcessDesk):
    await add(
        desk.store,
        desk.settings,
        row(2),
        row(3, candidate_name="Tom Bakker", candidate_email="tom.bakker@example.com"),
    )
    [sanne] = await desk.store.find_applications_by_email("sanne@example.nl")
    await escalate(desk, application_reference=sanne.reference)
    await escalate(
        desk,
        recruiter_email="eva@example.com",
        applicant_name="Pim de Wit",
        applicant_email="pim@example.org",
    )
    await desk.account(ADMIN, "Alex Admin", admin=True)
    admin = desk.browser()
    await admin.log_in(ADMIN)

    async def found(search: str) -> list[str]:
        page = (await admin.get(f"/desk/?{urlencode({'q': search})}")).text
        return [name for name in ("Sanne de Vries", "Pim de Wit") if name in page]

    assert await found("") == ["Sanne de Vries", "Pim de Wit"]
    assert await found("sanne") == ["Sanne de Vries"]
    assert await found("PIM@EXAMPLE") == ["Pim de Wit"]
    assert await found(sanne.reference.lower().replace("-", "")) == ["Sanne de Vries"]
    assert await found("100%_") == []
    assert await found("Tom") == []  # no escalation of Tom's


async def test_a_reference_only_given_is_shown_as_not_verified_and_found(desk: InProcessDesk):
    await add(desk.store, desk.settings, row(2))
    [sanne] = await desk.store.find_applications_by_email("sanne@example.nl")
    escalation = await escalate(
        desk,
        recruiter_email="eva@example.com",
        applicant_name="Someone",
        given_reference=sanne.reference,
    )
    await desk.account(ADMIN, "Alex Admin", admin=True)
    admin = desk.browser()
    await admin.log_in(ADMIN)
    page = (await admin.get(f"/desk/escalations/{escalation}")).text
    assert f"{sanne.reference} <span" in page and "given, not verified" in page
    assert "Sanne de Vries" not in page  # it names no application
    found = (await admin.get(f"/desk/?{urlencode({'q': sanne.reference})}")).text
    assert f'href="/desk/escalations/{escalation}"' in found
