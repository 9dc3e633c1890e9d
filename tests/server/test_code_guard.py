"""Numbers are not codes unless they look like one (server/code_guard.py): a message the model
took for a code that holds no six-digit code is read for its words; one that does, or that is an
attempt at one, stays a code. What the applicant then sees is in tests/test_conversations.py."""

from __future__ import annotations

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message

from server.code_guard import CodeIntentGuard


def classified(text: str, ranking: list[tuple[str, float]], code: str | None = None) -> Message:
    """A message as the classifier and the entity extractor leave it."""
    entities = []
    if code:
        start = text.index(code)
        entities = [{"entity": "code", "value": code, "start": start, "end": start + len(code)}]
    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return Message(
        data={"text": text, "intent": intents[0], "intent_ranking": intents, "entities": entities}
    )


def guarded(message: Message, tmp_path) -> Message:
    guard = CodeIntentGuard.create({}, LocalModelStorage(tmp_path), Resource("guard"), None)
    return guard.process([message])[0]


def test_a_status_question_with_text_speak_digits_is_read_for_its_words(tmp_path):
    message = guarded(
        classified(
            "hi any news 4 me? applied 3 weeks ago",
            [("provide_code", 0.8), ("check_status", 0.15), ("out_of_scope", 0.05)],
        ),
        tmp_path,
    )
    assert message.get("intent") == {"name": "check_status", "confidence": 0.15}
    assert [i["name"] for i in message.get("intent_ranking")] == ["check_status", "out_of_scope"]
    fallback = FallbackClassifier({"threshold": 0.1, "ambiguity_threshold": 0.05})
    assert fallback.process([message])[0].get("intent")["name"] == "check_status"


def test_words_the_model_barely_reads_are_not_understood_rather_than_guessed(tmp_path):
    """Nearly all the model's belief on a code: what is left is too little to act on (a chat
    unlinked, a person called in); the fallback answers with what the bot can do."""
    message = guarded(
        classified(
            "ok 2 3 4",
            [("provide_code", 0.97), ("forget_chat", 0.02), ("thank", 0.005), ("greet", 0.005)],
        ),
        tmp_path,
    )
    assert message.get("intent") == {"name": "forget_chat", "confidence": 0.02}
    fallback = FallbackClassifier({"threshold": 0.3, "ambiguity_threshold": 0.1})
    assert fallback.process([message])[0].get("intent")["name"] == "nlu_fallback"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("the code is 482913", "482913"),
        ("482913", "482913"),
        ("my code is 48291", None),  # a digit short: asked for the code again
        ("code 4829130", None),
        ("482 913", None),
        ("12345", None),
    ],
)
def test_a_code_or_an_attempt_at_one_stays_a_code(tmp_path, text, code):
    message = guarded(classified(text, [("provide_code", 0.9), ("thank", 0.1)], code), tmp_path)
    assert message.get("intent")["name"] == "provide_code"


@pytest.mark.parametrize(
    "text",
    [
        "thanks 4 the help",
        "bedankt, 2 weken gewacht maar nu weet ik het",
        "call me on 06 12 34 56 78 pls",  # a phone number is not a code
        "applied on 12-05-2026 for job 4711",
    ],
)
def test_words_with_other_numbers_are_not_a_code(tmp_path, text):
    message = guarded(classified(text, [("provide_code", 0.6), ("thank", 0.4)]), tmp_path)
    assert message.get("intent")["name"] == "thank"


def test_other_intents_are_left_alone(tmp_path):
    message = guarded(
        classified("what's the status 4 my application", [("check_status", 0.6)]), tmp_path
    )
    assert message.get("intent") == {"name": "check_status", "confidence": 0.6}
