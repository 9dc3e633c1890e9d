"""The recruiters' digest: one mail per recruiter listing the escalations a sweep raised for
them (or raised to them at the second level), in English.

Each escalation is marked with its digest (`digest_mail_id`) in the transaction that queues
the mail, so a sweep killed half-way leaves the rest for the next one, and none is listed twice.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select, update

from ats.models import Escalation
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

    def _digest(self, rows) -> Mail:
        """The recruiter's digest, in English (notices.digest in the catalogue)."""
        tz, language = self.settings.timezone, "en"
        recruiter = rows[0][4]

        def reason(escalation: Escalation) -> str:
            name = catalogue().name_of("notices.digest.reason_names", escalation.reason, language)
            if escalation.level > 1:
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
