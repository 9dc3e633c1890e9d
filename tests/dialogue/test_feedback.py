"""Candidate feedback in the conversation: asked after a status answer when the applicant
closes, at most once a week, read by its words; the comment masked; anything else answered as
usual."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ats.models import CandidateFeedback
from tests.actions.conftest import Chat, verify_by_email

AISHA = "aisha.okafor@example.com"  # English, in screening
THIJS = "thijs.mulder@example.nl"  # Dutch


async def feedback_rows(services) -> list[CandidateFeedback]:
    async with services.store.session() as session:
        return list(await session.scalars(select(CandidateFeedback).order_by(CandidateFeedback.id)))


async def a_week_ago(services) -> None:
    """As if every question so far was asked eight days ago."""
    async with services.store.session() as session, session.begin():
        for row in await session.scalars(select(CandidateFeedback)):
            row.asked_at -= timedelta(days=8)


def buttons(messages: list[dict]) -> list[tuple[str, str]]:
    return [(b["title"], b["payload"]) for m in messages for b in m.get("buttons") or []]


async def test_after_a_status_answer_thanks_brings_the_question_then_the_comment(desk):
    chat = Chat(sender="fb-1")
    answer = Chat.text(await verify_by_email(chat, desk, AISHA))
    assert "your CV and motivation are being reviewed" in answer
    assert "helpful" not in answer  # never before the answer, nor with it

    closing = await chat.send("thanks!", "thank")
    assert Chat.text(closing).startswith("You're welcome!")
    assert "Anything else" not in Chat.text(closing)
    assert "how helpful was this, from 1 (not at all) to 5 (very)?" in Chat.text(closing)
    assert buttons(closing) == [
        ("1 – not at all", "1"),
        ("2", "2"),
        ("3", "3"),
        ("4", "4"),
        ("5 – very", "5"),
    ]

    # the button's payload is the bare digit; whatever the model makes of it, it is a score
    asked = Chat.text(await chat.send("4", "provide_code"))
    assert "Anything you'd like to add?" in asked
    said = Chat.text(
        await chat.send(
            "Quicker than mailing! Call me on +31 6 12345678 or aisha.okafor@example.com",
            "complain",
        )
    )
    assert "the recruitment team reads these comments" in said
    [row] = await feedback_rows(desk)
    assert (row.kind, row.channel, row.score, row.language) == ("status", "rest", 4, "en")
    assert row.comment == "Quicker than mailing! Call me on [phone] or [email]"
    assert "aisha" not in (row.applicant_key or "")

    # within the week the same applicant, in a new conversation, is not asked again
    again = Chat(sender="fb-2")
    await verify_by_email(again, desk, AISHA)
    thanks = Chat.text(await again.send("thanks", "thank"))
    assert thanks == "You're welcome! Anything else I can do for you?"
    assert len(await feedback_rows(desk)) == 1

    # a week later they may be asked again
    await a_week_ago(desk)
    later = Chat(sender="fb-3")
    await verify_by_email(later, desk, AISHA)
    assert "how helpful" in Chat.text(await later.send("bye", "goodbye"))


async def test_in_dutch_goodbye_asks_and_no_means_no_comment(desk):
    chat = Chat(sender="fb-nl", slots={"language": "nl"})
    await verify_by_email(chat, desk, THIJS)
    closing = Chat.text(await chat.send("doei", "goodbye"))
    assert closing.startswith("Nog één vraag: hoe behulpzaam was dit")
    assert "Tot ziens" not in closing  # the goodbye waits for the answer
    assert "Wil je nog iets toevoegen?" in Chat.text(await chat.send("5 – heel erg", "greet"))
    assert Chat.text(await chat.send("nee", "deny")) == "Dank je, en veel succes!"
    [row] = await feedback_rows(desk)
    assert (row.score, row.comment, row.language) == (5, None, "nl")


async def test_something_else_instead_of_a_score_is_answered_as_usual(desk):
    chat = Chat(sender="fb-other")
    await verify_by_email(chat, desk, AISHA)
    await chat.send("thank you", "thank")
    reply = Chat.text(await chat.send("when will I hear back? 4 weeks already", "ask_timeline"))
    assert "Anything you'd like to add?" not in reply
    assert "Data Analyst" in reply or "confirm" in reply, reply
    [row] = await feedback_rows(desk)
    assert row.score is None
    assert chat.slots.get("awaiting") is None

    # and a question after the score is answered, not taken as a comment
    other = Chat(sender="fb-other-2")
    await a_week_ago(desk)
    await verify_by_email(other, desk, AISHA)
    await other.send("thanks", "thank")
    await other.send("2", "provide_code")
    status = Chat.text(await other.send("where does my application stand?", "check_status"))
    assert "your CV and motivation are being reviewed" in status
    rows = await feedback_rows(desk)
    assert rows[-1].score == 2 and rows[-1].comment is None


async def test_a_comment_in_words_the_model_takes_for_a_status_question_is_a_comment(desk):
    chat = Chat(sender="fb-praise", slots={"language": "nl"})
    await verify_by_email(chat, desk, THIJS)
    await chat.send("bedankt", "thank")
    await chat.send("4", "provide_code")
    said = Chat.text(await chat.send("Reageerde snel op mijn sollicitatie, top!", "check_status"))
    assert said == "Dank je: het recruitmentteam leest deze opmerkingen."
    [row] = await feedback_rows(desk)
    assert row.comment == "Reageerde snel op mijn sollicitatie, top!"


async def test_no_question_without_a_status_answer(desk):
    chat = Chat(sender="fb-none")
    assert Chat.text(await chat.send("thanks", "thank")) == (
        "You're welcome! Anything else I can do for you?"
    )
    assert await feedback_rows(desk) == []
