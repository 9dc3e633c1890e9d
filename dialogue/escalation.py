"""Handing an applicant to a named recruiter: when the employer is late, or when they ask.

An escalation is stored (once per application and reason) together with the email to the
recruiter, then the email is sent; the applicant is told who will contact them and by when.
Only an application the conversation has proven goes with it; someone who has not proven who
they are gets an unverified escalation, the same reply whatever is on file, and is asked for
their contact details (dialogue/contact.py).
"""

from __future__ import annotations

from datetime import datetime

from ats.calendar import add_working_hours
from ats.models import EscalationReason
from ats.records import (
    ApplicationRecord,
    EscalationRecord,
    EscalationRequest,
    Mail,
    RecruiterRecord,
)
from ats.store import utcnow
from dialogue.turn import Turn
from speech.texts import day_and_time

_REASONS = {
    EscalationReason.ACK_OVERDUE: "acknowledgement overdue",
    EscalationReason.UPDATE_OVERDUE: "promised update overdue",
    EscalationReason.APPLICANT_REQUEST: "the applicant asks for a person",
    EscalationReason.WITHDRAWAL: "the applicant withdrew",
    EscalationReason.PRIVACY_REQUEST: "privacy request",
    EscalationReason.UNKNOWN_APPLICANT: "applicant not found in the ATS",
}


def respond_by(turn: Turn, now: datetime | None = None) -> datetime:
    settings = turn.services.settings
    return add_working_hours(
        now or utcnow(),
        settings.escalation_response_hours,
        settings.timezone,
        settings.holiday_country,
    )


def desk_link(turn: Turn, escalation: EscalationRecord) -> str:
    return f"{turn.services.settings.public_base_url}/desk/escalations/{escalation.id}"


def _recruiter_mail(
    turn: Turn, escalation: EscalationRecord, application: ApplicationRecord | None
) -> list[Mail]:
    tz = turn.services.settings.timezone
    reason = _REASONS[escalation.reason]
    who = escalation.applicant_name or "An applicant"
    lines = [
        f"Hello {escalation.recruiter.name},",
        "",
        f"The help desk has handed an applicant to you: {reason}.",
        "",
        f"Applicant:   {who} <{escalation.applicant_email or 'no email given'}>",
    ]
    if application is not None:
        lines += [
            f"Application: {application.reference}, {application.vacancy.title}",
            f"Applied:     {day_and_time(application.applied_at, 'en', tz)}",
            f"Status:      {application.status.value}"
            + (f" ({application.stage})" if application.stage else ""),
            f"Ack due:     {day_and_time(application.ack_due_at, 'en', tz)}",
        ]
    else:
        lines += [
            "Unverified:  this person has not proven who they are. Their name and address are",
            "             only what they typed: check before you tell them anything.",
        ]
    # the conversation's id is not written here: a web chat's id lets whoever has it into
    # the conversation
    lines += [
        f"Channel:     {escalation.channel or 'chat'}",
        f"In the desk: {desk_link(turn, escalation)}",
        f"Respond by:  {day_and_time(escalation.respond_by, 'en', tz)}",
        "",
        "What the applicant wrote:",
        f"  {turn.text or '-'}",
        "",
        "The applicant has been told that you will contact them personally by then.",
    ]
    subject = f"[Help desk] {reason}: {who}"
    if application is not None:
        subject += f", {application.vacancy.title} ({application.reference})"
    return [Mail(escalation.recruiter.email, subject, "\n".join(lines), escalation.reason.value)]


async def escalate(
    turn: Turn,
    reason: EscalationReason,
    application: ApplicationRecord | None = None,
    recruiter: RecruiterRecord | None = None,
    applicant_name: str | None = None,
    applicant_email: str | None = None,
    vacancy_hint: str | None = None,
) -> EscalationRecord:
    """Open (or find) the escalation, queue and send the recruiter's email, remember it.

    Only an application this conversation has proven may be given: one without is an
    unverified escalation, which never joins a verified one."""
    if application is not None and application.reference not in turn.verified():
        raise PermissionError("an escalation carries only an application its applicant proved")
    store, mailer = turn.services.store, turn.services.mailer
    request = EscalationRequest(
        reason=reason,
        respond_by=respond_by(turn),
        application_reference=application.reference if application else None,
        recruiter_email=recruiter.email if recruiter else None,
        applicant_name=applicant_name,
        applicant_email=applicant_email,
        vacancy_hint=vacancy_hint,
        channel=turn.channel or None,
        conversation_id=turn.conversation_id,
        summary=turn.text or None,
        client=turn.client,
    )
    escalation, _created, mail_ids = await store.open_escalation(
        request,
        lambda e: _recruiter_mail(turn, e, application),
        open_per_client=turn.services.settings.unverified_escalations_per_client,
    )
    if mail_ids:
        await mailer.deliver(mail_ids)
    turn.set("escalation_id", escalation.id)
    return escalation


async def default_recruiter(turn: Turn) -> RecruiterRecord:
    settings = turn.services.settings
    return await turn.services.store.default_recruiter(
        settings.default_recruiter_email, settings.default_recruiter_name
    )


def when(turn: Turn, escalation: EscalationRecord) -> str:
    return day_and_time(escalation.respond_by, turn.language, turn.services.settings.timezone)


async def selected_application(turn: Turn) -> ApplicationRecord | None:
    """The verified application this conversation is about, when there is exactly one."""
    verified = turn.verified()
    reference = turn.slot("selected_reference")
    if reference not in verified:
        reference = verified[0] if len(verified) == 1 else None
    return await turn.services.store.find_application(reference) if reference else None


async def proven_application(turn: Turn) -> ApplicationRecord | None:
    """For a person to look at: the application chosen, else the first one proven."""
    chosen = await selected_application(turn)
    if chosen is None and turn.verified():
        chosen = await turn.services.store.find_application(turn.verified()[0])
    return chosen


async def escalate_unverified(
    turn: Turn, reason: EscalationReason, **details: str | None
) -> EscalationRecord:
    """Hand someone who has not proven who they are to the default recruiter.

    Nothing they typed is looked up: the escalation carries no application, the recruiter and
    the time are the same whatever is on file, so the reply tells nothing about it."""
    return await escalate(turn, reason, recruiter=await default_recruiter(turn), **details)


async def open_privacy_request(turn: Turn) -> None:
    """A request to see or erase their data: to their recruiter when the conversation proved
    an application, else to the default recruiter, unverified."""
    application = await proven_application(turn)
    if application is not None:
        escalation = await escalate(turn, EscalationReason.PRIVACY_REQUEST, application=application)
    else:
        escalation = await escalate_unverified(
            turn, EscalationReason.PRIVACY_REQUEST, applicant_email=turn.slot("pending_email")
        )
    turn.say(
        "privacy_escalated", recruiter=escalation.recruiter.name, respond_by=when(turn, escalation)
    )
