"""Linked Telegram chats: the applicant proves who they are once, and the chat remembers.

On Telegram, a code typed in the chat links it to the applicant; elsewhere, after a code, the
bot offers a one-time t.me deep link that does the same. `/start <token>` (what Telegram sends
when the link is opened) links the chat; `/forget` (or "log me out") undoes it.
"""

from __future__ import annotations

from actions.conversation import HelpdeskAction, Turn

TELEGRAM = "telegram"
_FORGET = ("verified_references", "selected_reference", "pending_reference", "pending_email")


def channel(turn: Turn) -> str | None:
    return turn.tracker.get_latest_input_channel()


async def recall_linked(turn: Turn) -> None:
    """In a linked Telegram chat, all the applicant's applications count as verified."""
    if channel(turn) != TELEGRAM:
        return
    applicant = await turn.services.links.linked_applicant(TELEGRAM, turn.conversation_id)
    if applicant is None:
        return
    verified = sorted(set(turn.verified()) | set(applicant.references))
    if verified != sorted(turn.verified()):
        turn.set("verified_references", verified)


async def after_code(turn: Turn, email: str | None) -> None:
    """The applicant just proved they own `email`: link this Telegram chat, or offer a link."""
    if not email:
        return
    services = turn.services
    if channel(turn) == TELEGRAM:
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
    if channel(turn) == TELEGRAM:
        applicant = await turn.services.links.redeem(token, TELEGRAM, turn.conversation_id)
    if applicant is None:
        turn.set("awaiting", "identifier")
        turn.say("link_invalid")
        return
    turn.set("verified_references", sorted(set(turn.verified()) | set(applicant.references)))
    turn.set("pending_email", applicant.email)
    turn.say("linked", name=applicant.name, employer=turn.services.settings.employer_name)
    turn.set("goal", "status")
    await continue_after_verification(turn)


class ActionForgetChat(HelpdeskAction):
    """forget_chat (/forget on Telegram, "log me out"): this chat forgets who the applicant is."""

    def name(self) -> str:
        return "action_forget_chat"

    async def respond(self, turn: Turn) -> None:
        unlinked = await turn.services.links.forget(channel(turn) or "", turn.conversation_id)
        known = bool(turn.verified() or turn.slot("pending_email"))
        for slot in _FORGET:
            turn.set(slot, None)
        turn.set("awaiting", None)
        turn.say("forgotten" if unlinked or known else "nothing_to_forget")
