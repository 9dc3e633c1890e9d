"""Recruiters' names, and what the desk says about reaching the applicant (issue 17, item 5), in
process over HTTP on SQLite and PostgreSQL.

An account made without a name (the README's `desk add-recruiter you@example.com`) was called
"you" by the bot and in colleagues' queues: now its name is asked at set-password, editable on
/desk/profile, and until it is set the desk shows the address. Claiming offered to "join the
chat" where there was none and then reported "Sent via nobody" in green: now the page says how
the applicant will be reached, and a reply that reached nobody is an error.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ats.models import AuditEntry, EscalationReason, Recruiter
from ats.records import EscalationRequest
from ats.store_basics import utcnow
from desk.accounts import real_name
from tests.ats.helpers import add, row
from tests.desk.conftest import PASSWORD, Browser, InProcessDesk
from tests.servers import csrf_of

YOU, ADMIN = "you@example.com", "admin@example.com"


async def name_of(desk: InProcessDesk, address: str) -> str:
    async with desk.store.session() as session:
        return await session.scalar(select(Recruiter.name).where(Recruiter.email == address))


async def set_password(browser: Browser, token: str, **form: str):
    page = await browser.get(f"/desk/password/{token}")
    assert page.status_code == 200, page.text
    return page, await browser.post(
        f"/desk/password/{token}", csrf_token=csrf_of(page.text), password=PASSWORD, **form
    )


def name_field(page: str) -> str:
    found = re.search(r'<input id="name" name="name"[^>]*value="([^"]*)"', page)
    assert found, page
    return found.group(1)


async def test_an_account_made_without_a_name_is_asked_for_it(desk: InProcessDesk):
    token = await desk.accounts.add_recruiter(YOU)
    assert await name_of(desk, YOU) != "you"
    assert real_name(await name_of(desk, YOU), YOU) is None
    browser = desk.browser()
    page, refused = await set_password(browser, token, name="  ")
    assert name_field(page.text) == ""  # not "you"
    assert refused.status_code == 400 and "Fill in your name" in refused.text
    page, done = await set_password(browser, token, name="Yara  Visser")
    assert done.status_code == 200
    assert await name_of(desk, YOU) == "Yara Visser"
    queue = await browser.log_in(YOU)
    assert queue.status_code == 302
    assert "Yara Visser" in (await browser.get("/desk/")).text


async def test_the_set_password_page_fills_in_a_real_name_only(desk: InProcessDesk):
    token = await desk.accounts.add_recruiter("eva@example.com", "Eva Jansen")
    page = await desk.browser().get(f"/desk/password/{token}?lang=nl")
    assert name_field(page.text) == "Eva Jansen" and "Je naam" in page.text
    # an account of an older version holds its address's local part: not a name
    token = await desk.accounts.add_recruiter(YOU)
    async with desk.store.session() as session, session.begin():
        await session.execute(update(Recruiter).where(Recruiter.email == YOU).values(name="you"))
    assert name_field((await desk.browser().get(f"/desk/password/{token}")).text) == ""


async def test_a_recruiter_changes_their_name_on_their_profile(desk: InProcessDesk):
    await desk.account(YOU, None)  # type: ignore[arg-type]
    browser = desk.browser()
    await browser.log_in(YOU)
    queue = (await browser.get("/desk/")).text
    assert 'id="name-missing"' in queue and YOU in queue
    profile = await browser.get("/desk/profile")
    assert profile.status_code == 200 and name_field(profile.text) == ""
    token = csrf_of(profile.text)
    assert (await browser.post("/desk/profile", csrf_token=token, name="")).status_code == 400
    saved = await browser.http.post(
        "/desk/profile", data={"csrf_token": token, "name": "Yara Visser"}, follow_redirects=True
    )
    assert "Yara Visser" in saved.text and 'role="status"' in saved.text
    assert 'id="name-missing"' not in (await browser.get("/desk/")).text
    async with desk.store.session() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "name_set" in actions


async def escalate(desk: InProcessDesk, **who: str | None) -> int:
    """An escalation without a conversation: reachable by email at most."""
    escalation, _, _ = await desk.store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.APPLICANT_REQUEST,
            respond_by=utcnow() + timedelta(days=1),
            recruiter_email="eva@example.com",
            applicant_name="Sanne",
            **who,
        )
    )
    return escalation.id


async def logged_in(desk: InProcessDesk, address: str, name: str | None) -> Browser:
    await desk.account(address, name, admin=True)  # type: ignore[arg-type]
    browser = desk.browser()
    assert (await browser.log_in(address)).status_code == 302
    return browser


async def claim(browser: Browser, escalation: int):
    page = await browser.get(f"/desk/escalations/{escalation}")
    return await browser.http.post(
        f"/desk/escalations/{escalation}/claim",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=True,
    )


async def test_colleagues_see_the_address_of_a_recruiter_without_a_name(desk: InProcessDesk):
    await add(desk.store, desk.settings, row())
    you = await logged_in(desk, YOU, None)
    admin = await logged_in(desk, ADMIN, "Alex Admin")
    escalation = await escalate(desk, applicant_email="sanne@example.nl")
    assert (await claim(you, escalation)).status_code == 200
    queue = (await admin.get("/desk/")).text
    assert f"({YOU})" in queue and "(you)" not in queue


async def test_claiming_where_there_is_no_chat_says_how_the_applicant_is_reached(
    desk: InProcessDesk,
):
    await add(desk.store, desk.settings, row())
    eva = await logged_in(desk, "eva@example.com", "Eva Jansen")

    by_email = await escalate(desk, applicant_email="sanne@example.nl")
    page = (await eva.get(f"/desk/escalations/{by_email}")).text
    assert "Claim and join the chat" not in page
    assert "reached by email, at sanne@example.nl" in page
    claimed = await claim(eva, by_email)
    assert "your replies go by email to sanne@example.nl" in claimed.text
    assert "nobody" not in claimed.text

    nowhere = await escalate(desk)
    page = (await eva.get(f"/desk/escalations/{nowhere}?lang=nl")).text
    assert "meedoen in de chat" not in page and "Niet bereikbaar" in page
    claimed = await claim(eva, nowhere)
    assert "Verstuurd via" not in claimed.text and "niemand" not in claimed.text
    assert re.search(r'class="error" role="alert" id="joined">Opgepakt, maar', claimed.text)

    # a reply there reaches nobody: an error, never "Sent via ..." in green
    page = await eva.get(f"/desk/escalations/{nowhere}")
    replied = await eva.http.post(
        f"/desk/escalations/{nowhere}/reply",
        data={"csrf_token": csrf_of(page.text), "text": "Hello Sanne"},
        follow_redirects=True,
    )
    assert 'id="undelivered"' in replied.text and "Niet afgeleverd" in replied.text
    assert 'class="ok"' not in replied.text
    assert "Hello Sanne" in replied.text  # kept in the thread, though it reached nobody


@pytest.mark.server
def test_the_bot_says_a_recruiter_joined_when_the_recruiter_has_no_name(helpdesk):
    # the README's command, without --name: the set-password form is posted without a name
    # here, so the account keeps its address
    from tests.desk.test_views import account, chat, log_in, url
    from tests.web.conftest import last_code

    sender = f"rest-{secrets.token_hex(8)}"
    sophie = ("AP-H4NT-6KYD", "sophie.turner@example.com")
    chat(helpdesk, sender, "What's the status of my application?")
    chat(helpdesk, sender, sophie[0])
    chat(helpdesk, sender, sophie[1])
    chat(helpdesk, sender, last_code(helpdesk, sophie[1]))
    chat(helpdesk, sender, "I'd like to talk to a person please")
    account(helpdesk, "nameless@example.com", "--admin")
    admin, queue = log_in(helpdesk, "nameless@example.com")
    escalation = int(re.search(r'href="/desk/escalations/(\d+)">Sophie', queue.text).group(1))
    page = admin.get(url(helpdesk, f"/desk/escalations/{escalation}"))
    # a REST client never listens: no chat to join
    assert "Claim and join the chat" not in page.text and "sophie.turner@example.com" in page.text
    admin.post(
        url(helpdesk, f"/desk/escalations/{escalation}/claim"),
        data={"csrf_token": csrf_of(page.text)},
    )
    lines = admin.get(url(helpdesk, f"/desk/escalations/{escalation}/transcript.json")).json()
    said = [line["text"] for line in lines["lines"] if "joined this chat" in line["text"]]
    assert said and said[-1].startswith("A recruiter has joined this chat"), said
    assert not any("nameless" in text for text in said)
