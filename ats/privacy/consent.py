"""The applicant's consent to keep their data for the longer period
(HELPDESK_CONSENT_RETENTION_MONTHS instead of HELPDESK_RETENTION_WEEKS after the procedure):
when it was given, where (the ATS, or the conversation) and the exact words agreed to, so the
employer can show what was consented to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from ats.models import Candidate
from ats.store import ATSStore
from ats.store_basics import normalise_email

SOURCES = ("ats", "conversation")


@dataclass(frozen=True)
class Consent:
    given_at: datetime
    source: str
    wording: str


async def consent_of(store: ATSStore, email: str) -> Consent | None:
    """The consent recorded for the applicant with this address, if any."""
    async with store.session() as session:
        row = (
            await session.execute(
                select(
                    Candidate.consent_given_at, Candidate.consent_source, Candidate.consent_wording
                ).where(Candidate.email == normalise_email(email))
            )
        ).first()
    if row is None or row.consent_given_at is None:
        return None
    return Consent(row.consent_given_at, row.consent_source or "", row.consent_wording or "")


async def record_consent(
    store: ATSStore, email: str, *, source: str, wording: str, at: datetime
) -> bool:
    """Record consent for the applicant with this address; False when there is none."""
    if source not in SOURCES:
        raise ValueError(f"consent comes from one of {SOURCES}, not {source!r}")
    async with store.session() as session, session.begin():
        result = await session.execute(
            update(Candidate)
            .where(Candidate.email == normalise_email(email))
            .values(consent_given_at=at, consent_source=source, consent_wording=wording)
        )
        return bool(result.rowcount)


async def withdraw_consent(store: ATSStore, email: str) -> bool:
    """Withdraw it: the shorter period applies from now on. False when none was recorded."""
    async with store.session() as session, session.begin():
        result = await session.execute(
            update(Candidate)
            .where(
                Candidate.email == normalise_email(email), Candidate.consent_given_at.isnot(None)
            )
            .values(consent_given_at=None, consent_source=None, consent_wording=None)
        )
        return bool(result.rowcount)
