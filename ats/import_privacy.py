"""What an import does about applicants' personal data: their consent as the ATS records it,
and the erasure tombstones that keep erased applicants from coming back.

A new row whose own application key (ImportRow.key) or applicant address matches a tombstone
(ats/privacy/keys.py) is left out when the ATS has it closed, and imported when the ATS still
holds it as active: the ATS is the employer's system of record. An applicant who asked to be
erased is then marked (`erasure_requested_at`) so the desk can say why they are back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.bulk import chunks
from ats.import_report import ImportSummary
from ats.models import CLOSED_STATUSES, Application, Candidate, ErasureTombstone
from ats.privacy.keys import ErasureKeys
from ats.rows import ImportRow
from ats.settings import Settings

# How the ATSs the help desk syncs with are written, for the consent's wording.
ATS_NAMES = {
    "greenhouse": "Greenhouse",
    "lever": "Lever",
    "recruitee": "Recruitee",
    "workable": "Workable",
}


def ats_consent_wording(ats_system: str | None) -> str:
    """What a consent recorded from the ATS says: where it was given and where its words are."""
    where = f" ({ATS_NAMES.get(ats_system, ats_system)})" if ats_system else ""
    return (
        "Consent to keep the application data for the longer retention period was recorded in "
        f"the employer's applicant tracking system{where} and read from it on import; the words "
        "the applicant agreed to are kept there."
    )


def _erasure_hashes(
    keys: ErasureKeys, rows: Sequence[ImportRow]
) -> tuple[dict[int, str], dict[str, str]]:
    """Each row's own application key (ImportRow.key) as the hash a tombstone holds, by line;
    and each applicant's address as one, by email."""
    own: dict[int, str] = {}
    for row in rows:
        kind = row.key[0]
        [own[row.line]] = keys.application(
            reference=row.reference if kind == "reference" else None,
            ats_system=row.ats_system if kind == "ats" else None,
            ats_id=row.ats_id if kind == "ats" else None,
            email=row.candidate_email if kind == "candidate_vacancy" else None,
            vacancy_code=row.vacancy_code if kind == "candidate_vacancy" else None,
        )
    people = {email: keys.applicant(email) for email in {row.candidate_email for row in rows}}
    return own, people


