"""Which step a message is, whatever action the rules picked: the state machine's routing.

The answer to "how helpful was this?" (a score, then a comment) is taken first, when it is one
(dialogue/feedback.py). An answer to a free-text question the bot asked (a name, an address, a
vacancy) goes to the contact details, unless it interrupts them (asking for a person, "are you
a bot?"); a yes or no to the consent question is recorded (dialogue/privacy.py); someone asked
to verify for a privacy request who cannot read that mailbox is handed to a recruiter; a
message that holds the detail the bot waits for (a reference, an address, a code) moves
verification on, whatever small talk the language model took it for; someone waiting for a
recruiter who says "hello??" is told who has their question and how soon
(dialogue/waiting.py); anything else is the action's own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from dialogue.contact import answer_free_text
from dialogue.feedback import answer_feedback
from dialogue.privacy import PASSED_ON_UNVERIFIED, answer_consent, pass_on_unverified
from dialogue.privacy_wish import cannot_receive_mail
from dialogue.states import (
    AWAITING_DETAILS,
    FEEDBACK,
    FREE_TEXT,
    INTERRUPTIONS,
    SMALL_TALK,
    Awaiting,
)
from dialogue.turn import EMAIL, Turn
from dialogue.verification import verify_or_ask
from dialogue.waiting import answer_if_waiting

# What a waiting applicant says to see whether anyone is there ("hello??", "is anyone there?",
# which the model takes for a greeting, "are you a bot?" or nothing it knows).
ANYONE_THERE = {"greet", "bot_challenge", "nlu_fallback"}


def gives_a_detail(turn: Turn) -> bool:
    """The bot waits for a verification detail and this message holds one."""
    return turn.slot("awaiting") in AWAITING_DETAILS and has_a_detail(turn)


def cannot_verify(turn: Turn) -> bool:
    """Asked to verify for a privacy request, the applicant says they cannot read the mailbox
    on file (and gives no detail instead)."""
    if turn.slot("goal") not in PASSED_ON_UNVERIFIED or turn.intent in INTERRUPTIONS:
        return False
    if turn.slot("awaiting") not in AWAITING_DETAILS or has_a_detail(turn):
        return False
    return turn.intent == "deny" or cannot_receive_mail(turn.text)


def anyone_there(turn: Turn) -> bool:
    """A message that only asks whether anyone is there (no detail, no Telegram deep link)."""
    return turn.intent in ANYONE_THERE and not has_a_detail(turn) and not turn.entity("link_token")


def has_a_detail(turn: Turn) -> bool:
    return bool(
        turn.reference()
        or turn.entity("email")
        or turn.entity("code")
        or EMAIL.search(turn.text or "")
    )


async def take_turn(turn: Turn, respond: Callable[[Turn], Awaitable[None]]) -> None:
    """Route this message: a free-text answer, a verification detail, or the action's own."""
    if turn.slot("awaiting") in FEEDBACK and await answer_feedback(turn):
        return
    if turn.slot("awaiting") in FREE_TEXT and turn.intent not in INTERRUPTIONS:
        await answer_free_text(turn)
    elif turn.slot("awaiting") == Awaiting.PRIVACY_CONSENT and turn.intent in ("affirm", "deny"):
        await answer_consent(turn, turn.intent == "affirm")
    elif cannot_verify(turn):
        await pass_on_unverified(turn)
    elif turn.intent in SMALL_TALK and gives_a_detail(turn):
        await verify_or_ask(turn, turn.slot("goal") or "status")
    elif anyone_there(turn) and await answer_if_waiting(turn):
        return
    else:
        await respond(turn)
