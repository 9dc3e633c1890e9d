"""Privacy: what is kept and for how long, consent to keep it longer, a copy of one's data and
having it erased (privacy_request; the wish is told by its words: dialogue/privacy_wish.py)."""

from __future__ import annotations

from actions.base import HelpdeskAction
from dialogue.privacy import answer_consent, ask_to_verify, explain_retention, fulfil
from dialogue.privacy_wish import CONSENT, WITHDRAW_CONSENT, privacy_wish
from dialogue.states import Awaiting
from dialogue.turn import EMAIL, Turn
from dialogue.verification import verify_or_ask


class ActionPrivacy(HelpdeskAction):
    def name(self) -> str:
        return "action_privacy"

    async def respond(self, turn: Turn) -> None:
        wish = privacy_wish(turn.text)
        answering = turn.slot("awaiting") == Awaiting.PRIVACY_CONSENT
        if answering and wish in (CONSENT, WITHDRAW_CONSENT):
            # "yes, you may keep them" to the consent question just asked
            await answer_consent(turn, wish == CONSENT)
        elif wish is None or (wish == CONSENT and turn.verified()):
            await explain_retention(turn)
        elif turn.verified():
            await fulfil(turn, wish)
        elif turn.reference() or turn.entity("email") or EMAIL.search(turn.text):
            # "delete the data of AP-7K3M-9XQ2": verification starts with what they gave
            await verify_or_ask(turn, wish)
        else:
            ask_to_verify(turn, wish)
