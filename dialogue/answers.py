"""The answers to a proven applicant: where the application stands, when they will hear, and
withdrawing it (after an explicit yes).

All in the applicant's language: the ATS's stage names only as speech/stages.py allows, and
"when will I hear?" answered with what comes next and by when, not with dates gone by.
"""

from __future__ import annotations

from ats import desk_changes
from ats.models import CLOSED_STATUSES, EscalationReason, Status
from ats.records import ApplicationRecord
from ats.store_basics import utcnow
from ats.sync.writeback.send import send
from dialogue.escalation import escalate, when
from dialogue.feedback import status_answered
from dialogue.turn import Turn
from speech.catalogue import say
from speech.dates import day
from speech.stages import stage_in


async def tell_if_late(turn: Turn, app: ApplicationRecord) -> bool:
    """The employer is late with this application: say so, hand it to its recruiter (once), and
    say who will contact them by when. True when it was late."""
    tz, language = turn.services.settings.timezone, turn.language
    late = app.overdue_reason(utcnow())
    if late is None:
        return False
    escalation = await escalate(turn, late, application=app)
    due = app.ack_due_at if late is EscalationReason.ACK_OVERDUE else app.next_update_due_at
    assert due is not None  # an application is only late against a date it has
    turn.say(
        "late_ack" if late is EscalationReason.ACK_OVERDUE else "late_update",
        due=day(due, language, tz),
        recruiter=turn.recruiter_name(escalation.recruiter),
        vacancy=app.vacancy.title,
        respond_by=when(turn, escalation),
    )
    return True


async def answer_status(turn: Turn, app: ApplicationRecord) -> None:
    tz, language = turn.services.settings.timezone, turn.language
    if await tell_if_late(turn, app):
        return
    recruiter = turn.recruiter_name(app.recruiter)
    if app.status in CLOSED_STATUSES:
        next_step = turn.text_for("next_closed")
    elif app.next_update_due_at is not None:
        next_step = turn.text_for("next_update", due=day(app.next_update_due_at, language, tz))
    elif app.acknowledged_at is None:
        next_step = turn.text_for(
            "next_ack", due=day(app.ack_due_at, language, tz), recruiter=recruiter
        )
    elif app.status is Status.INTERVIEW:
        next_step = turn.text_for("next_interview", recruiter=recruiter)
    elif app.status is Status.OFFER:
        next_step = turn.text_for("next_offer", recruiter=recruiter)
    else:
        next_step = turn.text_for("next_review", recruiter=recruiter)
    if recruiter not in next_step:
        next_step += turn.text_for("your_recruiter", recruiter=recruiter)
    turn.say(
        "status",
        name=app.candidate.name.split()[0],
        vacancy=app.vacancy.title,
        reference=app.reference,
        applied=day(app.applied_at, language, tz),
        status=say(f"status.{app.status.value}", language),
        stage=f" ({stage})" if (stage := stage_in(app.stage, language)) else "",
        next=next_step,
    )
    status_answered(turn)


async def answer_timeline(turn: Turn, app: ApplicationRecord) -> None:
    """What comes next for this application and by when (a promised date where there is one)."""
    tz, language = turn.services.settings.timezone, turn.language
    if await tell_if_late(turn, app):
        return
    recruiter = turn.recruiter_name(app.recruiter)
    if app.is_closed:
        next_step = turn.text_for("next_closed")
    elif app.acknowledged_at is None:
        next_step = turn.text_for(
            "next_ack", due=day(app.ack_due_at, language, tz), recruiter=recruiter
        )
    elif app.status is Status.INTERVIEW:
        next_step = turn.text_for("next_interview", recruiter=recruiter)
    elif app.status is Status.OFFER:
        next_step = turn.text_for("next_offer", recruiter=recruiter)
    elif app.status is Status.ON_HOLD and app.next_update_due_at is not None:
        next_step = ""  # the promised update (below) is what comes next
    elif app.status is Status.ON_HOLD:
        on_hold = say("status.on_hold", language)
        next_step = on_hold + "." + turn.text_for("your_recruiter", recruiter=recruiter)
    else:
        next_step = turn.text_for("timeline_review", recruiter=recruiter)
    if app.next_update_due_at is not None and not app.is_closed:
        update = turn.text_for("next_update", due=day(app.next_update_due_at, language, tz))
        next_step = f"{next_step} {update}".strip()
    turn.say("timeline_next", vacancy=app.vacancy.title, next=next_step)


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


async def withdraw(turn: Turn, application: ApplicationRecord) -> None:
    """The applicant said yes: withdraw, record it, tell the recruiter, confirm."""
    turn.set("awaiting", None)
    services = turn.services
    # kept first, so that an older copy of the ATS cannot undo it, and the ATS is told
    change_id = await desk_changes.record(
        services.store,
        application.reference,
        from_status=application.status.value,
        status=Status.WITHDRAWN.value,
        stage=None,
        actor="the applicant, in the chat",  # no name: this row outlives an erasure
        settings=services.settings,
    )
    changed = await services.store.record_status_change(
        application.reference,
        Status.WITHDRAWN,
        actor=application.candidate.name,
        source="chat",
        close_reason="withdrawn by the applicant in the help desk",
    )
    if desk_changes.writes_back(services.settings, changed.ats_system):
        services.in_background(
            send(services.store, services.settings, change_id), "writing a withdrawal to the ATS"
        )
    escalation = await escalate(turn, EscalationReason.WITHDRAWAL, application=changed)
    turn.say(
        "withdrawn",
        vacancy=changed.vacancy.title,
        recruiter=turn.recruiter_name(escalation.recruiter),
    )
