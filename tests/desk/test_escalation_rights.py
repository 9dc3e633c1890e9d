"""Who may do what with an escalation, over HTTP, on SQLite and PostgreSQL (issue 14, finding 12).

Eva recruits for the vacancy, Daan is its backup recruiter (so he sees its escalations too),
and there is an admin. Once Eva has claimed an escalation, only she or an admin may reply in
it, change the application's status through it, or resolve it (which resumes the bot in the
applicant's conversation); a resolved escalation changes nothing any more.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from ats.models import Escalation, EscalationReason, Recruiter, Vacancy
from ats.records import EscalationRequest
from ats.store_basics import utcnow
from tests.ats.helpers import add, row
from tests.desk.conftest import Browser, InProcessDesk

EVA, DAAN, ADMIN = "eva@example.com", "daan@example.com", "admin@example.com"
APPLICANT = "sanne@example.nl"


@pytest.fixture
async def team(desk: InProcessDesk) -> dict[str, Browser]:
    """Eva, Daan (backup for her vacancy) and an admin, each logged in in a browser."""
    await add(desk.store, desk.settings, row())
    await desk.account(EVA, "Eva Jansen")
    await desk.account(DAAN, "Daan Bakker")
    await desk.account(ADMIN, "Alex Admin", admin=True)
    async with desk.store.session() as session, session.begin():
        daan = await session.scalar(select(Recruiter.id).where(Recruiter.email == DAAN))
        await session.execute(update(Vacancy).values(backup_recruiter_id=daan))
    browsers = {}
    for address in (EVA, DAAN, ADMIN):
        browsers[address] = desk.browser()
        assert (await browsers[address].log_in(address)).status_code == 302
    return browsers


async def escalate(desk: InProcessDesk) -> int:
    [application] = await desk.store.find_applications_by_email(APPLICANT)
    escalation, _, _ = await desk.store.open_escalation(
        EscalationRequest(
            reason=EscalationReason.APPLICANT_REQUEST,
            respond_by=utcnow() + timedelta(days=1),
            application_reference=application.reference,
        )
    )
    return escalation.id


async def act(browser: Browser, escalation: int, what: str, **form: str):
    token = await browser.csrf(f"/desk/escalations/{escalation}")
    return await browser.post(f"/desk/escalations/{escalation}/{what}", csrf_token=token, **form)


async def state(desk: InProcessDesk, escalation: int) -> tuple[str, int | None]:
    async with desk.store.session() as session:
        found = await session.get(Escalation, escalation)
        return found.state, found.claimed_by_id


async def status(desk: InProcessDesk) -> str:
    [application] = await desk.store.find_applications_by_email(APPLICANT)
    return application.status.value


async def test_a_colleague_cannot_resolve_reply_or_change_status_in_a_claimed_escalation(
    desk: InProcessDesk, team
):
    escalation = await escalate(desk)
    assert (await act(team[EVA], escalation, "claim")).status_code == 302
    claimed = await state(desk, escalation)

    daan = team[DAAN]
    for what, form in (
        ("resolve", {}),
        ("status", {"status": "rejected"}),
        ("acknowledge", {}),
        ("reply", {"text": "Hi, this is Daan"}),
    ):
        refused = await act(daan, escalation, what, **form)
        assert refused.status_code == 403, what
        assert "Eva Jansen has claimed this escalation" in refused.text
    assert await state(desk, escalation) == claimed  # still Eva's, the bot still paused
    assert await status(desk) == "applied"

    # nor does his page offer what he cannot do
    page = (await daan.get(f"/desk/escalations/{escalation}")).text
    for form in ("/resolve", "/status", "/acknowledge", "/reply", "/claim"):
        assert f'action="/desk/escalations/{escalation}{form}"' not in page
    assert "Eva Jansen has claimed this escalation" in page

    # Eva can; so can an admin
    assert (await act(team[EVA], escalation, "status", status="screening")).status_code == 302
    assert await status(desk) == "screening"
    assert (await act(team[ADMIN], escalation, "resolve")).status_code == 302
    assert (await state(desk, escalation))[0] == "resolved"


async def test_nothing_changes_through_a_resolved_escalation(desk: InProcessDesk, team):
    escalation = await escalate(desk)
    await act(team[EVA], escalation, "claim")
    assert (await act(team[EVA], escalation, "resolve")).status_code == 302
    for who in (EVA, ADMIN):
        for what, form in (("status", {"status": "rejected"}), ("acknowledge", {})):
            refused = await act(team[who], escalation, what, **form)
            assert refused.status_code == 403 and "is resolved" in refused.text
        assert (await act(team[who], escalation, "reply", text="still there?")).status_code == 403
        assert (await act(team[who], escalation, "claim")).status_code == 403
    assert await status(desk) == "applied"
    page = (await team[EVA].get(f"/desk/escalations/{escalation}")).text
    assert "/status" not in page and "/resolve" not in page and "/claim" not in page


async def test_an_open_escalation_is_claimed_before_replying_or_changing_the_status(
    desk: InProcessDesk, team
):
    escalation = await escalate(desk)
    for what, form in (("status", {"status": "rejected"}), ("reply", {"text": "hello"})):
        refused = await act(team[DAAN], escalation, what, **form)
        assert refused.status_code == 403 and "Claim this escalation first" in refused.text
    assert await status(desk) == "applied"
    # one nobody took over (the bot still answers) may be resolved by anyone who sees it
    assert (await act(team[DAAN], escalation, "resolve")).status_code == 302
    assert (await state(desk, escalation))[0] == "resolved"


async def test_a_resolve_that_races_a_colleagues_claim_never_ends_their_conversation(
    desk: InProcessDesk, team
):
    """Eva claims while Daan clicks resolve on the open escalation he saw: the database decides
    which came first, and a claimed escalation is never resolved by Daan."""
    async with desk.store.session() as session:
        eva = await session.scalar(select(Recruiter.id).where(Recruiter.email == EVA))
    for _ in range(4):
        escalation = await escalate(desk)
        eva_token = await team[EVA].csrf(f"/desk/escalations/{escalation}")
        daan_token = await team[DAAN].csrf(f"/desk/escalations/{escalation}")
        claim, resolve = await asyncio.gather(
            team[EVA].post(f"/desk/escalations/{escalation}/claim", csrf_token=eva_token),
            team[DAAN].post(f"/desk/escalations/{escalation}/resolve", csrf_token=daan_token),
        )
        final = await state(desk, escalation)
        if final == ("claimed", eva):  # Eva was first: Daan was refused
            assert resolve.status_code == 403
        else:  # Daan was first: resolved before anyone took over the conversation
            assert final == ("resolved", None) and claim.status_code in (302, 403)
        async with desk.store.session() as session, session.begin():
            await session.execute(
                update(Escalation).where(Escalation.id == escalation).values(state="resolved")
            )
