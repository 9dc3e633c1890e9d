"""How the applicant of an escalation can be reached now, for the desk to say so plainly before
and after a claim: in a live chat (the web chat page is open, a Telegram chat is linked, a
WhatsApp number wrote in the last 24 hours), as WhatsApp's approved template (the number's
window is closed), else by email to the address they gave, else not at all.

It asks the same questions as the hand-over itself (desk/handoff.py): the conversation's latest
channel, whether the help desk can send through it, and whether the applicant is still there.
"""

from __future__ import annotations

from dataclasses import dataclass

from desk.escalations import EscalationView
from desk.handoff import Handoff


@dataclass(frozen=True)
class Reach:
    how: str  # "chat", "template", "email" or "none"
    channel: str | None = None  # the chat's channel, when "chat" or "template"
    email: str | None = None  # the address, when "email"
    template: str | None = None  # the template's name, when "template"
    room: int | None = None  # how many characters a reply may have, when "template"
    reads: str | None = None  # what the applicant reads, "…" for the reply, when "template"


async def reach_of(handoff: Handoff, escalation: EscalationView, recruiter: str = "") -> Reach:
    """`recruiter`: the name a reply would be signed with (a template's room depends on it)."""
    conversation_id = escalation.conversation_id
    if conversation_id and handoff.agent is not None:
        tracker = await handoff.agent.tracker_store.retrieve(conversation_id)
        channel = tracker.get_latest_input_channel() if tracker is not None else None
        if handoff._output(channel) is not None:
            if await handoff._connected(channel, conversation_id):
                return Reach("chat", channel=channel)
            followup = handoff.followup(channel)
            if followup is not None and tracker is not None:
                language = tracker.get_slot("language")
                employer = handoff.mailer.settings.employer_name
                return Reach(
                    "template",
                    channel=channel,
                    template=followup.name,
                    room=followup.room(recruiter, employer, language),
                    reads=followup.reads(recruiter, employer, language),
                )
    if escalation.applicant_email:
        return Reach("email", email=escalation.applicant_email)
    return Reach("none")
