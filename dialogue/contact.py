"""The contact details of someone handed to a recruiter without proving who they are: their
name, an address to reach them, the vacancy, asked one at a time."""

from __future__ import annotations

from ats.models import EscalationReason
from dialogue.escalation import default_recruiter, escalate_unverified, when
from dialogue.turn import EMAIL, Turn
from speech.catalogue import say


async def answer_free_text(turn: Turn) -> None:
    """The applicant answers a question about their contact details."""
    awaiting = turn.slot("awaiting")
    if awaiting == "contact_name":
        turn.set("applicant_name", turn.text[:200])
        if turn.slot("pending_email"):
            turn.set("awaiting", "contact_vacancy")
            turn.say("ask_vacancy")
        else:
            turn.set("awaiting", "contact_email")
            turn.say("ask_contact_email")
        return
    if awaiting == "contact_email":
        found = turn.entity("email") or next(iter(EMAIL.findall(turn.text)), None)
        if not found and turn.intent != "deny":
            turn.say("ask_contact_email")
            return
        if found:  # "no" skips it: the recruiter can answer in this chat
            turn.set("pending_email", found.lower())
        turn.set("awaiting", "contact_vacancy")
        turn.say("ask_vacancy")
        return
    # contact_vacancy: the last detail; hand over now, or add to the handover already made
    turn.set("awaiting", None)
    vacancy = turn.text[:300]
    name, email = turn.slot("applicant_name"), turn.slot("pending_email")
    escalation_id = turn.slot("escalation_id")
    if escalation_id:
        await turn.services.store.add_to_escalation(
            int(escalation_id),
            turn.conversation_id,
            f"Name: {name}; email: {email}; vacancy: {vacancy}",
        )
        recruiter = await default_recruiter(turn)
        turn.say("details_added", recruiter=recruiter.name)
        return
    escalation = await escalate_unverified(
        turn,
        EscalationReason.UNKNOWN_APPLICANT,
        applicant_name=name,
        applicant_email=email,
        vacancy_hint=vacancy,
    )
    contact = (
        say("conversation.contact_by_email", turn.language, email=email)
        if email
        else say("conversation.contact_here", turn.language)
    )
    turn.say(
        "unknown_handed_over",
        name=name,
        contact=contact,
        recruiter=escalation.recruiter.name,
        respond_by=when(turn, escalation),
    )
