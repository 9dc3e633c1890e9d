"""A person, at once: request_human and complaints hand the applicant to a named recruiter
(dialogue/escalation.py), never back into the bot's questions."""

from __future__ import annotations

from actions.base import HelpdeskAction
from ats.models import EscalationReason
from dialogue.contact import QUESTIONS, next_question, take_offered
from dialogue.escalation import (
    add_contact_details,
    escalate,
    escalate_unverified,
    proven_application,
    when,
)
from dialogue.states import Awaiting
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
                recruiter=turn.recruiter_name(escalation.recruiter),
                respond_by=when(turn, escalation),
            )
            return
        # labelled by what they asked, routed by the vacancy or reference they named; a
        # reference or address in this same message is taken, and the alert waits for the rest
        take_offered(turn)
        escalation = await escalate_unverified(
            turn,
            EscalationReason.APPLICANT_REQUEST,
            applicant_name=turn.slot("applicant_name"),
            applicant_email=turn.slot("pending_email"),
            given_reference=turn.slot("pending_reference"),
            hold_alert=True,
            words=turn.text,
        )
        question = next_question(turn, None)
        if question is Awaiting.CONTACT_NAME:
            turn.set("awaiting", question.value)
            turn.say(
                "handed_over_ask_details",
                recruiter=turn.recruiter_name(escalation.recruiter),
                respond_by=when(turn, escalation),
            )
            return
        turn.say(
            "handed_over",
            recruiter=turn.recruiter_name(escalation.recruiter),
            respond_by=when(turn, escalation),
        )
        if question is None:
            await add_contact_details(turn, release=True)
        else:
            turn.set("awaiting", question.value)
            turn.say(QUESTIONS[question])
