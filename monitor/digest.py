"""The recruiters' digest: one mail per recruiter listing the escalations a sweep raised for
them (or raised to them when nobody took them in time: monitor/chain.py), in English; and one
per admin listing the escalations raised to the admins that are with another admin (copies).

Each escalation is marked with its digest (`digest_mail_id`), and each copy with its mail, in
the transaction that queues the mail, so a sweep killed half-way leaves the rest for the next
one, and none is listed twice.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update

from ats.models import Application, Candidate, Escalation, EscalationCopy, Recruiter, Vacancy
from ats.outbox import queue_mail
from ats.records import Mail
from monitor.claims import SweeperBase
from speech.catalogue import catalogue, say
from speech.dates import day_and_time

DIGEST_LIMIT = 5000  # escalations listed in one digest mail


class RecruiterDigests(SweeperBase):
    """The sweep's step that writes to recruiters: their digests."""

    async def send_digests(self) -> int:
        """One mail per recruiter with everything this sweep (or an interrupted one) raised."""
        async with self.store.session() as session:
            recruiters = list(
                await session.scalars(
                    select(Escalation.recruiter_id)
                    .where(
                        Escalation.raised_by_sweep.is_(True), Escalation.digest_mail_id.is_(None)
                    )
                    .distinct()
                )
            )
        sent = 0
        for recruiter_id in recruiters:
            mine = -1 - secrets.randbelow(2**31 - 2)  # a claim: negative, never a mail's id
            async with self.store.session() as session, session.begin():
                await self._claim(
                    session,
                    {"digest_mail_id": mine},
                    Escalation.digest_mail_id.is_(None),
                    Escalation.recruiter_id == recruiter_id,
                    limit=DIGEST_LIMIT,
                )
                rows = (await session.execute(self._rows(Escalation.digest_mail_id == mine))).all()
                if not rows:
                    continue  # another sweeper took them
                [digest] = await queue_mail(session, [self._digest(rows)])
                await session.execute(
                    update(Escalation)
                    .where(Escalation.digest_mail_id == mine)
                    .values(digest_mail_id=digest.id)
                    .execution_options(synchronize_session=False)
                )
                sent += 1
        return sent

    async def send_copies(self) -> int:
        """One mail per admin with the escalations raised to the admins that another admin
        has (each admin is told of each once: monitor/chain.py)."""
        async with self.store.session() as session:
            admins = list(
                await session.scalars(
                    select(EscalationCopy.recruiter_id)
                    .where(EscalationCopy.mail_id.is_(None))
                    .distinct()
                )
            )
        sent = 0
        for admin in admins:
            mine = -1 - secrets.randbelow(2**31 - 2)  # a claim, as in send_digests
            async with self.store.session() as session, session.begin():
                waiting = (
                    select(EscalationCopy.id)
                    .where(EscalationCopy.mail_id.is_(None), EscalationCopy.recruiter_id == admin)
                    .order_by(EscalationCopy.id)
                    .limit(DIGEST_LIMIT)
                )
                if self._postgres:  # in id order, as every claim (monitor/claims.py)
                    waiting = waiting.with_for_update()
                await session.execute(
                    update(EscalationCopy)
                    .where(EscalationCopy.id.in_(waiting.scalar_subquery()))
                    .values(mail_id=mine)
                    .execution_options(synchronize_session=False)
                )
                rows = (
                    await session.execute(
                        select(Escalation, Application, Candidate, Vacancy, Recruiter)
                        .join(EscalationCopy, EscalationCopy.escalation_id == Escalation.id)
                        .join(Application, Application.id == Escalation.application_id)
                        .join(Candidate, Candidate.id == Application.candidate_id)
                        .join(Vacancy, Vacancy.id == Application.vacancy_id)
                        .join(Recruiter, Recruiter.id == EscalationCopy.recruiter_id)
                        .where(EscalationCopy.mail_id == mine)
                        .order_by(Escalation.id)
                    )
                ).all()
                if not rows:
                    continue  # another sweeper took them
                [digest] = await queue_mail(session, [self._digest(rows)])
                await session.execute(
                    update(EscalationCopy)
                    .where(EscalationCopy.mail_id == mine)
                    .values(mail_id=digest.id)
                    .execution_options(synchronize_session=False)
                )
                sent += 1
        return sent

    def _digest(self, rows) -> Mail:
        """The recruiter's digest, in English (notices.digest in the catalogue)."""
        tz, language = self.settings.timezone, "en"
        recruiter = rows[0][4]

        def reason(escalation: Escalation) -> str:
            name = catalogue().name_of("notices.digest.reason_names", escalation.reason, language)
            if escalation.level > 2:
                name += say("notices.digest.third_level", language)
            elif escalation.level > 1:
                name += say("notices.digest.second_level", language)
            return name

        lines = [
            say(
                "notices.digest.line",
                language,
                reference=application.reference,
                name=candidate.name,
                vacancy=vacancy.title,
                reason=reason(escalation),
                respond_by=day_and_time(escalation.respond_by, language, tz),
            )
            for escalation, application, candidate, vacancy, _ in rows
        ]
        body = say(
            "notices.digest.body",
            language,
            name=recruiter.name.split()[0],
            count=len(rows),
            lines="\n".join(lines),
        )
        subject = say("notices.digest.subject", language, count=len(rows))
        return Mail(recruiter.email, subject, body, "sweep_digest")
