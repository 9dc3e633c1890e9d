"""/forget on Telegram, "log me out", the web chat's "End chat": the chat forgets who the
applicant is, on the server. (Linking a chat happens in the verification flow:
dialogue/verification.py.)"""

from __future__ import annotations

from actions.base import HelpdeskAction
from dialogue.turn import Turn

_FORGET = (
    "selected_reference",
    "pending_reference",
    "pending_email",
    "applicant_name",
    "escalation_id",
    "goal",
)


class ActionForgetChat(HelpdeskAction):
    """forget_chat (/forget on Telegram, "log me out", the web chat's "End chat"): this chat
    forgets who the applicant is, on the server: its proofs end, its codes stop working."""

    def name(self) -> str:
        return "action_forget_chat"

    async def respond(self, turn: Turn) -> None:
        unlinked = await turn.services.links.forget(turn.channel, turn.conversation_id)
        known = bool(turn.verified() or turn.slot("pending_email") or turn.slot("awaiting"))
        # codes asked in this conversation stop working too: one asked before "/forget" must
        # not prove anything typed after it
        await turn.services.verifier.forget(turn.conversation_id)
        for slot in _FORGET:
            turn.set(slot, None)
        turn.set("awaiting", None)
        turn.say("forgotten" if unlinked or known else "nothing_to_forget")
