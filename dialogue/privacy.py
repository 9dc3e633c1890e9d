"""An applicant's privacy wishes in the conversation: a copy of their data, having it erased,
and consent to keeping it longer (to be considered for other vacancies).

Each needs the conversation to have proven who it is (dialogue/identity.py): the copy goes to
the address on file only, an erasure is never asked for someone else, and consent is recorded
for the applicant who gave it. Someone not yet proven is asked to verify first, and once the
code is typed the wish is carried out (dialogue/verification.py reads the `goal`); someone who
cannot read that mailbox any more is handed to a recruiter, unverified, as before.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

from ats.mail import mask_email
from ats.models import EscalationReason
from ats.privacy.consent import consent_of, record_consent, withdraw_consent
from ats.privacy.export import ApplicantExport, ExportedConversation, export_applicant
from ats.privacy.trackers import ConversationLine, TrackerEvents
from ats.records import ApplicationRecord, Mail
from ats.store_basics import utcnow
from dialogue.escalation import escalate, open_privacy_request, when
from dialogue.privacy_wish import ACCESS, CONSENT, ERASURE, WITHDRAW_CONSENT
from dialogue.states import Awaiting
from dialogue.turn import Turn
from speech.catalogue import say
from speech.data_export import data_export_mail
from speech.dates import day
from speech.language import LANGUAGES

# what the applicant is asked to verify for, by wish
_VERIFY_FIRST = {
    ACCESS: "privacy_verify_access",
    ERASURE: "privacy_verify_erasure",
    CONSENT: "privacy_verify_consent",
    WITHDRAW_CONSENT: "privacy_verify_consent",
}
# wishes a recruiter can take on for someone who cannot verify (they check who it is)
PASSED_ON_UNVERIFIED = (ACCESS, ERASURE)


async def proven_addresses(turn: Turn) -> list[tuple[str, ApplicationRecord]]:
    """The addresses on file of the applications this conversation proved, each with its first
    application: usually one; two when the applicant proved two mailboxes here."""
    found: dict[str, ApplicationRecord] = {}
    for reference in turn.verified():
        application = await turn.services.store.find_application(reference)
        if application is not None:
            found.setdefault(application.candidate.email, application)
    return list(found.items())


def ask_to_verify(turn: Turn, wish: str) -> None:
    """Start the verification flow; the wish is carried out once the code is typed."""
    turn.set("goal", wish)
    turn.set("awaiting", Awaiting.IDENTIFIER.value)
    turn.say(_VERIFY_FIRST[wish])


async def fulfil(turn: Turn, wish: str) -> None:
    """Carry out a wish of a proven applicant."""
    if wish == ACCESS:
        await send_data_export(turn)
    elif wish == ERASURE:
        await request_erasure(turn)
    elif wish == WITHDRAW_CONSENT:
        await withdraw(turn)
    else:
        await ask_consent(turn)


async def explain_retention(turn: Turn) -> None:
    """How long the data is kept; then a proven applicant is asked for consent, anyone else is
    offered a person for their request."""
    settings = turn.services.settings
    turn.say("privacy", weeks=settings.retention_weeks, months=settings.consent_retention_months)
    if turn.verified():
        await ask_consent(turn)
    else:
        turn.set("awaiting", Awaiting.PRIVACY_OFFER.value)
        turn.say("privacy_offer")


# -- access


def this_conversation(turn: Turn) -> list[ConversationLine]:
    """What was said in this conversation so far, from the events the action was sent (the
    only way to read an in-memory tracker store from the action server)."""
    lines = []
    for event in turn.tracker.events:
        if event.get("event") not in ("user", "bot") or not event.get("text"):
            continue
        stamp = event.get("timestamp")
        at = datetime.fromtimestamp(stamp, timezone.utc) if stamp else utcnow()
        speaker = "applicant" if event["event"] == "user" else "assistant"
        lines.append(ConversationLine(at, speaker, str(event["text"])))
    return lines


async def applicant_export(turn: Turn, email: str) -> ApplicantExport | None:
    """Everything held about the applicant with this address: the conversations from the SQL
    tracker store when there is one, and this conversation from its own events."""
    settings = turn.services.settings
    here = this_conversation(turn)
    url = settings.servers.tracker_store_url
    trackers = TrackerEvents(url) if url else None
    try:
        export = await export_applicant(
            turn.services.store, email, trackers, {turn.conversation_id: here}
        )
    finally:
        if trackers is not None:
            await trackers.close()
    if export is None or not here:
        return export
    if turn.conversation_id in {c.conversation_id for c in export.conversations}:
        return export
    # proven here in a way that does not record the conversation (a careers-site login): it is
    # theirs all the same
    conversation = ExportedConversation(turn.channel or "rest", turn.conversation_id, here)
    return dataclasses.replace(export, conversations=[*export.conversations, conversation])


def export_mail(turn: Turn, export: ApplicantExport) -> Mail:
    """The applicant's data, readable and as JSON, to their address on file."""
    settings = turn.services.settings
    return data_export_mail(
        dataclasses.replace(export, language=turn.language),
        settings.employer_name,
        settings.timezone,
    )


