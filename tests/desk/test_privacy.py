"""The desk's "Personal data" pages over HTTP, on SQLite and PostgreSQL (issue 16): only admins,
only with the session's CSRF token; looking an applicant up; their data downloaded and emailed
holding them and nobody else; erasure after a confirmation, with the goodbye mail in their
language; and the same flows from a privacy escalation. Last, in a real browser against the
running help desk, an admin erases an applicant who asked for it in the chat.

Sanne (Dutch, her application from Greenhouse) asks; Tom (English) applied for the same vacancy
and must come to no harm.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import secrets
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from ats.models import AuditEntry, Candidate, Escalation, EscalationReason
from ats.privacy.consent import record_consent
from ats.records import EscalationRequest
from ats.store_basics import utcnow
from tests.ats.helpers import add, row
from tests.desk.conftest import Browser, InProcessDesk
from tests.desk.test_desk_browser import desk_login
from tests.desk.test_views import chat, url
from tests.web.conftest import last_code

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
    assert "Hallo Sanne" in mail.get_body(("plain",)).get_content()
    files = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert set(files) == {"jouw-gegevens.json", "jouw-gegevens.html"}
    content = files["jouw-gegevens.json"]
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
    summary = await admin.get(f"/desk/privacy?escalation={escalation}")
    assert summary.status_code == 200 and "Sanne de Vries" in summary.text
    assert f'name="escalation" value="{escalation}"' in summary.text
    assert (await people[EVA].get(f"/desk/privacy?escalation={escalation}")).status_code == 403
    sent = await post(admin, "/desk/privacy/send", escalation=str(escalation))
    assert sent.status_code == 302
    assert sent.headers["location"] == f"/desk/escalations/{escalation}?notice=data_sent"
    assert "emailed to the address on file" in (await admin.get(sent.headers["location"])).text
    [mail] = desk.outbox()
    assert mail["To"] == SANNE and len(list(mail.iter_attachments())) == 2
    for action in ("privacy_view", "privacy_send"):
        [entry] = [entry for entry in await audit_rows(desk) if entry.action == action]
        assert entry.subject == f"escalation {escalation}" and entry.actor == ADMIN


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


LOTTE = ("AP-3M6P-H7WD", "lotte.visser@example.nl")  # a demo applicant, Dutch, no other test's


@pytest.mark.server
def test_an_admin_erases_an_applicant_from_her_privacy_request_in_a_browser(chromium, helpdesk):
    conversation = f"privacy-{secrets.token_hex(8)}"
    chat(helpdesk, conversation, "Hoe staat mijn sollicitatie ervoor?")
    chat(helpdesk, conversation, LOTTE[0])
    chat(helpdesk, conversation, LOTTE[1])
    chat(helpdesk, conversation, last_code(helpdesk, LOTTE[1]))
    assert "doorgegeven" in chat(
        helpdesk, conversation, "ik wil dat mijn persoonsgegevens worden verwijderd"
    )
    with sqlite3.connect(helpdesk.home / "ats.db") as database:
        [(verified, kind)] = database.execute(
            "SELECT verified, privacy_kind FROM escalations JOIN applications"
            " ON applications.id = escalations.application_id"
            " WHERE reason = 'privacy_request' AND reference = ?",
            (LOTTE[0],),
        ).fetchall()
        assert verified and kind == "erasure"  # the conversation knew what was asked

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        desk = context.new_page()
        desk_login(desk, helpdesk, "privacy.admin@example.com", "--admin")
        desk.goto(url(helpdesk, "/desk/?reason=privacy_request"))
        desk.click("text=Lotte Visser")
        expect(desk.locator("#privacy-request")).to_contain_text("asks to have their data erased")
        desk.click("#privacy-request button:has-text('Erase now')")
        expect(desk.locator("h1")).to_have_text("Erase an applicant's data")
        expect(desk.locator("#privacy-confirm")).to_contain_text("Lotte Visser")
        expect(desk.locator("#ats-record")).to_contain_text("system of record")
        if os.environ.get("HELPDESK_SCREENSHOTS"):  # for the README: run by hand
            desk.screenshot(path="docs/desk-privacy-erase.png", full_page=True)
        desk.fill("#confirm-email", "someone.else@example.nl")
        desk.click("button:has-text('Erase')")
        expect(desk.locator("[role=alert]")).to_contain_text("nothing has been erased")
        desk.fill("#confirm-email", LOTTE[1])
        desk.click("button:has-text('Erase')")
        expect(desk.locator("#privacy-erased")).to_contain_text("Erased: 1 application(s)")
        expect(desk.locator("#ats-reminder")).to_contain_text(
            "Northwind's applicant tracking system"
        )

        desk.click("text=Back to the escalation")
        expect(desk.locator("#state")).to_have_text("Resolved")
        expect(desk.locator("main")).not_to_contain_text("Lotte")
        desk.click("nav >> text=Personal data")
        for asked in LOTTE:
            desk.fill("#who", asked)
            desk.click("#privacy-lookup button")
            expect(desk.locator("#privacy-problem")).to_contain_text("holds no applicant")
    finally:
        context.close()

    goodbye = [
        mail
        for mail in (
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in helpdesk.outbox.glob("*erasure_confirmation.eml")
        )
        if mail["To"] == LOTTE[1]
    ]
    assert [mail["Subject"] for mail in goodbye] == [
        "Je gegevens zijn verwijderd bij de helpdesk van Northwind"
    ]
    assert "hebben we je gegevens verwijderd" in goodbye[0].get_body(("plain",)).get_content()
    # nothing else the help desk mailed her is left in its outbox
    for path in helpdesk.outbox.glob("*.eml"):
        if not path.name.endswith("erasure_confirmation.eml"):
            assert LOTTE[1] not in path.read_text(errors="replace"), path.name
    # nor anywhere in the help desk's database (but the erasure event for the event broker's
    # consumers, which names the reference until published: this help desk has no broker)
    with sqlite3.connect(helpdesk.home / "ats.db") as database:
        tables = [
            name
            for (name,) in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        for table in set(tables) - {"erasure_announcements"}:
            for found in database.execute(f'SELECT * FROM "{table}"'):
                text = repr(found).lower()
                assert "lotte" not in text and LOTTE[0].lower() not in text, table
