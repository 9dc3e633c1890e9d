"""Withdrawing an application: verified applicants only, after an explicit yes."""

from __future__ import annotations

from actions.ats.models import EscalationReason, Status
from actions.ats.records import ApplicationRecord
from actions.conversation import HelpdeskAction, Turn
from actions.escalation import escalate, selected_application


async def ask_to_confirm_withdrawal(turn: Turn, app: ApplicationRecord) -> None:
    if app.is_closed:
        turn.say("withdraw_closed", vacancy=app.vacancy.title)
        return
    turn.set("selected_reference", app.reference)
    turn.set("awaiting", "withdraw_confirm")
    turn.say(
        "withdraw_confirm",
        vacancy=app.vacancy.title,
        reference=app.reference,
        buttons=[
            {"title": turn.text_for("yes"), "payload": "/affirm"},
            {"title": turn.text_for("no"), "payload": "/deny"},
        ],
    )


async def withdraw(turn: Turn) -> None:
    """The applicant said yes: withdraw, record it, tell the recruiter, confirm."""
    turn.set("awaiting", None)
    application = await selected_application(turn)
    if application is None:
        from actions.status import verify_or_ask

        await verify_or_ask(turn, "withdraw")
        return
    changed = await turn.services.store.record_status_change(
        application.reference,
        Status.WITHDRAWN,
        actor=application.candidate.name,
        source="chat",
        close_reason="withdrawn by the applicant in the help desk",
    )
    escalation = await escalate(turn, EscalationReason.WITHDRAWAL, application=changed)
    turn.say("withdrawn", vacancy=changed.vacancy.title, recruiter=escalation.recruiter.name)


class ActionWithdraw(HelpdeskAction):
    def name(self) -> str:
        return "action_withdraw"

    async def respond(self, turn: Turn) -> None:
        application = await selected_application(turn)
        if application is None:
            from actions.status import verify_or_ask

            await verify_or_ask(turn, "withdraw")
            return
        await ask_to_confirm_withdrawal(turn, application)