async def send_data_export(turn: Turn) -> None:
    """Mail a proven applicant everything held about them, at the address on file."""
    sent = []
    for email, _application in await proven_addresses(turn):
        export = await applicant_export(turn, email)
        if export is not None:
            await turn.services.mailer.send([export_mail(turn, export)])
            sent.append(mask_email(export.email))
    if not sent:
        turn.say("privacy_not_found")
        return
    turn.say(
        "privacy_export_sent",
        email=", ".join(sent),
        employer=turn.services.settings.employer_name,
    )


# -- erasure


async def request_erasure(turn: Turn) -> None:
    """A proven applicant's request to be forgotten: a privacy escalation of kind "erasure"
    per address on file, for an administrator to carry out from the desk."""
    reason = EscalationReason.PRIVACY_REQUEST
    asked = [
        (email, await escalate(turn, reason, application, privacy_kind=ERASURE))
        for email, application in await proven_addresses(turn)
    ]
    if not asked:
        turn.say("privacy_not_found")
        return
    turn.say(
        "privacy_erasure_requested",
        respond_by=when(turn, asked[0][1]),
        email=", ".join(mask_email(email) for email, _ in asked),
        employer=turn.services.settings.employer_name,
    )


async def pass_on_unverified(turn: Turn) -> None:
    """Someone who cannot read the mailbox on file: a recruiter checks who they are another
    way, and takes the request on."""
    wish = turn.slot("goal")
    turn.set("goal", None)
    turn.set("awaiting", None)
    kind = wish if wish in PASSED_ON_UNVERIFIED else None
    await open_privacy_request(turn, kind=kind, reply="privacy_escalated_unverified")


# -- consent


def consent_question(turn: Turn, language: str) -> str:
    """The question, exactly as the applicant is shown it: the wording consent is recorded with."""
    settings = turn.services.settings
    return say(
        "conversation.privacy_consent_question",
        language,
        employer=settings.employer_name,
        months=settings.consent_retention_months,
    )


async def ask_consent(turn: Turn) -> None:
    """May the employer keep the proven applicant's details for the longer period? Unless they
    agreed already."""
    addresses = await proven_addresses(turn)
    if not addresses:
        ask_to_verify(turn, CONSENT)
        return
    settings = turn.services.settings
    consent = await consent_of(turn.services.store, addresses[0][0])
    if consent is not None:
        turn.say(
            "privacy_consent_already",
            day=day(consent.given_at, turn.language, settings.timezone),
            months=settings.consent_retention_months,
        )
        return
    turn.set("awaiting", Awaiting.PRIVACY_CONSENT.value)
    turn.dispatcher.utter_message(
        text=consent_question(turn, turn.language),
        buttons=[
            {"title": turn.text_for("yes"), "payload": "/affirm"},
            {"title": turn.text_for("no"), "payload": "/deny"},
        ],
    )


async def answer_consent(turn: Turn, yes: bool) -> None:
    """The applicant's yes or no to the consent question; a yes is recorded with the question
    in the words and language they were shown it (the language of the turn that asked)."""
    turn.set("awaiting", None)
    addresses = await proven_addresses(turn)
    if not addresses:  # no longer proven (idle, or the chat was ended)
        ask_to_verify(turn, CONSENT)
        return
    settings = turn.services.settings
    if not yes:
        turn.say("privacy_consent_declined", weeks=settings.retention_weeks)
        return
    # the slot still holds the language of the previous turn: the question's
    asked_in = turn.tracker.get_slot("language")
    wording = consent_question(turn, asked_in if asked_in in LANGUAGES else turn.language)
    now = utcnow()
    recorded = [
        await record_consent(
            turn.services.store, email, source="conversation", wording=wording, at=now
        )
        for email, _application in addresses
    ]
    if not any(recorded):
        turn.say("privacy_not_found")
        return
    turn.say("privacy_consent_given", months=settings.consent_retention_months)


async def withdraw(turn: Turn) -> None:
    """Withdraw the proven applicant's consent: the shorter period applies from now on."""
    turn.set("awaiting", None)
    withdrawn = [
        await withdraw_consent(turn.services.store, email)
        for email, _application in await proven_addresses(turn)
    ]
    weeks = turn.services.settings.retention_weeks
    turn.say("privacy_consent_withdrawn" if any(withdrawn) else "privacy_consent_none", weeks=weeks)
