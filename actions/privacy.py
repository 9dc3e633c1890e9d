"""Privacy questions: what is kept and for how long; access and deletion go to a person."""

from __future__ import annotations

import re

from actions.base import HelpdeskAction
from dialogue.escalation import open_privacy_request
from dialogue.turn import Turn

# An applicant who asks to see or delete their data wants a person to act on it.
_REQUEST = re.compile(
    r"delet|remov|eras|access|copy|see my|inzage|inzien|verwijder|wissen|kopie|opvragen|"
    r"vergeten|forget",
    re.IGNORECASE,
)


class ActionPrivacy(HelpdeskAction):
    def name(self) -> str:
        return "action_privacy"

    async def respond(self, turn: Turn) -> None:
        settings = turn.services.settings
        turn.say(
            "privacy",
            weeks=settings.retention_weeks,
            months=settings.consent_retention_months,
        )
        if _REQUEST.search(turn.text):
            await open_privacy_request(turn)
        else:
            turn.set("awaiting", "privacy_offer")
            turn.say("privacy_offer")
