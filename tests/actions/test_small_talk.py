"""Greeting, honesty about being a bot, help, and replies in the applicant's language."""

from tests.actions.conftest import Chat


async def test_the_greeting_says_it_is_the_employers_automated_assistant(desk):
    reply = Chat.text(await Chat().send("hello", "greet"))
    assert "Northwind's automated assistant, not a person" in reply
    assert "recruiter" in reply


async def test_a_straight_answer_to_are_you_a_bot(desk):
    assert "I'm an automated assistant" in Chat.text(
        await Chat().send("are you a bot?", "bot_challenge")
    )
    assert "digitale assistent" in Chat.text(
        await Chat().send("ben jij een robot?", "bot_challenge")
    )


async def test_out_of_scope_offers_what_it_can_do_and_a_person(desk):
    reply = Chat.text(await Chat().send("what's the weather tomorrow?", "out_of_scope"))
    assert "recruiter" in reply


async def test_language_follows_the_message_then_the_explicit_choice(desk):
    chat = Chat()
    assert "Hallo!" in Chat.text(await chat.send("goedemorgen, hoe gaat het", "greet"))
    assert "English" in Chat.text(
        await chat.send("can we speak English please?", "switch_language")
    )
    # pinned: a Dutch word no longer switches back
    assert "Hello!" in Chat.text(await chat.send("hallo", "greet"))
    assert "Nederlands" in Chat.text(await chat.send("in het Nederlands graag", "switch_language"))


async def test_channel_metadata_sets_the_language(desk):
    chat = Chat()
    reply = Chat.text(await chat.send("hi", "greet", metadata={"language": "nl-NL"}))
    assert "Hallo!" in reply


async def test_clear_words_outvote_the_channels_language_and_short_replies_keep_it(desk):
    """A Telegram app in English, a Dutch careers page: the applicant's own words decide, and
    an "ok" after them does not fall back to the channel's language."""
    chat = Chat()
    english_app = {"language": "en"}
    reply = Chat.text(await chat.send("goedemorgen, hoe gaat het", "greet", metadata=english_app))
    assert "Hallo!" in reply
    assert "Graag gedaan" in Chat.text(await chat.send("ok", "thank", metadata=english_app))
    # one word is not enough to outvote the channel
    assert "Hallo!" in Chat.text(await Chat().send("hi", "greet", metadata={"language": "nl"}))


async def test_short_messages_keep_the_conversations_language(desk):
    chat = Chat()
    await chat.send("hoi, ik heb een vraag", "greet")
    assert "Graag gedaan" in Chat.text(await chat.send("ok", "thank"))
