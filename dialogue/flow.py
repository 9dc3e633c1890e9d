"""Which step a message is, whatever action the rules picked: the state machine's routing.

An answer to a free-text question the bot asked (a name, an address, a vacancy) goes to the
contact details, unless it interrupts them (asking for a person, "are you a bot?"); a message
that holds the detail the bot waits for (a reference, an address, a code) moves verification
on, whatever small talk the language model took it for; anything else is the action's own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dialogue.contact import answer_free_text
from dialogue.states import AWAITING_DETAILS, FREE_TEXT, INTERRUPTIONS, SMALL_TALK
from dialogue.turn import EMAIL, Turn
from dialogue.verification import verify_or_ask


def gives_a_detail(turn: Turn) -> bool:
    """The bot waits for a verification detail and this message holds one."""
    if turn.slot("awaiting") not in AWAITING_DETAILS:
        return False
    return bool(
        turn.reference()
        or turn.entity("email")
        or turn.entity("code")
        or EMAIL.search(turn.text or "")
    )


async def take_turn(turn: Turn, respond: Callable[[Turn], Awaitable[None]]) -> None:
    """Route this message: a free-text answer, a verification detail, or the action's own."""
    if turn.slot("awaiting") in FREE_TEXT and turn.intent not in INTERRUPTIONS:
        await answer_free_text(turn)
    elif turn.intent in SMALL_TALK and gives_a_detail(turn):
        await verify_or_ask(turn, turn.slot("goal") or "status")
    else:
        await respond(turn)
