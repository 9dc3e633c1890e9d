"""Where does my application stand? check_status, and the reference, address or code given:
the verification flow (dialogue/verification.py), then a personal answer."""

from __future__ import annotations

from actions.base import HelpdeskAction
from dialogue.turn import Turn
from dialogue.verification import verify_or_ask


class ActionCheckStatus(HelpdeskAction):
    """check_status, and the reference, email address or code the applicant gives."""

    def name(self) -> str:
        return "action_check_status"

    async def respond(self, turn: Turn) -> None:
        goal = turn.slot("goal") if turn.intent != "check_status" else "status"
        await verify_or_ask(turn, goal or "status")