class ImportPrivacy:
    """The personal-data half of an import run, in the transaction of `session`."""

    session: AsyncSession
    settings: Settings
    now: datetime
    changed_people: set[str]

    # -- erased applicants ----------------------------------------------------------------

    async def _leave_out_erased(
        self, rows: Sequence[ImportRow], existing: dict[int, Application], summary: ImportSummary
    ) -> tuple[Sequence[ImportRow], dict[str, datetime]]:
        """The rows to import, and the applicants erased on request who come back with an
        active application (email -> when they were erased)."""
        new = [row for row in rows if row.line not in existing]
        if not new or not await self._any_tombstones():
            return rows, {}
        # HMACs of a million rows take seconds: off the event loop
        own, people = await asyncio.to_thread(_erasure_hashes, ErasureKeys.of(self.settings), new)
        found = await self._tombstones(sorted(set(own.values()) | set(people.values())))
        if not found:
            return rows, {}
        kept: list[ImportRow] = []
        returning: dict[str, datetime] = {}
        for row in rows:
            person = found.get(people[row.candidate_email]) if row.line in own else None
            application = found.get(own[row.line]) if row.line in own else None
            if person is None and application is None:
                kept.append(row)
            elif row.status in CLOSED_STATUSES:
                summary.erased_skipped += 1  # closed in the ATS too: stays erased
            else:
                kept.append(row)  # the ATS holds it as active: the employer's record wins
                if person is not None:
                    summary.erasure_requested += 1
                    erased_at = person[1]
                    earlier = returning.get(row.candidate_email, erased_at)
                    returning[row.candidate_email] = min(earlier, erased_at)
        return kept, returning

    async def _any_tombstones(self) -> bool:
        """Whether anyone was ever erased: spares a fresh help desk's imports the hashing."""
        query = select(ErasureTombstone.key_hash).limit(1)
        return (await self.session.execute(query)).first() is not None

    async def _tombstones(self, hashes: Sequence[str]) -> dict[str, tuple[str, datetime]]:
        """key hash -> (scope, erased at) of the tombstones among `hashes`."""
        found: dict[str, tuple[str, datetime]] = {}
        if self.session.bind.dialect.name == "postgresql":
            # one array parameter per 50,000: a million rows' keys in a few dozen round trips
            connection = await self.session.connection()
            driver = (await connection.get_raw_connection()).driver_connection
            for start in range(0, len(hashes), 50000):
                records = await driver.fetch(
                    "SELECT key_hash, scope, erased_at FROM erasure_tombstones "
                    "WHERE key_hash = ANY($1::text[])",
                    list(hashes[start : start + 50000]),
                )
                found.update({r[0]: (r[1], r[2]) for r in records})
            return found
        for chunk in chunks(hashes):
            result = await self.session.execute(
                select(
                    ErasureTombstone.key_hash, ErasureTombstone.scope, ErasureTombstone.erased_at
                ).where(ErasureTombstone.key_hash.in_(chunk))
            )
            found.update({key: (scope, at) for key, scope, at in result})
        return found

    async def _record_consent(self, rows: Sequence[ImportRow], candidates: dict[str, int]) -> None:
        """Consent as the ATS records it. A yes records consent where none is recorded yet (on
        the date the ATS gives, else now); a no withdraws only a consent recorded from the ATS:
        one the applicant gave in the conversation is theirs to withdraw. Consent is a person's,
        not an application's: one row's yes outweighs another row's no."""
        given: dict[str, tuple[datetime, str | None]] = {}
        refused: set[str] = set()
        for row in rows:
            if row.consent is True:
                at = row.consent_given_at or self.now
                earlier = given.get(row.candidate_email)
                if earlier is None or at < earlier[0]:
                    given[row.candidate_email] = (at, row.ats_system)
            elif row.consent is False:
                refused.add(row.candidate_email)
        refused -= given.keys()
        emails = {candidates[email]: email for email in given.keys() | refused}
        grants: list[dict[str, Any]] = []
        withdrawals: list[dict[str, Any]] = []
        for chunk in chunks(list(emails)):
            result = await self.session.execute(
                select(Candidate.id, Candidate.consent_given_at, Candidate.consent_source).where(
                    Candidate.id.in_(chunk)
                )
            )
            for stored in result:
                email = emails[stored.id]
                if email in given and stored.consent_given_at is None:
                    at, ats_system = given[email]
                    wording = ats_consent_wording(ats_system)
                    grants.append({"_id": stored.id, "new_at": at, "new_wording": wording})
                elif email in refused and stored.consent_source == "ats":
                    withdrawals.append({"_id": stored.id})
                else:
                    continue
                self.changed_people.add(email)
        by_id = Candidate.id == bindparam("_id")
        if grants:
            await self.session.execute(
                update(Candidate)
                .where(by_id)
                .values(
                    consent_given_at=bindparam("new_at"),
                    consent_source="ats",
                    consent_wording=bindparam("new_wording"),
                ),
                grants,
            )
        if withdrawals:
            await self.session.execute(
                update(Candidate)
                .where(by_id)
                .values(consent_given_at=None, consent_source=None, consent_wording=None),
                withdrawals,
            )

    async def _mark_erasure_requested(
        self, returning: dict[str, datetime], candidates: dict[str, int]
    ) -> None:
        """Applicants erased on request whom the ATS still holds as active: the desk says so."""
        marks = [
            {"_id": candidates[email], "new_at": at}
            for email, at in returning.items()
            if email in candidates
        ]
        if marks:
            await self.session.execute(
                update(Candidate)
                .where(Candidate.id == bindparam("_id"), Candidate.erasure_requested_at.is_(None))
                .values(erasure_requested_at=bindparam("new_at")),
                marks,
            )
