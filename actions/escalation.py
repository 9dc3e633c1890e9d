"""A person, at once: request_human and complaints hand the applicant to a named recruiter
(dialogue/escalation.py), never back into the bot's questions."""

from __future__ import annotations

from actions.base import HelpdeskAction
from ats.models import EscalationReason
from dialogue.escalation import escalate, escalate_unverified, proven_application, when
from dialogue.turn import Turn


class ActionHandToHuman(HelpdeskAction):
    """request_human and complain: a person, at once, whatever the bot was doing."""

    deferrable = True

    def name(self) -> str:
        return "action_hand_to_human"

    async def respond(self, turn: Turn) -> None:
        turn.set("awaiting", None)
        application = await proven_application(turn)
        if application is not None:
            escalation = await escalate(
                turn, EscalationReason.APPLICANT_REQUEST, application=application
            )
            turn.say(
                "handed_over",
                recruiter=escalation.recruiter.name,
                respond_by=when(turn, escalation),
            )
            return
        escalation = await escalate_unverified(
            turn, EscalationReason.APPLICANT_REQUEST, applicant_email=turn.slot("pending_email")
        )
        turn.set("awaiting", "contact_name")
        turn.say(
            "handed_over_ask_details",
            recruiter=escalation.recruiter.name,
            respond_by=when(turn, escalation),
        )
