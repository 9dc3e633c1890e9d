"""Withdrawing an application: verified applicants only, after an explicit yes
(actions/small_talk.py takes the yes)."""

from __future__ import annotations

from actions.base import HelpdeskAction
from dialogue.answers import ask_to_confirm_withdrawal
from dialogue.escalation import selected_application
from dialogue.turn import Turn
from dialogue.verification import verify_or_ask


class ActionWithdraw(HelpdeskAction):
    def name(self) -> str:
        return "action_withdraw"

    async def respond(self, turn: Turn) -> None:
        application = await selected_application(turn)
        if application is None:
            await verify_or_ask(turn, "withdraw")
            return
        await ask_to_confirm_withdrawal(turn, application)
