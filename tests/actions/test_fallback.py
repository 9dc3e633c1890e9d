"""Rasa's fallback (action_default_fallback) answers in the message's language and reverts it."""

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionDefaultFallback
from speech.catalogue import say


async def fallback(text: str, slots: dict | None = None) -> tuple[str, list[dict]]:
    tracker = Tracker(
        sender_id="fallback-1",
        slots=slots or {},
        latest_message={"text": text, "intent": {"name": "greet", "confidence": 0.2}},
        events=[{"event": "user", "input_channel": "rest", "text": text}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
    dispatcher = CollectingDispatcher()
    events = await ActionDefaultFallback().run(dispatcher, tracker, {})
    return " ".join(m["text"] for m in dispatcher.messages), events


async def test_the_fallback_answers_a_dutch_message_in_dutch():
    text, events = await fallback("ik snap niet waarom mijn sollicitatie zo lang duurt")
    assert text == (
        "Sorry, dat begreep ik niet helemaal. Ik kan je vertellen hoe het met je sollicitatie "
        "staat, of je in contact brengen met een recruiter."
    )
    assert events == [{"event": "rewind", "timestamp": None}]


async def test_the_fallback_answers_an_english_message_in_english():
    text, events = await fallback("I do not understand why my application takes so long")
    assert text == (
        "Sorry, I didn't quite get that. I can tell you where your application stands, or put "
        "you in touch with a recruiter."
    )
    assert events == [{"event": "rewind", "timestamp": None}]


async def test_the_fallback_keeps_a_language_the_applicant_chose():
    text, _ = await fallback("ok", {"language": "nl", "language_pinned": True})
    assert text == say("conversation.fallback", "nl")
