"""How the applicant of an escalation can be reached now, for the desk to say so plainly before
and after a claim: in a live chat (the web chat page is open, a Telegram chat is linked), else
by email to the address they gave, else not at all.

It asks the same questions as the hand-over itself (desk/handoff.py): the conversation's latest
channel, whether the help desk can send through it, and whether the applicant is still there.
"""

from __future__ import annotations

from dataclasses import dataclass

from desk.escalations import EscalationView
from desk.handoff import Handoff


@dataclass(frozen=True)
class Reach:
    how: str  # "chat", "email" or "none"
    channel: str | None = None  # the chat's channel, when "chat"
    email: str | None = None  # the address, when "email"


async def reach_of(handoff: Handoff, escalation: EscalationView) -> Reach:
    conversation_id = escalation.conversation_id
    if conversation_id and handoff.agent is not None:
        tracker = await handoff.agent.tracker_store.retrieve(conversation_id)
        channel = tracker.get_latest_input_channel() if tracker is not None else None
        if handoff._output(channel) is not None and await handoff._connected(
            channel, conversation_id
        ):
            return Reach("chat", channel=channel)
    if escalation.applicant_email:
        return Reach("email", email=escalation.applicant_email)
    return Reach("none")
