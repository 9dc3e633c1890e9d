"""Desk changes and the ATS: one source of truth.

The ATS is the employer's system of record, and the help desk copies it (imports, the pull
sync, web hooks). A status a recruiter sets in the desk is told to the applicant at once, so a
later copy of the ATS must not silently undo it. Each desk change is kept in `ats_writebacks`:

- where the application's ATS has an API the help desk can write to (its API key is set), the
  change is `pending` until ats/sync/writeback/ has written it (`written`), retried with
  backoff while the ATS fails and kept `failed`, with the reason, when the ATS refuses it;
- without one (file imports), it is `manual`: the desk says the change must also be made in
  the ATS.

While a desk change is open (`OPEN_STATES`), every snapshot of the ATS (an import's row, a
pulled record, a web hook) is weighed against it (`verdict`): one that says the same confirms
it; one that differs is kept out, and shown on the desk and in the import's report, unless the
change was written and the snapshot is newer than the write (the ATS moved on since: it
applies). An acknowledgement or a hold, which an ATS has no status for (the write is a note),
stays while the ATS still says what it said before.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.bulk import CHUNK
from ats.models import Application, AtsWriteback, Status, WritebackState
from ats.reference import parse_reference
from ats.settings import ATS_NAMES, Settings
from ats.store import ATSStore
from ats.store_basics import ApplicationNotFound, utcnow

OPEN_STATES = (
    WritebackState.PENDING.value,
    WritebackState.WRITTEN.value,
    WritebackState.FAILED.value,
    WritebackState.MANUAL.value,
)
# statuses no ATS holds: written back as a note, and kept while the ATS's status stands still
NOTE_ONLY = frozenset({Status.ACKNOWLEDGED.value, Status.ON_HOLD.value})


class Verdict(str, enum.Enum):
    CONFIRM = "confirm"  # the ATS says the same: apply it, the change is settled
    SUPERSEDE = "supersede"  # the ATS moved on after the change was written: apply it
    KEEP = "keep"  # an older or disagreeing snapshot: keep the desk's value, show it
    KEEP_QUIETLY = "keep_quietly"  # the ATS cannot say more than it does: keep, nothing to show


def writes_back(settings: Settings, ats_system: str | None) -> bool:
    """Whether changes to an application of `ats_system` are written through its API."""
    if ats_system not in ATS_NAMES:
        return False
    access = settings.access(ats_system)
    if ats_system == "recruitee":
        return bool(access.api_key and access.company_id)
    return bool(access.api_key)


def _as_the_ats_says(status: str | None) -> str:
    # an ATS has no acknowledged status: an acknowledged application is at its first stage
    return Status.APPLIED.value if status in (None, Status.ACKNOWLEDGED.value) else status


def verdict(change: AtsWriteback, seen_status: str, seen_at: datetime | None) -> Verdict:
    """What a snapshot of the ATS saying `seen_status` (of time `seen_at`, None for a file)
    does to the open desk change `change`."""
    if seen_status == change.status:
        return Verdict.CONFIRM
    if change.status in NOTE_ONLY and _as_the_ats_says(seen_status) == _as_the_ats_says(
        change.from_status
    ):
        return Verdict.KEEP_QUIETLY
    written = change.written_at
    if change.state == WritebackState.WRITTEN.value and seen_at and written and seen_at > written:
        return Verdict.SUPERSEDE
    return Verdict.KEEP


async def open_changes(
    session: AsyncSession, application_ids: Sequence[int]
) -> dict[int, AtsWriteback]:
    """The open desk change of each of these applications that has one (the latest)."""
    wanted = set(application_ids)
    query = select(AtsWriteback).where(AtsWriteback.state.in_(OPEN_STATES))
    if len(wanted) <= CHUNK:
        query = query.where(AtsWriteback.application_id.in_(sorted(wanted)))
    # else a whole export: the open changes (as many as recruiters made lately) are fewer than
    # its rows, so they are read at once rather than looked up per chunk of the export
    found: dict[int, AtsWriteback] = {}
    for row in await session.scalars(query.order_by(AtsWriteback.id)):
        if row.application_id in wanted:
            found[row.application_id] = row  # the latest wins
    return found


async def weigh(
    session: AsyncSession,
    change: AtsWriteback,
    *,
    seen_status: str,
    seen_stage: str | None,
    seen_at: datetime | None,
    source: str,
    now: datetime,
) -> Verdict:
    """Settles or annotates `change` in the snapshot's transaction, and says whether the
    snapshot's status is applied (CONFIRM, SUPERSEDE) or the desk's value kept."""
    decided = verdict(change, seen_status, seen_at)
    values: dict[str, object]
    if decided in (Verdict.CONFIRM, Verdict.SUPERSEDE):
        settled = (
            WritebackState.CONFIRMED if decided is Verdict.CONFIRM else WritebackState.SUPERSEDED
        )
        values = {"state": settled.value, "settled_at": now, "next_attempt_at": None}
    elif decided is Verdict.KEEP:
        values = {
            "seen_status": seen_status,
            "seen_stage": seen_stage,
            "seen_source": source,
            "seen_at": seen_at or now,
        }
    else:
        return decided
    await session.execute(
        update(AtsWriteback)
        .where(AtsWriteback.id == change.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return decided


async def record(
    store: ATSStore,
    reference: str,
    *,
    from_status: str | None,
    status: str,
    stage: str | None,
    actor: str,
    settings: Settings,
    now: datetime | None = None,
) -> int:
    """Keeps a desk change of the application `reference` (made already in the store), to be
    written back or made by hand in the ATS; an open one before it is superseded. Its id."""
    now = now or utcnow()
    async with store.session() as session, session.begin():
        application = (
            await session.execute(
                select(Application.id, Application.ats_system).where(
                    Application.reference == parse_reference(reference, lenient=True)
                )
            )
        ).first()
        if application is None:
            raise ApplicationNotFound(reference)
        await session.execute(
            update(AtsWriteback)
            .where(
                AtsWriteback.application_id == application.id,
                AtsWriteback.state.in_(OPEN_STATES),
            )
            .values(state=WritebackState.SUPERSEDED.value, settled_at=now, next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
        api = writes_back(settings, application.ats_system)
        row = AtsWriteback(
            application_id=application.id,
            ats_system=application.ats_system,
            from_status=from_status,
            status=status,
            stage=stage,
            actor=actor[:200],
            state=(WritebackState.PENDING if api else WritebackState.MANUAL).value,
            attempts=0,
            next_attempt_at=now if api else None,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        return int(row.id)


@dataclass(frozen=True)
class DeskChange:
    """The latest desk change of an application, as the desk shows it."""

    id: int
    ats_system: str | None
    status: str
    stage: str | None
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    written_at: datetime | None
    next_attempt_at: datetime | None
    seen_status: str | None
    seen_stage: str | None
    seen_source: str | None
    seen_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @classmethod
    def of(cls, row: AtsWriteback) -> DeskChange:
        return cls(
            row.id,
            row.ats_system,
            row.status,
            row.stage,
            row.state,
            row.attempts,
            row.last_error,
            row.created_at,
            row.written_at,
            row.next_attempt_at,
            row.seen_status,
            row.seen_stage,
            row.seen_source,
            row.seen_at,
        )


async def latest(store: ATSStore, reference: str) -> DeskChange | None:
    """The latest desk change of the application `reference`, or None."""
    async with store.session() as session:
        row = await session.scalar(
            select(AtsWriteback)
            .join(Application, AtsWriteback.application_id == Application.id)
            .where(Application.reference == parse_reference(reference, lenient=True))
            .order_by(AtsWriteback.id.desc())
            .limit(1)
        )
        return DeskChange.of(row) if row is not None else None


async def keeps_desk_change(
    store: ATSStore,
    reference: str,
    *,
    seen_status: str,
    seen_stage: str | None,
    seen_at: datetime | None,
    source: str,
) -> bool:
    """For an ATS event that says only a new status (no whole record): True when an open desk
    change keeps it from being applied (it is then shown on the desk)."""
    async with store.session() as session, session.begin():
        application_id = await session.scalar(
            select(Application.id).where(Application.reference == reference)
        )
        if application_id is None:
            return False
        change = (await open_changes(session, [application_id])).get(application_id)
        if change is None:
            return False
        decided = await weigh(
            session,
            change,
            seen_status=seen_status,
            seen_stage=seen_stage,
            seen_at=seen_at,
            source=source,
            now=utcnow(),
        )
        return decided not in (Verdict.CONFIRM, Verdict.SUPERSEDE)
