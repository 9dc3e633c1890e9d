"""When will I hear back, and how does the selection work: general, or for their application."""

from __future__ import annotations

from actions.base import HelpdeskAction
from dialogue.answers import answer_timeline
from dialogue.escalation import selected_application
from dialogue.turn import Turn


class ActionTimeline(HelpdeskAction):
    def name(self) -> str:
        return "action_timeline"

    async def respond(self, turn: Turn) -> None:
        application = await selected_application(turn)
        if application is not None:
            await answer_timeline(turn, application)
            return
        turn.set("goal", "timeline")
        turn.set("awaiting", "identifier")
        turn.say("timeline_general", days=turn.services.settings.ack_working_days)


class ActionProcess(HelpdeskAction):
    def name(self) -> str:
        return "action_process"

    async def respond(self, turn: Turn) -> None:
        application = await selected_application(turn)
        if application is not None and application.vacancy.process_description:
            turn.say(
                "process_vacancy",
                vacancy=application.vacancy.title,
                process=application.vacancy.process_description,
            )
            return
        turn.say("process_default", days=turn.services.settings.ack_working_days)
