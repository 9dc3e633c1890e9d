"""Escalations in the ATS store: opening one (or joining the one already open) together with
its mails to the recruiter, and adding what the applicant said later."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ats.db import dialect_insert
from ats.models import Application, Escalation, EscalationReason, EscalationState, Recruiter
from ats.outbox import queue_mail
from ats.records import EscalationRecord, EscalationRequest, Mail
from ats.reference import parse_reference
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
            }
            if application is None:
                row = Escalation(**values)
                session.add(row)
                await session.flush()
                await session.refresh(row, ["recruiter", "application"])
                record = EscalationRecord.of(row)
                return record, True, await self._queue(session, record, mails)
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


def _mark_privacy_kind(row: Escalation, request: EscalationRequest) -> None:
    """A privacy request joining one already open says what it asks for; an erasure is never
    turned back into a request for access."""
    if request.privacy_kind and row.privacy_kind != "erasure":
        row.privacy_kind = request.privacy_kind
