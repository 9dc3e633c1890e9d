"""Handing an applicant to a named recruiter: when the employer is late, or when they ask.

An escalation is stored (once per application and reason) together with the email to the
recruiter, then the email is sent; the applicant is told who will contact them and by when.
Only an application the conversation has proven goes with it; someone who has not proven who
they are gets an unverified escalation, the same reply whatever is on file, and is asked for
their contact details (dialogue/contact.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ats.calendar import add_working_hours
from ats.models import EscalationReason
from ats.records import (
    ApplicationRecord,
    EscalationRecord,
    EscalationRequest,
    Mail,
    RecruiterRecord,
)
from ats.store_basics import utcnow
from dialogue.turn import Turn
from speech.catalogue import say
from speech.dates import day_and_time

# How long an unverified applicant's alert waits for their contact details before it goes out
# with what it has (at the next flush or sweep after this): dialogue/contact.py sends it sooner.
ALERT_HOLD = timedelta(minutes=10)


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
    """The recruiter's mail, in English (mail.recruiter in the catalogue)."""
    tz, language = turn.services.settings.timezone, "en"

    def text(key: str, **values: object) -> str:
        return say(f"mail.recruiter.{key}", language, **values)

    reason = text(f"reason_names.{escalation.reason.value}")
    who = escalation.applicant_name or text("someone")
    if application is not None:
        details = text(
            "application",
            reference=application.reference,
            vacancy=application.vacancy.title,
            applied=day_and_time(application.applied_at, language, tz),
            status=application.status.value,
            stage=text("stage", stage=application.stage) if application.stage else "",
            ack_due=day_and_time(application.ack_due_at, language, tz),
        )
    else:
        details = text("unverified")
        if escalation.given_reference:
            details += "\n" + text("given_reference", reference=escalation.given_reference)
        if escalation.vacancy_hint:
            details += "\n" + text("given_vacancy", vacancy=escalation.vacancy_hint)
    # the conversation's id is not written here: a web chat's id lets whoever has it into
    # the conversation
    body = text(
        "body",
        recruiter=turn.recruiter_name(escalation.recruiter),
        reason=reason,
        who=who,
        email=escalation.applicant_email or text("no_email"),
        details=details,
        channel=escalation.channel or text("no_channel"),
        link=desk_link(turn, escalation),
        respond_by=day_and_time(escalation.respond_by, language, tz),
        text=escalation.summary or turn.text or text("nothing_written"),
    )
    subject = text("subject", reason=reason, who=who)
    if application is not None:
        subject += text(
            "subject_application",
            vacancy=application.vacancy.title,
            reference=application.reference,
        )
    return [Mail(escalation.recruiter.email, subject, body, escalation.reason.value)]


async def escalate(
    turn: Turn,
    reason: EscalationReason,
    application: ApplicationRecord | None = None,
    recruiter: RecruiterRecord | None = None,
    applicant_name: str | None = None,
    applicant_email: str | None = None,
    vacancy_hint: str | None = None,
    privacy_kind: str | None = None,
    given_reference: str | None = None,
    hold_alert: bool = False,
) -> EscalationRecord:
    """Open (or find) the escalation, queue and send the recruiter's email, remember it.

    `hold_alert`: the email waits for the contact details still to be asked (ALERT_HOLD).

    Only an application this conversation has proven may be given: one without is an
    unverified escalation, which never joins a verified one. A privacy request says what is
    asked for (`privacy_kind`: "access" or "erasure"), when that is known."""
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
        privacy_kind=privacy_kind,
        given_reference=given_reference,
    )
    escalation, _created, mail_ids = await store.open_escalation(
        request,
        lambda e: _recruiter_mail(turn, e, application),
        open_per_client=turn.services.settings.unverified_escalations_per_client,
        hold_mails_until=utcnow() + ALERT_HOLD if hold_alert else None,
    )
    if mail_ids:
        await mailer.deliver(mail_ids)
    turn.set("escalation_id", escalation.id)
    return escalation


async def add_contact_details(
    turn: Turn, *, release: bool, **details: str | None
) -> EscalationRecord | None:
    """Write the details an unverified applicant gave onto their escalation; while its alert
    is held, route it by the vacancy they named and rewrite the alert; `release` sends it."""
    escalation_id = turn.slot("escalation_id")
    if not escalation_id:
        return None
    recruiter = await named_recruiter(
        turn, details.get("vacancy_hint") or "", details.get("given_reference")
    )
    record, mail_ids = await turn.services.store.add_contact_details(
        int(escalation_id),
        turn.conversation_id,
        recruiter_email=recruiter.email if recruiter else None,
        mails=lambda e: _recruiter_mail(turn, e, None),
        release=release,
        **details,
    )
    if mail_ids:
        await turn.services.mailer.deliver(mail_ids)
    return record


async def named_recruiter(
    turn: Turn, words: str, given_reference: str | None = None
) -> RecruiterRecord | None:
    """The recruiter of the vacancy the applicant named, when it is exactly one.

    Not of a reference they only typed: the reply names the recruiter, and would then tell a
    stranger that the reference exists and whose vacancy it is (the security rules give the
    same reply whether a reference exists or not). The desk shows the reference as given."""
    del given_reference  # kept as given on the escalation, never used to choose whom to name
    if not words.strip():
        return None
    return await turn.services.store.recruiter_of_vacancy_named(words, None)


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
    turn: Turn,
    reason: EscalationReason,
    *,
    applicant_name: str | None = None,
    applicant_email: str | None = None,
    vacancy_hint: str | None = None,
    privacy_kind: str | None = None,
    given_reference: str | None = None,
    hold_alert: bool = False,
    words: str = "",
) -> EscalationRecord:
    """Hand someone who has not proven who they are to the recruiter of the vacancy they
    named (in `vacancy_hint` or their `words`) or of the reference they gave, else to the
    default recruiter.

    The escalation carries no application: a reference they typed is kept as given, not
    verified; nothing of what is on file is told them."""
    recruiter = await named_recruiter(turn, f"{vacancy_hint or ''} {words}", given_reference)
    return await escalate(
        turn,
        reason,
        recruiter=recruiter or await default_recruiter(turn),
        applicant_name=applicant_name,
        applicant_email=applicant_email,
        vacancy_hint=vacancy_hint,
        privacy_kind=privacy_kind,
        given_reference=given_reference,
        hold_alert=hold_alert,
    )


async def open_privacy_request(
    turn: Turn, kind: str | None = None, reply: str = "privacy_escalated"
) -> None:
    """A request to see or erase their data (`kind`, when known) for a person to handle: to
    their recruiter when the conversation proved an application, else to the default
    recruiter, unverified (dialogue/privacy.py carries out a proven applicant's own wishes)."""
    application = await proven_application(turn)
    if application is not None:
        escalation = await escalate(
            turn, EscalationReason.PRIVACY_REQUEST, application=application, privacy_kind=kind
        )
    else:
        escalation = await escalate_unverified(
            turn,
            EscalationReason.PRIVACY_REQUEST,
            applicant_email=turn.slot("pending_email"),
            privacy_kind=kind,
        )
    turn.say(
        reply,
        recruiter=turn.recruiter_name(escalation.recruiter),
        respond_by=when(turn, escalation),
    )
