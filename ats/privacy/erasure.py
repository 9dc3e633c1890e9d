"""Erasing applicants from every table the help desk owns, leaving anonymous figures.

An erased application keeps what the dashboard counts (its dates, status, stage, vacancy and so
its recruiter) and loses everything that names a person: its reference, its ATS id, its
applicant, the free text of its status changes and close reason. Its escalations keep their
dates, reason and recruiter and lose the name, address, summary and conversation. An applicant
none of whose applications is kept any more is removed entirely: their row, linked chats and
link tokens, proofs and codes, the mails sent to them, their conversations (here, in the tracker
store, in every Rasa server's memory and spool), undelivered messages to their chats.

Tombstones (keyed hashes, `ats.privacy.keys`) let the next import or sync recognise what was
erased without knowing who. Each erasure leaves one audit row with counts only, and one event
for the event broker's consumers (`ats.privacy.announcements`) naming the conversations and
references, deleted once published.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.mail import Mailer
from ats.models import (
    ApplicantConversation,
    Application,
    AuditEntry,
    Candidate,
    ConversationProof,
    Escalation,
    LinkedChat,
    Vacancy,
    VerificationChallenge,
)
from ats.outbox import queue_mail
from ats.privacy.announcements import publish_pending
from ats.privacy.erasure_steps import (
    Applicants,
    Erased,
    announce,
    chunks,
    count_erased,
    erase_counters,
    erase_escalations,
    erase_history,
    erase_keys,
    erase_mails,
    erase_mentions,
    remove_applicants,
    request_tracker_erasures,
    tombstone,
)
from ats.privacy.files import remove_outbox_files
from ats.privacy.keys import ErasureKeys
from ats.privacy.trackers import TrackerEvents
from ats.records import Mail
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import normalise_email, utcnow


class Eraser:
    """Erases applications and applicants; one per process is enough."""

    def __init__(
        self,
        store: ATSStore,
        settings: Settings,
        clock: Callable[[], datetime] = utcnow,
        mailer: Mailer | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.keys = ErasureKeys.of(settings)
        self.mailer = mailer or Mailer(store, settings)
        self.announced = 0  # erasure events published to the event broker by this eraser

    # -- the two ways in -----------------------------------------------------------------

    async def erase_applicant(
        self,
        email: str,
        *,
        actor: str,
        reason: str = "request",
        goodbye: Mail | None = None,
    ) -> Erased | None:
        """Everything about the applicant with this address, open applications included (an
        erasure on request); None when the help desk holds no such applicant. `goodbye`, the
        confirmation composed by the caller in the applicant's language, is queued in the same
        transaction and sent; its recipient is forgotten once it is."""
        now = self.clock()
        address = normalise_email(email)
        async with self.store.session() as session, session.begin():
            candidate_id = await session.scalar(
                select(Candidate.id).where(Candidate.email == address).with_for_update()
            )
            if candidate_id is None:
                return None
            ids = list(
                await session.scalars(
                    select(Application.id).where(Application.candidate_id == candidate_id)
                )
            )
            erased = await self._erase(session, ids, [candidate_id], reason, now)
            await tombstone(session, [self.keys.applicant(address)], "applicant", reason, now)
            await self._record(session, erased, actor, reason, now)
            mails = await queue_mail(session, [goodbye]) if goodbye else []
        await self.finish(erased)
        if mails:
            await self.mailer.deliver([mail.id for mail in mails])
        return erased

    async def erase_applications(
        self, ids: Sequence[int], *, actor: str, reason: str = "retention"
    ) -> Erased:
        """These applications (those not erased already, and not being erased by another
        process at this moment), and every applicant left with nothing kept."""
        now = self.clock()
        async with self.store.session() as session, session.begin():
            erased = await self._erase(session, list(ids), [], reason, now)
            if erased.applications:
                await self._record(session, erased, actor, reason, now)
        if erased.kept_applicants:
            # Another purge may have been erasing their other applications at the same time;
            # now that both have committed, whichever looks last finds them with nothing kept.
            async with self.store.session() as session, session.begin():
                left = await self._erase(session, [], [], reason, now, erased.kept_applicants)
                if left.applicants:
                    await self._record(session, left, actor, reason, now)
            erased += left
        await self.finish(erased)
        return erased

    async def finish(self, erased: Erased) -> None:
        """After the commit: what lives outside the ATS database (the SQL tracker store, the
        outbox folder). Run again by the next purge if this process dies first: the tracker
        erasures and announcements stay in the database until done."""
        url = self.settings.servers.tracker_store_url
        if url and erased.conversations:
            trackers = TrackerEvents(url)
            try:
                await trackers.delete(sender for _channel, sender in erased.conversations)
            finally:
                await trackers.close()
        if erased.mail_ids or erased.needles:
            await remove_outbox_files(self.settings.outbox_dir, erased.mail_ids, erased.needles)
        if erased.conversations or erased.references:
            self.announced += await publish_pending(self.store, self.settings)

    # -- the work, in the caller's transaction -------------------------------------------

    async def _erase(
        self,
        session: AsyncSession,
        application_ids: list[int],
        whole: list[int],
        reason: str,
        now: datetime,
        recheck: Sequence[int] = (),
    ) -> Erased:
        """Erase these applications, the applicants in `whole` entirely, and those of `recheck`
        that have no application left."""
        if session.bind.dialect.name == "sqlite":
            # take SQLite's write lock before reading, so that a purge running at the same
            # moment reads what this one erased (PostgreSQL: FOR UPDATE SKIP LOCKED below)
            await session.execute(text("UPDATE erasure_announcements SET id = id WHERE 0 = 1"))
        rows = await self._lock_applications(session, application_ids)
        ids = [row.id for row in rows]
        candidates = sorted({row.candidate_id for row in rows} | set(whole) | set(recheck))
        kept: set[int] = set()
        for chunk in chunks(candidates):
            kept.update(
                await session.scalars(
                    select(Application.candidate_id).where(
                        Application.candidate_id.in_(chunk), Application.id.notin_(ids)
                    )
                )
            )
        kept -= set(whole)
        gone = await self._applicants(session, [c for c in candidates if c not in kept])
        partly = [row for row in rows if row.candidate_id in kept]
        references = [row.reference for row in rows]
        keys = [
            key
            for row in rows
            for key in self.keys.application(
                reference=row.reference,
                ats_system=row.ats_system,
                ats_id=row.ats_id,
                email=row.email,
                vacancy_code=row.code,
            )
        ]
        await tombstone(session, keys, "application", reason, now)
        conversations = await self._conversations(session, gone)
        sender_ids = [sender for _channel, sender in conversations]
        escalations = await self._erase_escalations(session, ids, gone, sender_ids, now)
        mail_ids = await erase_mails(session, gone.emails, escalations)
        await erase_history(session, rows)
        await erase_keys(session, gone, sender_ids, references)
        await erase_mentions(session, partly)
        if reason == "request":
            # the purge deletes all counters by age (they last minutes); a request is now
            await erase_counters(session, gone.emails + sender_ids + references)
        for chunk in chunks(ids):
            await session.execute(
                update(Application)
                .where(Application.id.in_(chunk))
                .values(
                    reference=None,
                    candidate_id=None,
                    ats_id=None,
                    close_reason=None,
                    erased_at=now,
                )
                .execution_options(synchronize_session=False)
            )
        await remove_applicants(session, gone)
        await self._forget_conversations(session, conversations, now)
        erased = Erased(
            applications=len(ids),
            applicants=len(gone.ids),
            escalations=len(escalations),
            conversations=tuple(conversations),
            references=tuple(references),
            mail_ids=tuple(mail_ids),
            needles=tuple(gone.emails + gone.names + references),
            kept_applicants=tuple(sorted(kept)),
        )
        if erased.applications or erased.applicants:
            await self._announce(session, erased, reason, now)
        return erased

    async def _lock_applications(self, session: AsyncSession, ids: list[int]) -> list[Any]:
        rows: list[Any] = []
        for chunk in chunks(ids):
            query = (
                select(
                    Application.id,
                    Application.reference,
                    Application.candidate_id,
                    Application.ats_system,
                    Application.ats_id,
                    Candidate.email,
                    Candidate.name,
                    Vacancy.code,
                )
                .join(Candidate, Candidate.id == Application.candidate_id)
                .join(Vacancy, Vacancy.id == Application.vacancy_id)
                .where(Application.id.in_(chunk), Application.erased_at.is_(None))
                .order_by(Application.id)
                # another purge erasing the same rows right now: theirs, not ours
                .with_for_update(of=Application, skip_locked=True)
            )
            rows.extend((await session.execute(query)).all())
        return rows

    async def _applicants(self, session: AsyncSession, ids: list[int]) -> Applicants:
        found = Applicants([], [], [])
        for chunk in chunks(ids):
            for row in await session.execute(
                select(Candidate.id, Candidate.email, Candidate.name)
                .where(Candidate.id.in_(chunk))
                .with_for_update()
            ):
                found.ids.append(row.id)
                found.emails.append(row.email)
                found.names.append(row.name)
        return found

    async def _conversations(
        self, session: AsyncSession, gone: Applicants
    ) -> list[tuple[str, str]]:
        """Every conversation the applicants had: proven, linked, or asked a code in."""
        found: set[tuple[str, str]] = set()
        for chunk in chunks(gone.ids):
            for query in (
                select(ApplicantConversation.channel, ApplicantConversation.conversation_id).where(
                    ApplicantConversation.candidate_id.in_(chunk)
                ),
                select(LinkedChat.channel, LinkedChat.chat_id).where(
                    LinkedChat.candidate_id.in_(chunk)
                ),
            ):
                found.update((row[0], row[1]) for row in await session.execute(query))
        for chunk in chunks(gone.emails):
            for query in (
                select(ConversationProof.channel, ConversationProof.conversation_id).where(
                    ConversationProof.email.in_(chunk)
                ),
                select(VerificationChallenge.channel, VerificationChallenge.conversation_id).where(
                    VerificationChallenge.email.in_(chunk)
                ),
                select(Escalation.channel, Escalation.conversation_id).where(
                    Escalation.applicant_email.in_(chunk), Escalation.conversation_id.isnot(None)
                ),
            ):
                found.update((row[0] or "", row[1]) for row in await session.execute(query))
        return sorted(found)

    async def _erase_escalations(
        self,
        session: AsyncSession,
        application_ids: list[int],
        gone: Applicants,
        sender_ids: list[str],
        now: datetime,
    ) -> list[int]:
        ids: set[int] = set()
        for column, values in (
            (Escalation.application_id, application_ids),
            (Escalation.applicant_email, gone.emails),
            (Escalation.conversation_id, sender_ids),
        ):
            for chunk in chunks(values):
                ids.update(
                    await session.scalars(
                        select(Escalation.id).where(
                            column.in_(chunk), Escalation.erased_at.is_(None)
                        )
                    )
                )
        await erase_escalations(session, sorted(ids), now)
        return sorted(ids)

    async def _forget_conversations(
        self, session: AsyncSession, conversations: Iterable[tuple[str, str]], now: datetime
    ) -> None:
        """Ask every Rasa server to drop these from its memory and spool (by keyed hash)."""
        await request_tracker_erasures(
            session, [self.keys.conversation(sender) for _c, sender in conversations], now
        )

    async def _announce(
        self, session: AsyncSession, erased: Erased, reason: str, now: datetime
    ) -> None:
        await announce(
            session,
            reason,
            now,
            sender_ids=[sender for _channel, sender in erased.conversations],
            references=list(erased.references),
        )

    async def _record(
        self, session: AsyncSession, erased: Erased, actor: str, reason: str, now: datetime
    ) -> None:
        count_erased(erased, reason)
        session.add(
            AuditEntry(
                at=now,
                actor=actor,
                action="erase" if reason == "request" else "purge",
                subject=None,
                detail=f"{reason}: {erased.describe()}",
            )
        )
