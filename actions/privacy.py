"""Privacy questions: what is kept and for how long; access and deletion go to a person."""

from __future__ import annotations

import re

from actions.ats.models import EscalationReason
from actions.conversation import HelpdeskAction, Turn
from actions.escalation import escalate, escalate_unverified, proven_application, when

# An applicant who asks to see or delete their data wants a person to act on it.
_REQUEST = re.compile(
    r"delet|remov|eras|access|copy|see my|inzage|inzien|verwijder|wissen|kopie|opvragen|"
    r"vergeten|forget",
    re.IGNORECASE,
)


async def open_privacy_request(turn: Turn) -> None:
    application = await proven_application(turn)
    if application is not None:
        escalation = await escalate(turn, EscalationReason.PRIVACY_REQUEST, application=application)
    else:
        escalation = await escalate_unverified(
            turn, EscalationReason.PRIVACY_REQUEST, applicant_email=turn.slot("pending_email")
        )
    turn.say(
        "privacy_escalated", recruiter=escalation.recruiter.name, respond_by=when(turn, escalation)
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
