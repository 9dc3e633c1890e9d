"""The NLU pipeline's guard on the one-time code: numbers are not codes unless they look like one.

The intent classifier reads digits as a strong sign of `provide_code`: "any news 4 me? applied
3 weeks ago" or "thanks 4 the help" come out as a code typed. A one-time code is six digits on
their own (the `code` entity, found by the NLU data's regex before this component runs); a
message with words and other numbers is read for its words: `provide_code` is taken out of the
ranking and the next intent is the message's intent, with the confidence the model gave it. The
fallback after this component then judges it as any other: when the model put nearly all its
belief on a code, the words alone are not enough to act on, and the applicant is told what the
bot can do and offered a person rather than sent down a path picked from what is left (the
remaining confidences, scaled up, would turn noise into certainty: a chat unlinked, a person
called in).

It sits in the pipeline, not in the actions, because the rules pick the action from the intent
(data/rules.yml): a correction made inside an action would come after `provide_code` had
already chosen action_check_status. Here the rules, the actions, the tracker store and the
test stories all see the one corrected intent.

Two kinds of message stay `provide_code` without a six-digit code, because they are an attempt
at one and the dialogue answers them best by asking for the code again: only digits ("12345",
"123 45"), and a run of five to seven digits among words ("my code is 12345", "code 1234567").
"""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

CODE_INTENT = "provide_code"
CODE_ENTITY = "code"
# a letter in any script: a message without one is digits and punctuation, a code typed badly
LETTER = re.compile(r"[^\W\d_]")
# spaces and dashes between digits, as in "123 456" or "12-34-56", joined before counting
DIGIT_SEPARATOR = re.compile(r"(?<=\d)[\s-](?=\d)")
# a six-digit code with a digit too few or too many
NEAR_CODE = re.compile(r"(?<!\d)\d{5,7}(?!\d)")


def looks_like_a_code(message: Message) -> bool:
    """The message holds a six-digit code on its own, or is an attempt at one."""
    entities = message.get("entities") or []
    if any(entity.get("entity") == CODE_ENTITY for entity in entities):
        return True
    text = message.get("text") or ""
    return not LETTER.search(text) or bool(NEAR_CODE.search(DIGIT_SEPARATOR.sub("", text)))


def read_for_its_words(message: Message) -> None:
    """Takes `provide_code` out of the message's ranking: the next intent is its intent."""
    ranking = [dict(i) for i in message.get("intent_ranking") or [] if i.get("name")]
    code = next((i for i in ranking if i["name"] == CODE_INTENT), None)
    rest = [i for i in ranking if i["name"] != CODE_INTENT]
    if code is None or not rest:
        return
    message.set("intent", rest[0], add_to_output=True)
    message.set("intent_ranking", rest, add_to_output=True)
    logger.debug("provide_code without a code: read as %s", rest[0]["name"])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class CodeIntentGuard(GraphComponent, IntentClassifier):
    """`provide_code` only for a message that looks like a code; otherwise its next intent."""

    @classmethod
    def required_components(cls) -> list[type]:
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> CodeIntentGuard:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            intent = message.get("intent") or {}
            if intent.get("name") == CODE_INTENT and not looks_like_a_code(message):
                read_for_its_words(message)
        return messages
