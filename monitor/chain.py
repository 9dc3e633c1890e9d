"""The escalation chain: an escalation nobody took by its respond-by time goes to someone new.

The levels say who has it:
1. the recruiter it was escalated to (the vacancy's, or whoever it was reassigned to);
2. a second person: the vacancy's backup recruiter when that is someone else, otherwise the
   team lead (HELPDESK_TEAM_LEAD_EMAIL) when that is someone else;
3. the desk's admins: when nobody took it at the second level either, or when there is no
   second person who is not the one who let it lapse. It is then with one admin, and the
   other admins get a copy (`escalation_copies`), so that each admin is told once.

Each raise gives a new respond-by time, a place in the digest of whoever is told
(monitor/digest.py), a line in the audit log, and a fresh notice to the applicant (the late
notice's path, monitor/notices.py) that a person is on it by then: no name, since nobody has
taken it yet. An escalation nobody new can take (no admins besides its holder) stays where it
is, overdue in the desk, rather than being told again to the person who let it lapse.

Raised once per level, whatever runs at once: the lapsed rows are locked on PostgreSQL (FOR
UPDATE in id order, waiting for a sweeper that holds one: monitor/claims.py), and each is
raised by an UPDATE that only matches it at the level it was read at, in the transaction that
adds its copies and audit line (on SQLite, a second sweeper
that read the same row waits for the first to commit, and its UPDATE then matches nothing).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update

from ats.calendar import add_working_hours
from ats.db import dialect_insert
from ats.models import (
    Application,
    AuditEntry,
    DeskAccount,
    Escalation,
    EscalationCopy,
    EscalationState,
    Recruiter,
    Vacancy,
)
from ats.store_basics import normalise_email
from monitor.claims import BATCH, SweeperBase

logger = logging.getLogger(__name__)

FIRST, SECOND, ADMINS = 1, 2, 3
# who raised it, in the audit log; the actions' words are desk.audit_actions
MONITOR = "deadline monitor"
AUDIT_ACTIONS = {SECOND: "raise_second_level", ADMINS: "raise_to_admins"}


@dataclass(frozen=True)
class NextLevel:
    """Where a lapsed escalation goes: its level, who has it, and who gets a copy."""

    level: int
    recruiter_id: int
    copies: tuple[int, ...] = ()


def next_level(
    level: int, holder: int, backup: int | None, team_lead: int | None, admins: list[int]
) -> NextLevel | None:
    """The next level for an escalation at `level` with `holder` that nobody took in time;
    None when there is nobody new to give it to."""
    if level == FIRST:
        for second in (backup, team_lead):
            if second is not None and second != holder:
                return NextLevel(SECOND, second)
    others = [admin for admin in admins if admin != holder]
    if level >= ADMINS or not others:
        return None
    return NextLevel(ADMINS, others[0], tuple(others[1:]))


class EscalationChain(SweeperBase):
    """The sweep's step that raises lapsed escalations (see the module)."""

    async def raise_unanswered(self, now: datetime) -> int:
        settings = self.settings
        respond_by = add_working_hours(
            now, settings.escalation_response_hours, settings.timezone, settings.holiday_country
        )
        backup = (
            select(Vacancy.backup_recruiter_id)
            .join(Application, Application.vacancy_id == Vacancy.id)
            .where(Application.id == Escalation.application_id)
            .scalar_subquery()
        )
        team_lead: int | None = None
        admins: list[int] | None = None
        raised, stuck, after = 0, 0, 0
        while True:
            async with self.store.session() as session, session.begin():
                lapsed = (
                    select(Escalation.id, Escalation.level, Escalation.recruiter_id, backup)
                    .where(
                        Escalation.state == EscalationState.OPEN.value,
                        Escalation.level < ADMINS,
                        Escalation.respond_by < now,
                        Escalation.application_id.isnot(None),
                        Escalation.id > after,  # past the ones nobody new can take
                    )
                    .order_by(Escalation.id)
                    .limit(BATCH)
                )
                if self._postgres:
                    lapsed = lapsed.with_for_update(of=Escalation)
                rows = (await session.execute(lapsed)).all()
                if not rows:
                    break
                after = rows[-1][0]
                if admins is None:  # read once, and only when something lapsed
                    team_lead = await self._team_lead(session)
                    admins = await self._admins(session)
                for escalation_id, level, holder, backup_id in rows:
                    step = next_level(level, holder, backup_id, team_lead, admins)
                    if step is None:
                        stuck += 1
                        continue
                    if await self._raise(session, escalation_id, level, step, respond_by, now):
                        raised += 1
        if stuck:
            logger.warning(
                "%d overdue escalation(s) have nobody new to go to: set HELPDESK_TEAM_LEAD_EMAIL "
                "or make a desk admin (helpdesk desk add-recruiter EMAIL --admin)",
                stuck,
            )
        return raised

    async def _raise(
        self,
        session,
        escalation_id: int,
        level: int,
        step: NextLevel,
        respond_by: datetime,
        now: datetime,
    ) -> bool:
        """Raise one escalation, if it is still open at `level` and late (another sweeper, or
        a recruiter claiming it, may have come first); with its copies and its audit line."""
        result = await session.execute(
            update(Escalation)
            .where(
                Escalation.id == escalation_id,
                Escalation.level == level,
                Escalation.state == EscalationState.OPEN.value,
                Escalation.respond_by < now,
            )
            .values(
                level=step.level,
                recruiter_id=step.recruiter_id,
                respond_by=respond_by,
                # in the new holder's digest, and the applicant is told again (the notices)
                raised_by_sweep=True,
                digest_mail_id=None,
                applicant_notified_at=None,
                notice_claimed_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:
            return False
        if step.copies:
            await session.execute(
                insert(EscalationCopy),
                [
                    {"escalation_id": escalation_id, "recruiter_id": admin, "created_at": now}
                    for admin in step.copies
                ],
            )
        told = (step.recruiter_id, *step.copies)
        names = await session.scalars(
            select(Recruiter.name).where(Recruiter.id.in_(told)).order_by(Recruiter.name)
        )
        session.add(
            AuditEntry(
                at=now,
                actor=MONITOR,
                action=AUDIT_ACTIONS[step.level],
                subject=f"escalation {escalation_id}",
                # colleagues' names (no applicant's data): who was told
                detail=", ".join(names),
            )
        )
        return True

    async def _team_lead(self, session) -> int | None:
        """The team lead's recruiter id (added as a recruiter when new), None when unset."""
        email = self.settings.team_lead_email
        if not email:
            return None
        address = normalise_email(email)
        name = self.settings.team_lead_name or address
        await session.execute(
            dialect_insert(self.store.engine)(Recruiter)
            .values(email=address, name=name)
            .on_conflict_do_nothing(index_elements=["email"])
        )
        return await session.scalar(select(Recruiter.id).where(Recruiter.email == address))

    async def _admins(self, session) -> list[int]:
        """The recruiter ids of the desk's admins, in the order they were added."""
        return list(
            await session.scalars(
                select(DeskAccount.recruiter_id)
                .where(DeskAccount.is_admin.is_(True))
                .order_by(DeskAccount.id)
            )
        )
