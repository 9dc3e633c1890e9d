"""An applicant's personal data as an admin handles it in the desk: find the applicant, sum up
what the help desk holds about them, produce their data (JSON and a readable document, also by
email), and erase them on request with a goodbye mail in their language.

The work itself is the core's (`ats.privacy`): the export and the Eraser. What the desk adds is
who may ask (admins), the conversations from the running Rasa server's tracker store, the
mails' words, and the privacy escalations that an erasure settles (resolved once erased).

The ATS is the employer's system of record: erasing here does not erase there, and every page
and the goodbye mail say so, naming the ATS when the applications name it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from ats.mail import Mailer
from ats.models import (
    Application,
    Candidate,
    Escalation,
    EscalationReason,
    EscalationState,
)
from ats.privacy.erasure import Eraser
from ats.privacy.erasure_steps import Erased
from ats.privacy.export import ApplicantExport, ExportedConversation, export_applicant
from ats.privacy.trackers import ConversationLine, TrackerEvents
from ats.records import Mail
from ats.settings import ATS_NAMES, Settings
from ats.store import ATSStore
from ats.store_basics import normalise_email, utcnow
from desk.escalations import EscalationView
from desk.handoff import transcript
from speech.catalogue import say
from speech.data_export import data_export_mail

EXPORT_PURPOSE = "data_export"
GOODBYE_PURPOSE = "erasure_confirmation"  # its recipient is forgotten once sent (ats/mail.py)
JSON_NAME = "personal-data.json"
READABLE_NAME = "personal-data.html"


@dataclass(frozen=True)
class Holding:
    """What the help desk holds about one applicant, as the privacy page sums it up."""

    export: ApplicantExport  # without the conversations' messages: counts are enough here
    erasure_requested_at: datetime | None
    application_ids: tuple[int, ...]
    ats_systems: tuple[str, ...]
    # unresolved privacy requests of theirs: an erasure settles them
    privacy_escalations: tuple[int, ...]

    @property
    def email(self) -> str:
        return self.export.email

    @property
    def language(self) -> str:
        return self.export.language

    def subject(self, escalation_id: int | None) -> str | None:
        """Whom an audit row is about, by number only: the escalation acted from, else the
        applicant's first application."""
        if escalation_id:
            return f"escalation {escalation_id}"
        return f"application {self.application_ids[0]}" if self.application_ids else None


def ats_name(systems: tuple[str, ...], settings: Settings, language: str) -> str:
    """The employer's ATS as the applicant and the admin read it: "Greenhouse" when the
    applications say which, else the employer's applicant tracking system."""
    names = [system.title() if system in ATS_NAMES else system for system in systems]
    if names:
        return say(
            "mail.erasure_goodbye.ats_named",
            language,
            employer=settings.employer_name,
            ats=", ".join(names),
        )
    return say("mail.erasure_goodbye.ats_unnamed", language, employer=settings.employer_name)


async def find_applicant(store: ATSStore, asked: str) -> str | None:
    """The address on file of the applicant an admin asked for, by email address or
    application reference (in any case, with or without dashes); None when there is none."""
    asked = asked.strip()[:320]
    if not asked:
        return None
    if "@" in asked:
        address = normalise_email(asked)
        async with store.session() as session:
            found = await session.scalar(select(Candidate.id).where(Candidate.email == address))
        return address if found is not None else None
    application = await store.find_application(asked)
    return application.candidate.email if application else None


def escalation_applicant(escalation: EscalationView) -> str | None:
    """The applicant a privacy escalation is about: the candidate of its application, and only
    when the person proved who they are (an address typed by a stranger is nobody's)."""
    if (
        escalation.reason != EscalationReason.PRIVACY_REQUEST.value
        or not escalation.verified
        or not escalation.reference
        or not escalation.applicant_email
    ):
        return None
    return escalation.applicant_email


