"""The answers to a proven applicant in English and Dutch (issue 17): the ATS's stage names never
in the wrong language, "when will I hear?" answered with what comes next and by when, and the
one-time code asked for as a code."""

from __future__ import annotations

from sqlalchemy import update

from ats.models import Application
from tests.actions.conftest import Chat, last_code

AISHA = ("AP-6VFK-8RMB", "aisha.okafor@example.com")  # English, stage "CV screening"
THIJS = ("AP-5CWN-ZH3T", "thijs.mulder@example.nl")  # Dutch, acknowledged, stage "Ontvangen"
LOTTE = ("AP-3M6P-H7WD", "lotte.visser@example.nl")  # Dutch, applied yesterday, not acknowledged
DUTCH = {"language": "nl"}  # as the Dutch careers page's widget sends it


async def verify(chat: Chat, desk, address: str, language: str = "en") -> str:
    """Ask for the status, give the address, type the code: the status answer."""
    metadata = DUTCH if language == "nl" else None
    question = "hoe staat mijn sollicitatie ervoor?" if language == "nl" else "my status?"
    await chat.send(question, "check_status", metadata=metadata)
    await chat.send(address, "provide_email", {"email": address}, metadata)
    code = last_code(desk, address)
    return Chat.text(await chat.send(code, "provide_code", {"code": code}, metadata))


async def set_stage(desk, reference: str, stage: str) -> None:
    async with desk.store.session() as session, session.begin():
        await session.execute(
            update(Application).where(Application.reference == reference).values(stage=stage)
        )


async def test_a_dutch_answer_says_a_known_stage_in_dutch(desk):
    """Today's main: "je cv en motivatie worden beoordeeld (CV screening)"."""
    reply = await verify(Chat(), desk, AISHA[1], "nl")
    assert "je cv en motivatie worden beoordeeld (cv-screening)" in reply
    assert "CV screening" not in reply and "screening)" not in reply.replace("cv-screening", "")


async def test_a_dutch_answer_leaves_out_a_stage_it_cannot_translate(desk):
    await set_stage(desk, AISHA[0], "Hiring manager review")
    dutch = await verify(Chat(sender="nl"), desk, AISHA[1], "nl")
    assert "je cv en motivatie worden beoordeeld." in dutch
    assert "Hiring manager" not in dutch
    english = await verify(Chat(sender="en"), desk, AISHA[1])
    assert "your CV and motivation are being reviewed (Hiring manager review)" in english


async def test_known_stages_in_either_language_are_said_in_the_applicants(desk):
    await set_stage(desk, THIJS[0], "Technical interview")
    assert "(technisch gesprek)" in await verify(Chat(sender="nl"), desk, THIJS[1], "nl")
    await set_stage(desk, AISHA[0], "Tweede gesprek")  # written in Dutch in the ATS
    assert "(Second interview)" in await verify(Chat(sender="en"), desk, AISHA[1])


async def test_wanneer_hoor_ik_iets_says_what_comes_next_not_past_dates(desk):
    """Today's main: "je solliciteerde op <date>, en we beloofden hem uiterlijk <date> te
    bevestigen. We hebben hem bevestigd op <date>": three dates gone by, nothing ahead."""
    chat = Chat()
    await verify(chat, desk, THIJS[1], "nl")
    reply = Chat.text(await chat.send("wanneer hoor ik iets?", "ask_timeline", metadata=DUTCH))
    assert reply.startswith("Voor je sollicitatie voor Backend Developer (Python): ")
    assert "Priya" in reply and "beoordeelt je cv en motivatie" in reply
    assert "ongeveer een week" in reply
    for past in ("solliciteerde op", "bevestigd op", "beloofden"):
        assert past not in reply


async def test_when_will_i_hear_before_the_acknowledgement_gives_its_date(desk):
    chat = Chat()
    await verify(chat, desk, LOTTE[1], "nl")
    reply = Chat.text(await chat.send("wanneer hoor ik iets?", "ask_timeline", metadata=DUTCH))
    assert "hem uiterlijk" in reply and "te bevestigen" in reply  # the date ahead
    assert "solliciteerde op" not in reply
    english = Chat(sender="en")
    await verify(english, desk, AISHA[1])
    reply = Chat.text(await english.send("when will I hear back?", "ask_timeline"))
    assert reply.startswith("For your application for Data Analyst: Eva Jansen is reviewing")
    assert "you applied on" not in reply and "We confirmed it on" not in reply


async def test_the_bot_marks_the_message_that_asks_for_the_code(desk):
    """The web chat makes its input a one-time-code field from this mark (`expects`)."""
    chat = Chat()
    asked = await chat.send("my status?", "check_status")
    assert not any(m.get("expects") for m in asked)
    sent = await chat.send(AISHA[1], "provide_email", {"email": AISHA[1]})
    assert sent[-1].get("expects") == "code"
    wrong = await chat.send("000000", "provide_code", {"code": "000000"})
    assert wrong[-1].get("expects") == "code"  # still waiting for it
    code = last_code(desk, AISHA[1])
    answered = await chat.send(code, "provide_code", {"code": code})
    assert not any(m.get("expects") for m in answered)
