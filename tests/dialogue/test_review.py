"""Which messages go to the review inbox: read from the events the action server is sent,
masked before they are kept, and answered as before."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from ats.review import waiting_for_review
from ats.services import services
from dialogue.review import worth_reviewing
from tests.actions.conftest import ACTIONS, Chat


def user(text: str, intent: str, confidence: float, at: float, **parse: object) -> dict:
    return {
        "event": "user",
        "text": text,
        "timestamp": at,
        "input_channel": "rest",
        "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence}, **parse},
    }


def bot(text: str, at: float) -> dict:
    return {"event": "bot", "text": text, "timestamp": at}


def tracker(*events: dict, slots: dict | None = None) -> Tracker:
    last = [e for e in events if e["event"] == "user"][-1]
    return Tracker(
        sender_id="review-1",
        slots=slots or {},
        latest_message=last["parse_data"],
        events=list(events),
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def reasons(t: Tracker) -> list[tuple[str, str, str]]:
    return [(said.text, said.intent, reason) for said, reason in worth_reviewing(t, 0.6)]


def test_a_message_the_model_was_sure_of_is_not_kept():
    assert reasons(tracker(user("where is my application", "check_status", 0.97, 1))) == []


def test_a_message_read_with_little_confidence_is_kept_with_what_the_model_thought():
    t = tracker(user("can I still change my cv", "ask_process", 0.41, 1))
    assert reasons(t) == [("can I still change my cv", "ask_process", "low_confidence")]


def test_a_fallback_is_kept_with_the_models_best_guess_under_it():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "ask_timeline", "confidence": 0.22},
        {"name": "greet", "confidence": 0.1},
    ]
    t = tracker(user("wanneer hoor ik iets", "nlu_fallback", 0.3, 1, intent_ranking=ranking))
    [(said, reason)] = worth_reviewing(t, 0.6)
    assert (said.intent, said.confidence, reason) == ("ask_timeline", 0.22, "fallback")


def test_a_person_asked_for_right_after_an_answer_keeps_the_message_that_was_answered():
    t = tracker(
        user("do you have other jobs in Utrecht", "ask_process", 0.88, 1),
        bot("After you apply, a recruiter reads your application...", 2),
        user("I want to talk to a person", "request_human", 0.99, 3),
    )
    assert reasons(t) == [
        ("do you have other jobs in Utrecht", "ask_process", "human_after_answer")
    ]


def test_an_applicant_saying_the_same_again_is_kept():
    t = tracker(
        user("How long does the procedure take?", "ask_process", 0.9, 1),
        bot("After you apply, a recruiter reads your application...", 2),
        user("how long does the procedure take", "ask_process", 0.9, 3),
    )
    assert reasons(t) == [("how long does the procedure take", "ask_process", "repeated")]
    short = tracker(user("hello??", "greet", 0.9, 1), user("hello??", "greet", 0.9, 2))
    assert reasons(short) == []


def test_an_answer_to_a_free_text_question_and_a_button_are_never_kept():
    name = tracker(user("Mark de Boer", "greet", 0.2, 1), slots={"awaiting": "contact_name"})
    assert reasons(name) == []
    comment = tracker(
        user("Eva was great, thanks", "thank", 0.4, 1), slots={"awaiting": "feedback_comment"}
    )
    assert reasons(comment) == []
    assert reasons(tracker(user('/greet{"link_token": "x"}', "greet", 0.2, 1))) == []
    # nor the name answered before a request for a person
    t = tracker(
        {"event": "slot", "name": "awaiting", "value": "contact_name", "timestamp": 1},
        user("Mark de Boer", "greet", 0.5, 2),
        {"event": "slot", "name": "awaiting", "value": None, "timestamp": 2.5},
        bot("Thank you, Mark.", 3),
        user("I want a person", "request_human", 0.99, 4),
    )
    assert reasons(t) == []


async def test_a_low_confidence_message_is_kept_masked_and_answered_as_before(desk):
    chat = Chat(sender="review-chat")
    replies = await chat.send("status AP-7K3M-9XQ2 please, mail me at a@b.nl", "check_status")
    assert replies  # answered
    assert await waiting_for_review(services().store) == []  # the model was sure (0.99)

    t = tracker(
        user("my phone is 06-12345678, code 123456, AP-7K3M-9XQ2?", "check_status", 0.35, 1)
    )
    await ACTIONS["action_check_status"].run(CollectingDispatcher(), t, {})
    await services().settle()
    [item] = await waiting_for_review(services().store)
    assert item.text == "my phone is +31 6 00000000, code 000000, AP-XXXX-XXXX?"
    assert (item.intent, item.reason, item.channel) == ("check_status", "low_confidence", "rest")
