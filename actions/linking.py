"""Linked Telegram chats: the applicant proves who they are once, and the chat remembers.

On Telegram, a code typed in the chat links it to the applicant; elsewhere, after a code, the
bot offers a one-time t.me deep link that does the same. `/start <token>` (what Telegram sends
when the link is opened) links the chat; `/forget` (or "log me out") undoes it.
"""

from __future__ import annotations

from actions.conversation import HelpdeskAction, Turn

TELEGRAM = "telegram"
_FORGET = (
    "selected_reference",
    "pending_reference",
    "pending_email",
    "applicant_name",
    "escalation_id",
    "goal",
)


async def after_code(turn: Turn, email: str | None) -> None:
    """The applicant just proved, with a code mailed there, that they own `email` (the address
    the code was issued for): link this Telegram chat, or offer a link to one."""
    if not email:
        return
    services = turn.services
    if turn.channel == TELEGRAM:
        if await services.links.link(TELEGRAM, turn.conversation_id, email):
            turn.say("linked_here")
        return
    link = await services.telegram_link(email)
    if link:
        turn.say("telegram_offer", link=link, hours=services.settings.link_hours)


async def link_with_token(turn: Turn, token: str) -> None:
    """/start <token>: link this chat and answer the question the applicant came with."""
    from actions.status import continue_after_verification

    applicant = None
    if turn.channel == TELEGRAM:
        applicant = await turn.services.links.redeem(token, TELEGRAM, turn.conversation_id)
    if applicant is None:
        turn.set("awaiting", "identifier")
        turn.say("link_invalid")
        return
    # the chat is linked now: from the next message on, the server knows it (actions/identity.py)
    turn.proven(applicant.references, applicant.email)
    turn.say("linked", name=applicant.name, employer=turn.services.settings.employer_name)
    turn.set("goal", "status")
    await continue_after_verification(turn)


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