async def holding(store: ATSStore, email: str) -> Holding | None:
    export = await export_applicant(store, email)
    if export is None:
        return None
    async with store.session() as session:
        candidate = await session.scalar(
            select(Candidate).where(Candidate.email == normalise_email(email))
        )
        if candidate is None:  # erased in between
            return None
        applications = (
            await session.execute(
                select(Application.id, Application.ats_system)
                .where(Application.candidate_id == candidate.id)
                .order_by(Application.id)
            )
        ).all()
        ids = [row.id for row in applications]
        requests = await session.scalars(
            select(Escalation.id).where(
                Escalation.application_id.in_(ids),
                Escalation.reason == EscalationReason.PRIVACY_REQUEST.value,
                Escalation.state != EscalationState.RESOLVED.value,
            )
        )
        return Holding(
            export=export,
            erasure_requested_at=candidate.erasure_requested_at,
            application_ids=tuple(ids),
            ats_systems=tuple(sorted({row.ats_system for row in applications if row.ats_system})),
            privacy_escalations=tuple(requests),
        )


async def full_export(store: ATSStore, settings: Settings, agent: Any, email: str):
    """The export with the conversations' messages: from this Rasa server's tracker store
    (in memory or SQL), or straight from the SQL tracker store when there is no server."""
    trackers = None
    if agent is None and settings.servers.tracker_store_url:
        trackers = TrackerEvents(settings.servers.tracker_store_url)
    try:
        export = await export_applicant(store, email, trackers)
    finally:
        if trackers is not None:
            await trackers.close()
    if export is None or agent is None:
        return export
    conversations = []
    for conversation in export.conversations:
        lines = await transcript(agent, conversation.conversation_id)
        messages = [
            # the core's words for who spoke: the applicant, or the help desk (the assistant or
            # a recruiter writing through it)
            ConversationLine(
                line.at, "applicant" if line.speaker == "applicant" else "assistant", line.text
            )
            for line in lines
        ]
        conversations.append(
            ExportedConversation(conversation.channel, conversation.conversation_id, messages)
        )
    return dataclasses.replace(export, conversations=conversations)


def export_mail(export: ApplicantExport, settings: Settings) -> Mail:
    """The applicant's data, both ways, to the address on file, in their language: the same
    mail as when they ask for it in the chat."""
    return data_export_mail(export, settings.employer_name, settings.timezone)


def goodbye_mail(email: str, language: str, settings: Settings, ats: str) -> Mail:
    """The confirmation that they are erased; it names nobody but its recipient."""
    return Mail(
        to=email,
        subject=say("mail.erasure_goodbye.subject", language, employer=settings.employer_name),
        body=say("mail.erasure_goodbye.body", language, employer=settings.employer_name, ats=ats),
        purpose=GOODBYE_PURPOSE,
    )


async def erase(
    store: ATSStore,
    settings: Settings,
    mailer: Mailer,
    found: Holding,
    *,
    actor: str,
    escalation_id: int | None = None,
) -> Erased | None:
    """Erase the applicant (the Eraser writes the audit row with the counts and sends the
    goodbye), then resolve the privacy requests this settles. None: erased meanwhile."""
    ats = ats_name(found.ats_systems, settings, found.language)
    erased = await Eraser(store, settings, mailer=mailer).erase_applicant(
        found.email,
        actor=actor,
        reason="request",
        goodbye=goodbye_mail(found.email, found.language, settings, ats),
    )
    if erased is not None:
        settled = set(found.privacy_escalations) | ({escalation_id} if escalation_id else set())
        await resolve_settled(store, sorted(settled))
    return erased


async def resolve_settled(store: ATSStore, ids: list[int]) -> None:
    """Resolve the escalations an erasure settled, if nobody has (their conversation is gone,
    so there is no bot to hand back to)."""
    if not ids:
        return
    async with store.session() as session, session.begin():
        await session.execute(
            update(Escalation)
            .where(Escalation.id.in_(ids), Escalation.state != EscalationState.RESOLVED.value)
            .values(state=EscalationState.RESOLVED.value, resolved_at=utcnow())
        )
