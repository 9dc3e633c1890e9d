"""An applicant waiting for a person: after an escalation was raised and before a recruiter
has joined, a "hello??" or "is anyone there?" is met with who has their question and how soon
they will hear, not with the bot's welcome again.

Once a recruiter claims the escalation the bot is paused (desk/handoff.py) and answers nothing;
once it is resolved the bot is itself again. So "waiting" is: an open escalation raised from
this very conversation (and channel).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from ats.models import Escalation, EscalationState, Recruiter
from ats.records import RecruiterRecord
from ats.store_basics import utcnow
from dialogue.turn import Turn
from speech.dates import day_and_time, within


@dataclass(frozen=True)
class Waiting:
    """The open escalation an applicant waits on: who has it, and by when they answer."""

    recruiter: str
    respond_by: datetime


# Asked for most answers, so built once (SQLAlchemy works out the cache key of every statement
# object it is given: for one built anew, about as much CPU as running it).
_WAITED_ON = (
    select(Recruiter.name, Recruiter.email, Escalation.respond_by)
    .join(Recruiter, Escalation.recruiter_id == Recruiter.id)
    .where(
        Escalation.conversation_id == bindparam("conversation_id"),
        Escalation.state == EscalationState.OPEN.value,
    )
    .order_by(Escalation.respond_by)
    .limit(1)
)
_WAITED_ON_IN_CHANNEL = _WAITED_ON.where(Escalation.channel == bindparam("channel"))


async def waiting_for(turn: Turn) -> Waiting | None:
    """The open escalation this conversation raised that is due first, if any."""
    if not turn.conversation_id:
        return None
    if turn.channel:  # a conversation id is only unique within its channel
        rows = await turn.services.store.read(
            _WAITED_ON_IN_CHANNEL,
            {"conversation_id": turn.conversation_id, "channel": turn.channel},
        )
    else:
        rows = await turn.services.store.read(_WAITED_ON, {"conversation_id": turn.conversation_id})
    if not rows:
        return None
    row = rows[0]
    return Waiting(turn.recruiter_name(RecruiterRecord(row.name, row.email)), row.respond_by)


def say_waiting(turn: Turn, waiting: Waiting) -> None:
    """'A recruiter will reply, usually within 3 hours: Eva Jansen has your question …'."""
    language, tz = turn.language, turn.services.settings.timezone
    how_long = within(waiting.respond_by, utcnow(), language)
    if how_long is None:  # the promised time has passed: no new promise that cannot be kept
        turn.say("waiting_for_recruiter_late", recruiter=waiting.recruiter)
        return
    turn.say(
        "waiting_for_recruiter",
        within=how_long,
        recruiter=waiting.recruiter,
        respond_by=day_and_time(waiting.respond_by, language, tz),
    )


def waiting_header(turn: Turn, waiting: Waiting) -> str:
    """The web chat's header while the applicant waits: 'A recruiter will reply, usually
    within 3 hours' (the widget shows it until a recruiter joins or the wait is over)."""
    how_long = within(waiting.respond_by, utcnow(), turn.language)
    if how_long is None:
        return turn.text_for("waiting_header_late")
    return turn.text_for("waiting_header", within=how_long)


async def mark_waiting(turn: Turn) -> None:
    """While the conversation waits for a person, its last message says so (`waiting`, in the
    message's metadata, channels/webchat.py). Only a conversation that raised an escalation
    (its `escalation_id` slot) is looked up: one indexed query, none for the rest."""
    if not turn.dispatcher.messages or not turn.slot("escalation_id"):
        return
    waiting = await waiting_for(turn)
    if waiting is not None:
        turn.dispatcher.messages[-1]["waiting"] = waiting_header(turn, waiting)


async def answer_if_waiting(turn: Turn) -> bool:
    """Answer with the waiting message when the applicant waits for a person; True if so."""
    waiting = await waiting_for(turn)
    if waiting is None:
        return False
    say_waiting(turn, waiting)
    return True
