"""The desk's "Personal data" pages over HTTP, on SQLite and PostgreSQL (issue 16): only admins,
only with the session's CSRF token; looking an applicant up; their data downloaded and emailed
holding them and nobody else; erasure after a confirmation, with the goodbye mail in their
language; and the same flows from a privacy escalation.

Sanne (Dutch, her application from Greenhouse) asks; Tom (English) applied for the same vacancy
and must come to no harm.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from ats.models import AuditEntry, Candidate, Escalation, EscalationReason
from ats.privacy.consent import record_consent
from ats.records import EscalationRequest
from ats.store_basics import utcnow
from tests.ats.helpers import add, row
from tests.desk.conftest import Browser, InProcessDesk

EVA, ADMIN = "eva@example.com", "admin@example.com"
SANNE, TOM = "sanne@example.nl", "tom.bakker@example.com"
CONSENT = "Ja, bewaar mijn gegevens 12 maanden."


@pytest.fixture
async def people(desk: InProcessDesk) -> dict[str, Browser]:
    await add(
        desk.store,
        desk.settings,
        row(2, ats_system="greenhouse", ats_id="gh-4411"),
        row(
            3,
            candidate_name="Tom Bakker",
            candidate_email=TOM,
            candidate_language="en",
        ),
    )
    await desk.account(EVA, "Eva Jansen")
    await desk.account(ADMIN, "Alex Admin", admin=True)
    browsers = {}
    for address in (EVA, ADMIN):
        browsers[address] = desk.browser()
        assert (await browsers[address].log_in(address)).status_code == 302
    return browsers


async def reference(desk: InProcessDesk, address: str) -> str:
    [application] = await desk.store.find_applications_by_email(address)
    return application.reference


async def post(browser: Browser, path: str, **form: str):
    token = await browser.csrf()
    return await browser.post(path, csrf_token=token, **form)


async def privacy_escalation(
    desk: InProcessDesk, kind: str | None, *, verified: bool = True
) -> int:
    if verified:
        request = EscalationRequest(
            reason=EscalationReason.PRIVACY_REQUEST,
            respond_by=utcnow() + timedelta(days=1),
            application_reference=await reference(desk, SANNE),
            summary="Verwijder al mijn gegevens alstublieft",
        )
    else:  # someone who typed Sanne's address without proving it
        request = EscalationRequest(
            reason=EscalationReason.PRIVACY_REQUEST,
            respond_by=utcnow() + timedelta(days=1),
            recruiter_email=EVA,
            applicant_name="Sanne de Vries",
            applicant_email=SANNE,
        )
    escalation, _, _ = await desk.store.open_escalation(request)
    async with desk.store.session() as session, session.begin():
        await session.execute(
            update(Escalation).where(Escalation.id == escalation.id).values(privacy_kind=kind)
        )
    return escalation.id


async def audit_rows(desk: InProcessDesk) -> list[AuditEntry]:
    async with desk.store.session() as session:
        return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_only_admins_with_the_sessions_token_reach_personal_data(desk: InProcessDesk, people):
    eva, admin = people[EVA], people[ADMIN]
    assert 'href="/desk/privacy"' in (await admin.get("/desk/")).text
    assert 'href="/desk/privacy"' not in (await eva.get("/desk/")).text
    assert (await eva.get("/desk/privacy")).status_code == 403
    for path, form in (
        ("/desk/privacy", {"who": SANNE}),
        ("/desk/privacy/export.json", {"email": SANNE}),
        ("/desk/privacy/export.html", {"email": SANNE}),
        ("/desk/privacy/send", {"email": SANNE}),
        ("/desk/privacy/erase", {"email": SANNE}),
        ("/desk/privacy/erase/confirm", {"email": SANNE, "confirm_email": SANNE}),
    ):
        refused = await post(eva, path, **form)
        assert refused.status_code == 403, path
        assert "Sanne" not in refused.text and "personal_data" not in refused.text
        # an admin's browser without the session's CSRF token: refused too
        forged = await admin.post(path, **form)
        assert forged.status_code == 403 and "CSRF" in forged.text, path
    assert desk.outbox() == []
    assert await desk.store.find_applications_by_email(SANNE)  # nothing erased
    assert (await admin.get("/desk/privacy")).status_code == 200


async def test_an_admin_looks_an_applicant_up_by_address_or_reference(desk: InProcessDesk, people):
    admin = people[ADMIN]
    sanne = await reference(desk, SANNE)
    await record_consent(
        desk.store,
        SANNE,
        source="conversation",
        wording=CONSENT,
        at=datetime(2026, 11, 3, tzinfo=timezone.utc),
    )
    for asked in (" Sanne@Example.NL ", sanne.lower().replace("-", ""), sanne):
        page = await post(admin, "/desk/privacy", who=asked)
        assert page.status_code == 200, asked
        assert "Sanne de Vries" in page.text and SANNE in page.text
        assert sanne in page.text and "Data Analyst" in page.text
        assert CONSENT in page.text and "given in the conversation" in page.text
        assert "Tom Bakker" not in page.text and TOM not in page.text
        assert "Erasure requested" not in page.text
    missing = await post(admin, "/desk/privacy", who="nobody@example.com")
    assert missing.status_code == 404 and "holds no applicant" in missing.text

    # came back from the ATS after asking to be erased: the desk says so
    async with desk.store.session() as session, session.begin():
        await session.execute(
            update(Candidate).where(Candidate.email == SANNE).values(erasure_requested_at=utcnow())
        )
    page = await post(admin, "/desk/privacy", who=SANNE)
    assert "Erasure requested" in page.text
    assert "still holds them as active" in page.text and "Greenhouse" in page.text
    for entry in await audit_rows(desk):
        assert "sanne" not in f"{entry.subject} {entry.detail}".lower()


async def test_the_export_holds_the_applicant_and_nobody_else(desk: InProcessDesk, people):
    admin = people[ADMIN]
    sanne, tom = await reference(desk, SANNE), await reference(desk, TOM)
    data = await post(admin, "/desk/privacy/export.json", email=SANNE)
    assert data.status_code == 200
    assert data.headers["content-type"].startswith("application/json")
    assert "attachment" in data.headers["content-disposition"]
    exported = json.loads(data.text)
    assert exported["name"] == "Sanne de Vries" and exported["email"] == SANNE
    assert [a["reference"] for a in exported["applications"]] == [sanne]
    assert exported["applications"][0]["ats_system"] == "greenhouse"

    document = await post(admin, "/desk/privacy/export.html", email=SANNE)
    assert document.status_code == 200 and "attachment" in document.headers["content-disposition"]
    assert "Sanne de Vries" in document.text and sanne in document.text
    assert 'lang="nl"' in document.text  # her language, not the admin's

    for text in (data.text, document.text):
        assert "Tom" not in text and TOM not in text and tom not in text

    exports = [entry for entry in await audit_rows(desk) if entry.action == "privacy_export"]
    assert [entry.detail for entry in exports] == ["json", "readable"]
    for entry in exports:
        assert entry.actor == ADMIN and entry.subject.startswith("application ")


async def test_the_data_is_emailed_to_the_applicant_in_her_language(desk: InProcessDesk, people):
    page = await post(people[ADMIN], "/desk/privacy/send", email=SANNE)
    assert page.status_code == 200 and f"on its way to {SANNE}" in page.text
    [mail] = [mail for mail in desk.outbox() if mail["To"] == SANNE]
    assert mail["Subject"] == "Je gegevens bij de helpdesk van Northwind"
    assert "Hallo Sanne de Vries" in mail.get_body(("plain",)).get_content()
    files = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert set(files) == {"personal-data.json", "personal-data.html"}
    content = files["personal-data.json"]
    assert json.loads(content if isinstance(content, str) else content.decode())["email"] == SANNE
    assert not [mail for mail in desk.outbox() if mail["To"] == TOM]


async def test_an_admin_erases_an_applicant_after_confirming(desk: InProcessDesk, people):
    admin = people[ADMIN]
    sanne = await reference(desk, SANNE)
    confirmation = await post(admin, "/desk/privacy/erase", email=SANNE)
    assert confirmation.status_code == 200
    assert "Sanne de Vries" in confirmation.text
    assert "Greenhouse" in confirmation.text and "system of record" in confirmation.text
    assert await desk.store.find_applications_by_email(SANNE)  # not yet

    wrong = await post(admin, "/desk/privacy/erase/confirm", email=SANNE, confirm_email=TOM)
    assert wrong.status_code == 400 and "nothing has been erased" in wrong.text
    assert await desk.store.find_applications_by_email(SANNE)

    done = await post(admin, "/desk/privacy/erase/confirm", email=SANNE, confirm_email=SANNE)
    assert done.status_code == 200
    assert "Erased: 1 application(s)" in done.text
    assert "Now make the same request in" in done.text and "Greenhouse" in done.text

    assert await desk.store.find_applications_by_email(SANNE) == []
    assert await desk.store.find_application(sanne) is None
    for asked in (SANNE, sanne):
        gone = await post(admin, "/desk/privacy", who=asked)
        assert gone.status_code == 404
    [goodbye] = [mail for mail in desk.outbox() if mail["To"] == SANNE]
    assert goodbye["Subject"] == "Je gegevens zijn verwijderd bij de helpdesk van Northwind"
    body = goodbye.get_body(("plain",)).get_content()
    assert "hebben we je gegevens verwijderd" in body
    assert "het sollicitatiesysteem van Northwind (Greenhouse)" in body
    assert await desk.store.find_applications_by_email(TOM)  # Tom untouched

    rows = await audit_rows(desk)
    assert [entry.action for entry in rows if entry.action in ("erase", "erase_in_ats")] == [
        "erase",
        "erase_in_ats",
    ]
    for entry in rows:
        shown = f"{entry.subject} {entry.detail}"
        assert "sanne" not in shown.lower() and sanne not in shown
    # erased already: a second confirmation (another tab) finds nobody
    again = await post(admin, "/desk/privacy/erase/confirm", email=SANNE, confirm_email=SANNE)
    assert again.status_code == 404


async def test_erasure_from_a_privacy_escalation_resolves_it(desk: InProcessDesk, people):
    admin, eva = people[ADMIN], people[EVA]
    escalation = await privacy_escalation(desk, "erasure")
    page = (await admin.get(f"/desk/escalations/{escalation}")).text
    assert "asks to have their data erased" in page
    assert 'action="/desk/privacy/erase"' in page and 'action="/desk/privacy/send"' not in page
    eva_page = (await eva.get(f"/desk/escalations/{escalation}")).text
    assert "asks to have their data erased" in eva_page
    assert 'action="/desk/privacy/erase"' not in eva_page  # admins only

    confirmation = await post(admin, "/desk/privacy/erase", escalation=str(escalation))
    assert confirmation.status_code == 200 and "Sanne de Vries" in confirmation.text
    assert f'name="escalation" value="{escalation}"' in confirmation.text
    done = await post(
        admin, "/desk/privacy/erase/confirm", escalation=str(escalation), confirm_email=SANNE
    )
    assert done.status_code == 200 and "Erased: 1 application(s)" in done.text
    async with desk.store.session() as session:
        erased = await session.get(Escalation, escalation)
        assert erased.state == "resolved" and erased.erased_at is not None
        assert erased.summary is None and erased.applicant_email is None
    page = (await admin.get(f"/desk/escalations/{escalation}")).text
    assert "Sanne" not in page and "Verwijder al mijn gegevens" not in page
    assert 'action="/desk/privacy/erase"' not in page
    assert [mail["To"] for mail in desk.outbox()] == [SANNE]


async def test_an_access_request_is_answered_from_its_escalation(desk: InProcessDesk, people):
    admin = people[ADMIN]
    escalation = await privacy_escalation(desk, "access")
    page = (await admin.get(f"/desk/escalations/{escalation}")).text
    assert "asks for a copy of their data" in page
    assert 'action="/desk/privacy/send"' in page and 'action="/desk/privacy/erase"' not in page
    sent = await post(admin, "/desk/privacy/send", escalation=str(escalation))
    assert sent.status_code == 302
    assert sent.headers["location"] == f"/desk/escalations/{escalation}?notice=data_sent"
    assert "emailed to the address on file" in (await admin.get(sent.headers["location"])).text
    [mail] = desk.outbox()
    assert mail["To"] == SANNE and len(list(mail.iter_attachments())) == 2
    [entry] = [entry for entry in await audit_rows(desk) if entry.action == "privacy_send"]
    assert entry.subject == f"escalation {escalation}"


async def test_an_unverified_privacy_request_cannot_erase_anyone(desk: InProcessDesk, people):
    admin = people[ADMIN]
    escalation = await privacy_escalation(desk, "erasure", verified=False)
    page = (await admin.get(f"/desk/escalations/{escalation}")).text
    assert "must verify in the chat first" in page
    assert 'action="/desk/privacy/erase"' not in page
    for path in ("/desk/privacy/erase", "/desk/privacy/erase/confirm", "/desk/privacy/send"):
        refused = await post(admin, path, escalation=str(escalation), confirm_email=SANNE)
        assert refused.status_code == 409 and "must verify in the chat first" in refused.text
    assert await desk.store.find_applications_by_email(SANNE)
    assert desk.outbox() == []
