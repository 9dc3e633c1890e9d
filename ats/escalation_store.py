"""Escalations in the ATS store: opening one (or joining the one already open) together with
its mails to the recruiter, and adding what the applicant said later.

An unverified applicant's alert to the recruiter can be held back while the bot asks for their
contact details (`hold_mails_until`): it is queued with the escalation, in the same transaction,
but claimed until then, so that it goes out with the details (`add_contact_details`, which
rewrites and releases it) or, when the applicant stops answering, by the next flush after the
hold (the deadline monitor's sweep delivers pending mail): never lost, never sent twice."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.db import dialect_insert
from ats.models import (
    Application,
    Escalation,
    EscalationReason,
    EscalationState,
    OutgoingMail,
    Recruiter,
    Vacancy,
)
from ats.outbox import queue_mail
from ats.records import EscalationRecord, EscalationRequest, Mail, RecruiterRecord
from ats.reference import InvalidReference, parse_reference
from ats.store_basics import ApplicationNotFound, RecruiterNotFound, normalise_email, utcnow


class EscalationStore(ABC):
    """Opening escalations and adding to them: the part of `ATSStore` that hands applicants to
    a recruiter. `ATSStore` supplies the sessions."""

    @abstractmethod
    def session(self) -> AsyncSession:
        """A new session on the ATS database."""

    async def open_escalation(
        self,
        request: EscalationRequest,
        mails: Callable[[EscalationRecord], Sequence[Mail]] | None = None,
        *,
        open_per_client: int | None = None,
        hold_mails_until: datetime | None = None,
    ) -> tuple[EscalationRecord, bool, list[int]]:
        """Open an escalation, or return the one already open for this application and reason.

        Returns the escalation, whether this call created it, and the ids of the mails queued
        for it: `mails` builds them from the new escalation, in the same transaction, so the
        escalation is stored before any mail is sent and no mail exists without it. The
        database's partial unique index decides between concurrent callers: exactly one
        creates the escalation (and its mails).

        An escalation with an application is a verified one. One without (someone who has not
        proven who they are) never joins a verified one; it joins the one its conversation
        already has open, or, once its client has `open_per_client` open, the newest of those,
        so that repeating the request neither mails the recruiter again nor fills the queue.

        `hold_mails_until` queues the new escalation's mails held until then (see the module);
        their ids are not returned, as there is nothing to send now.
        """
        now = utcnow()
        async with self.session() as session, session.begin():
            application = None
            if request.application_reference:
                application = await session.scalar(
                    select(Application).where(
                        Application.reference
                        == parse_reference(request.application_reference, lenient=True)
                    )
                )
                if application is None:
                    raise ApplicationNotFound(request.application_reference)
            if application is None:
                earlier = await self._open_unverified(session, request, open_per_client)
                if earlier is not None:
                    if request.summary:
                        earlier.summary = (
                            f"{earlier.summary}\n{request.summary}"
                            if earlier.summary
                            else request.summary
                        )[-4000:]
                    _mark_privacy_kind(earlier, request)
                    return EscalationRecord.of(earlier), False, []
            recruiter_id = await self._recruiter_id(session, request, application)
            values = {
                "application_id": application.id if application else None,
                "applicant_name": request.applicant_name
                or (application.candidate.name if application else None),
                "applicant_email": normalise_email(request.applicant_email)
                if request.applicant_email
                else (application.candidate.email if application else None),
                "vacancy_hint": request.vacancy_hint,
                "reason": EscalationReason(request.reason).value,
                "channel": request.channel,
                "conversation_id": request.conversation_id,
                "recruiter_id": recruiter_id,
                "state": EscalationState.OPEN.value,
                "respond_by": request.respond_by,
                "summary": request.summary,
                "created_at": now,
                "verified": application is not None,
                "client": request.client,
                "privacy_kind": request.privacy_kind,
                "given_reference": _reference_or_none(request.given_reference),
            }
            if application is None:
                row = Escalation(**values)
                session.add(row)
                await session.flush()
                await session.refresh(row, ["recruiter", "application"])
                record = EscalationRecord.of(row)
                queued = await self._queue(session, record, mails)
                if hold_mails_until is not None and queued:
                    await session.execute(
                        update(OutgoingMail)
                        .where(OutgoingMail.id.in_(queued))
                        .values(claimed_until=hold_mails_until)
                    )
                    queued = []
                return record, True, queued
            statement = (
                dialect_insert(session.bind)(Escalation)
                .values(**values)
                .on_conflict_do_nothing(
                    index_elements=["application_id", "reason"],
                    index_where=text("state <> 'resolved' AND application_id IS NOT NULL"),
                )
            )
            result = await session.execute(statement)
            created = result.rowcount == 1
            row = await session.scalar(
                select(Escalation).where(
                    Escalation.application_id == application.id,
                    Escalation.reason == values["reason"],
                    Escalation.state != EscalationState.RESOLVED.value,
                )
            )
            if not created:
                _mark_privacy_kind(row, request)
            record = EscalationRecord.of(row)
            queued = await self._queue(session, record, mails) if created else []
            return record, created, queued

    @staticmethod
    async def _queue(
        session: AsyncSession,
        record: EscalationRecord,
        mails: Callable[[EscalationRecord], Sequence[Mail]] | None,
    ) -> list[int]:
        if mails is None:
            return []
        return [row.id for row in await queue_mail(session, mails(record), record.id)]

    @staticmethod
    async def _open_unverified(
        session: AsyncSession, request: EscalationRequest, open_per_client: int | None
    ) -> Escalation | None:
        unverified = select(Escalation).where(
            Escalation.application_id.is_(None),
            Escalation.state != EscalationState.RESOLVED.value,
        )
        if request.conversation_id:
            same: Escalation | None = await session.scalar(
                unverified.where(
                    Escalation.conversation_id == request.conversation_id,
                    Escalation.channel == request.channel,
                    Escalation.reason == EscalationReason(request.reason).value,
                )
                .order_by(Escalation.id.desc())
                .limit(1)
            )
            if same is not None:
                return same
        if request.client and open_per_client:
            theirs: list[Escalation] = list(
                await session.scalars(
                    unverified.where(Escalation.client == request.client)
                    .order_by(Escalation.id.desc())
                    .limit(open_per_client)
                )
            )
            if len(theirs) >= open_per_client:
                return theirs[0]
        return None

    async def add_to_escalation(self, escalation_id: int, conversation_id: str, note: str) -> None:
        """Append what the applicant told us later (name, vacancy) to an escalation's summary;
        only to one this conversation raised."""
        async with self.session() as session, session.begin():
            row = await session.get(Escalation, escalation_id)
            if row is not None and row.conversation_id == conversation_id:
                row.summary = f"{row.summary}\n{note}" if row.summary else note

    async def add_contact_details(
        self,
        escalation_id: int,
        conversation_id: str,
        *,
        applicant_name: str | None = None,
        applicant_email: str | None = None,
        vacancy_hint: str | None = None,
        given_reference: str | None = None,
        recruiter_email: str | None = None,
        mails: Callable[[EscalationRecord], Sequence[Mail]] | None = None,
        release: bool = False,
    ) -> tuple[EscalationRecord | None, list[int]]:
        """Write what an unverified applicant told us later onto the escalation their
        conversation raised (never onto another, nor a verified or resolved one).

        While its alert is still held (never tried), the escalation goes to `recruiter_email`
        when it is still open, and the alert is rewritten from the updated escalation
        (`mails`); `release` lets it go: the ids returned are the mails to send now."""
        async with self.session() as session, session.begin():
            row = await session.get(Escalation, escalation_id)
            if (
                row is None
                or row.conversation_id != conversation_id
                or row.application_id is not None
                or row.state == EscalationState.RESOLVED.value
            ):
                return None, []
            if applicant_name:
                row.applicant_name = applicant_name[:200]
            if applicant_email:
                row.applicant_email = normalise_email(applicant_email)
            if vacancy_hint:
                row.vacancy_hint = vacancy_hint[:300]
            if given_reference:
                row.given_reference = _reference_or_none(given_reference)
            held = list(
                await session.scalars(
                    select(OutgoingMail)
                    .where(
                        OutgoingMail.escalation_id == row.id,
                        OutgoingMail.sent_at.is_(None),
                        OutgoingMail.attempts == 0,
                    )
                    .order_by(OutgoingMail.id)
                )
            )
            if held and recruiter_email and row.state == EscalationState.OPEN.value:
                row.recruiter_id = await self._recruiter_id(
                    session, _to(recruiter_email, row.reason), None
                )
            await session.flush()
            await session.refresh(row, ["recruiter", "application"])
            record = EscalationRecord.of(row)
            if not held:
                return record, []
            values: dict[str, object] = {"claimed_until": None} if release else {}
            for mail, rewritten in zip(held, mails(record) if mails else [], strict=False):
                values.update(to_address=rewritten.to, subject=rewritten.subject)
                values.update(body=rewritten.body)
                await session.execute(
                    update(OutgoingMail)
                    .where(OutgoingMail.id == mail.id, OutgoingMail.attempts == 0)
                    .values(values)
                )
            if release and not mails:
                await session.execute(
                    update(OutgoingMail)
                    .where(OutgoingMail.id.in_([m.id for m in held]), OutgoingMail.attempts == 0)
                    .values(claimed_until=None)
                )
            return record, [m.id for m in held] if release else []

    async def recruiter_of_vacancy_named(
        self, words: str, given_reference: str | None = None
    ) -> RecruiterRecord | None:
        """The recruiter of the one vacancy these words name (its code, or its title with or
        without what follows in brackets), or of the given reference's vacancy; None when
        they name none or several. Only for routing: nothing of it is told the applicant."""
        async with self.session() as session:
            if given_reference:
                vacancy = await session.scalar(
                    select(Vacancy)
                    .join(Application, Application.vacancy_id == Vacancy.id)
                    .where(Application.reference == given_reference)
                )
                if vacancy is not None:
                    return RecruiterRecord.of(vacancy.recruiter)
            said = _words(words)
            if not said.strip():
                return None
            named = [
                vacancy
                for vacancy in await session.scalars(select(Vacancy))
                if any(
                    name in said
                    for name in (
                        _words(vacancy.code),
                        _words(vacancy.title),
                        _words(vacancy.title.split("(")[0]),
                    )
                    if name.strip()
                )
            ]
            if len(named) != 1:
                return None
            return RecruiterRecord.of(named[0].recruiter)

    async def _recruiter_id(
        self, session: AsyncSession, request: EscalationRequest, application: Application | None
    ) -> int:
        if request.recruiter_email:
            recruiter_id: int | None = await session.scalar(
                select(Recruiter.id).where(
                    Recruiter.email == normalise_email(request.recruiter_email)
                )
            )
            if recruiter_id is None:
                raise RecruiterNotFound(request.recruiter_email)
            return recruiter_id
        if application is None:
            raise RecruiterNotFound("an escalation without an application needs a recruiter")
        vacancy_recruiter: int = application.vacancy.recruiter_id
        return vacancy_recruiter


def _to(recruiter_email: str, reason: str) -> EscalationRequest:
    return EscalationRequest(
        reason=EscalationReason(reason),
        respond_by=utcnow(),
        recruiter_email=recruiter_email,
    )


def _words(text_: str) -> str:
    """Lower-case words between single spaces, padded, to find a name as whole words."""
    return f" {' '.join(re.findall(r'[0-9a-zà-ÿ]+', text_.lower()))} "


def _reference_or_none(typed: str | None) -> str | None:
    try:
        return parse_reference(typed, lenient=True) if typed else None
    except InvalidReference:
        return None


def _mark_privacy_kind(row: Escalation, request: EscalationRequest) -> None:
    """A privacy request joining one already open says what it asks for; an erasure is never
    turned back into a request for access."""
    if request.privacy_kind and row.privacy_kind != "erasure":
        row.privacy_kind = request.privacy_kind
