"""When will I hear, and how does selection work: in general, and for a verified application."""

from tests.actions.conftest import Chat, last_code, verify_by_email


async def test_the_general_promise_and_steps_before_verification(desk):
    reply = Chat.text(await Chat().send("when will I hear back?", "ask_timeline"))
    assert "within 5 working days" in reply and "interviews" in reply
    assert "reference or email address" in reply


async def test_a_verified_applicant_hears_what_comes_next(desk):
    chat = Chat()
    await verify_by_email(chat, desk, "aisha.okafor@example.com")
    reply = Chat.text(await chat.send("how long will it take?", "ask_timeline"))
    assert "For your application for Data Analyst: Eva Jansen is reviewing" in reply
    assert "you applied on" not in reply  # what comes next, not dates gone by (issue 17)


async def test_the_timeline_question_leads_into_verification_and_back(desk):
    chat = Chat()
    await chat.send("wanneer hoor ik iets?", "ask_timeline")
    await chat.send(
        "thijs.mulder@example.nl", "provide_email", {"email": "thijs.mulder@example.nl"}
    )
    code = last_code(desk, "thijs.mulder@example.nl")
    reply = Chat.text(await chat.send(code, "provide_code", {"code": code}))
    assert "Voor je sollicitatie voor Backend Developer (Python): Priya Sharma beoordeelt" in reply


async def test_the_selection_process(desk):
    reply = Chat.text(
        await Chat().send("what does the selection process look like?", "ask_process")
    )
    assert "1) we confirm your application within 5 working days" in reply
    dutch = Chat.text(await Chat().send("hoe verloopt de selectieprocedure?", "ask_process"))
    assert "Onze selectieprocedure" in dutch


async def test_a_vacancys_own_process_when_the_ats_has_one(desk):
    from sqlalchemy import update

    from ats.models import Vacancy

    async with desk.store.session() as session, session.begin():
        await session.execute(
            update(Vacancy)
            .where(Vacancy.code == "DATA-2611")
            .values(process_description="a case study, then a talk with the data team.")
        )
    chat = Chat()
    await verify_by_email(chat, desk, "aisha.okafor@example.com")
    reply = Chat.text(await chat.send("what are the next steps in the process?", "ask_process"))
    assert reply == "For Data Analyst: a case study, then a talk with the data team."
