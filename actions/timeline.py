"""When will I hear back, and how does the selection work: general, or for their application."""

from __future__ import annotations

from actions.ats.records import ApplicationRecord
from actions.conversation import HelpdeskAction, Turn
from actions.escalation import selected_application
from actions.texts import day, say


async def answer_timeline(turn: Turn, app: ApplicationRecord) -> None:
    tz, language = turn.services.settings.timezone, turn.language
    if app.acknowledged_at is not None:
        state = say(
            "timeline_acknowledged", language, acknowledged=day(app.acknowledged_at, language, tz)
        )
    elif app.is_closed:
        state = say("next_closed", language)
    else:
        state = say(
            "next_ack",
            language,
            due=day(app.ack_due_at, language, tz),
            recruiter=app.recruiter.name,
        )
    if app.next_update_due_at is not None and not app.is_closed:
        state += " " + say("next_update", language, due=day(app.next_update_due_at, language, tz))
    turn.say(
        "timeline_own",
        vacancy=app.vacancy.title,
        applied=day(app.applied_at, language, tz),
        due=day(app.ack_due_at, language, tz),
        state=state,
    )


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
