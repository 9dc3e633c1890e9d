"""The base of every action: the reply's language settled, who the conversation has proven to
be recalled, the message routed by the conversation's state (dialogue/flow.py), and a failing
database turned into a polite reply instead of a crash."""

from __future__ import annotations

import abc
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from ats.services import services
from dialogue.flow import take_turn
from dialogue.identity import recall_identity
from dialogue.review import notice_for_review
from dialogue.states import Awaiting
from dialogue.turn import Turn, careers_notice, settle_language
from dialogue.waiting import mark_waiting

logger = logging.getLogger(__name__)


class HelpdeskAction(Action, metaclass=abc.ABCMeta):
    """Base of the help desk's actions: subclasses implement `name()` and `respond(turn)`.

    Abstract, so that rasa_sdk, which registers every Action subclass it finds, skips it.
    """

    # A deferrable action that fails is reported to the Rasa server as failed instead of
    # apologised for here: the Rasa server keeps it and runs it again when the store is back
    # (server/handovers.py), so that the applicant's request is not lost.
    deferrable = False

    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    async def respond(self, turn: Turn) -> None: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language, events = settle_language(tracker)
        turn = Turn(tracker, dispatcher, language, services(), events)
        # before the turn changes the slots: what the bot waited for tells a name from a question
        notice_for_review(tracker, turn.services, language)
        try:
            turn.identity = await recall_identity(tracker, turn.services)
            notice = careers_notice(turn)
            await take_turn(turn, self.respond)
            if notice:
                turn.say(notice)
            expects_code(turn)
            await mark_waiting(turn)
        except Exception:
            if self.deferrable:
                raise
            # A database or mail failure must not leave the applicant without an answer.
            # the conversation id is a web chat's bearer secret: never in a log
            logger.exception("action %s failed", self.name())
            turn.say("error")
        return turn.events


def expects_code(turn: Turn) -> None:
    """While the bot waits for the one-time code, its last message says so (`expects`, in the
    message's metadata): the web chat turns its input into a numeric one-time-code field."""
    if turn.slot("awaiting") == Awaiting.CODE and turn.dispatcher.messages:
        turn.dispatcher.messages[-1]["expects"] = "code"
