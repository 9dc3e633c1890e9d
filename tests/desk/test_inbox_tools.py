"""Inbox tools: searching the queue by name, email address or reference; a reference only given
shown as not verified; the applicant's other applications beside the thread."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import update

from ats.models import Escalation, EscalationReason
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


async def test_the_applicants_other_applications_are_beside_the_thread(desk: InProcessDesk):
    await add(
        desk.store,
        desk.settings,
        row(2),
        row(3, vacancy_code="OPS-3", vacancy_title="Operations Lead"),
        row(4, candidate_name="Tom Bakker", candidate_email="tom.bakker@example.com"),
    )
    data, ops = sorted(
        await desk.store.find_applications_by_email("sanne@example.nl"),
        key=lambda a: a.vacancy.code,
    )
    escalation = await escalate(desk, application_reference=data.reference)
    await desk.account(ADMIN, "Alex Admin", admin=True)
    admin = desk.browser()
    await admin.log_in(ADMIN)
    page = (await admin.get(f"/desk/escalations/{escalation}")).text
    others = page[page.index('id="other-applications"') :]
    assert f"Operations Lead ({ops.reference})" in others
    assert data.reference not in others and "Tom" not in page


async def test_a_resolved_escalation_is_reopened_once(desk: InProcessDesk):
    await add(desk.store, desk.settings, row(2))
    [sanne] = await desk.store.find_applications_by_email("sanne@example.nl")
    escalation = await escalate(desk, application_reference=sanne.reference)
    await desk.account(ADMIN, "Alex Admin", admin=True)
    admin = desk.browser()
    await admin.log_in(ADMIN)
    page = (await admin.get(f"/desk/escalations/{escalation}")).text
    assert 'id="reopen"' not in page  # open: nothing to reopen
    token = await admin.csrf()
    # nobody took it in time: the chain had passed it to the admins, and then it was resolved
    async with desk.store.session() as session, session.begin():
        lapsed = utcnow() - timedelta(days=3)
        await session.execute(
            update(Escalation).where(Escalation.id == escalation).values(level=3, respond_by=lapsed)
        )
    await admin.post(f"/desk/escalations/{escalation}/resolve", csrf_token=token)
    assert 'id="reopen"' in (await admin.get(f"/desk/escalations/{escalation}")).text
    reopened = await admin.post(f"/desk/escalations/{escalation}/reopen", csrf_token=token)
    assert reopened.status_code == 302
    page = (await admin.get(reopened.headers["location"])).text
    assert "Reopened" in page and 'class="badge state-open" id="state"' in page
    # new work: at the first level, due from now, not raised again by the next sweep
    async with desk.store.session() as session:
        row_now = await session.get(Escalation, escalation)
        assert row_now.level == 1 and row_now.respond_by > utcnow()
    # a second escalation of the same application and reason, then the first reopened: refused
    await admin.post(f"/desk/escalations/{escalation}/resolve", csrf_token=token)
    await escalate(desk, application_reference=sanne.reference)
    refused = await admin.post(f"/desk/escalations/{escalation}/reopen", csrf_token=token)
    assert refused.status_code == 409 and "cannot be reopened" in refused.text
    assert (await admin.post(f"/desk/escalations/{escalation}/reopen")).status_code == 403
