"""Rasa's own fallback, in the applicant's language.

`action_default_fallback` runs when no rule or story covers a turn (the RulePolicy's
core_fallback_action_name in config.yml). Listed under `actions:` in domain.yml, this action
replaces Rasa's default one by its name: it says the catalogue's conversation.fallback in the
language of the message, and reverts the message exactly as Rasa's default does, so that the
conversation goes on as if it had not been sent.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from ats.services import installed_services
from dialogue.review import notice_for_review
from dialogue.turn import settle_language
from speech.catalogue import say


class ActionDefaultFallback(Action):
    def name(self) -> str:
        return "action_default_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language, _ = settle_language(tracker)  # the message is reverted: no slot changes
        # the action server installed its services at start; a reply tried alone keeps nothing
        if (current := installed_services()) is not None:
            notice_for_review(tracker, current, language, fell_back=True)
        dispatcher.utter_message(text=say("conversation.fallback", language))
        return [UserUtteranceReverted()]
