"""Applying an ATS event to the store: once, in order, with the ATS as its source.

An ATS redelivers events and several servers may receive the same one, so each event id (for a
web hook, the name replay.py gives the signed bytes) is handled once (`ats_webhook_events`).
Events can also arrive out of order; each application keeps the time of the newest event
applied (`applications.ats_event_at`), and an event that is not newer than that is stale and
ignored: an older one that arrives late, and one of the same time, which is the same snapshot
again (or a replay of it) and must not undo what changed since in the help desk. An event
claims its time in one conditional UPDATE before it changes anything, so of several servers
applying events of the same time to one application, one does. The change itself goes through
the importer's upsert (by the ATS's own application id), so a webhook and an import agree on
what a snapshot means.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from ats.desk_changes import keeps_desk_change
from ats.importer import import_rows
from ats.models import Application, AtsWebhookEvent, Status
from ats.rows import ImportRow
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow


class Outcome(str, enum.Enum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # this event id was handled before
    STALE = "stale"  # an event newer than this one has been applied already
    IGNORED = "ignored"  # an event the help desk has no use for
    # a change to an application the help desk does not hold yet (import or sync it first)
    UNKNOWN_APPLICATION = "unknown_application"


class UnusablePayload(ValueError):
    """A correctly signed body that does not describe an application the help desk can keep."""


class Unconfirmed(Exception):
    """The ATS could not be asked what a delivery only hints at (its API is not configured or
    cannot be reached): nothing is changed, and the ATS should deliver again."""


@dataclass(frozen=True)
class StatusChange:
    """What an ATS that sends ids rather than whole applications says changed."""

    ats_id: str
    status: Status
    stage: str | None = None
    close_reason: str | None = None


@dataclass(frozen=True)
class AtsEvent:
    """One event from an ATS, and when it happened: the whole application as it stands after
    it (`row`), or only its new status (`change`), or neither when it is of no concern."""

    source: str  # "greenhouse", ...
    event_id: str
    occurred_at: datetime
    row: ImportRow | None = None
    change: StatusChange | None = None


async def already_handled(store: ATSStore, source: str, event_id: str) -> bool:
    async with store.session() as session:
        found = await session.get(AtsWebhookEvent, (source, event_id))
        return found is not None


async def holds(store: ATSStore, source: str, ats_id: str) -> bool:
    """Whether the help desk holds the application the ATS keys by `ats_id`."""
    key = (Application.ats_system == source) & (Application.ats_id == ats_id)
    async with store.session() as session:
        return await session.scalar(select(Application.id).where(key)) is not None


async def apply_event(store: ATSStore, settings: Settings, event: AtsEvent) -> Outcome:
    if await already_handled(store, event.source, event.event_id):
        return Outcome.DUPLICATE
    outcome = Outcome.IGNORED
    if event.row is not None:
        outcome = await _apply(store, settings, event, event.row)
    elif event.change is not None:
        outcome = await _apply_change(store, event, event.change)
    if outcome is Outcome.UNKNOWN_APPLICATION:
        return outcome  # not marked handled: a redelivery after an import can still apply it
    async with store.session() as session:
        try:
            async with session.begin():
                session.add(
                    AtsWebhookEvent(
                        source=event.source, event_id=event.event_id, received_at=utcnow()
                    )
                )
        except IntegrityError:
            # another server handled the same delivery at the same moment: its time claim let
            # only one of them change the application
            return Outcome.DUPLICATE
    return outcome


async def _newest(store: ATSStore, key: ColumnElement[bool]) -> tuple[bool, datetime | None]:
    """Whether the application is held, and the time of the newest event applied to it."""
    async with store.session() as session:
        found = (await session.execute(select(Application.ats_event_at).where(key))).first()
    return (False, None) if found is None else (True, found[0])


async def _claim(store: ATSStore, key: ColumnElement[bool], at: datetime) -> bool:
    """Makes `at` the application's newest event time when it is newer than the one it has, in
    one statement: True when this event may change the application, False when it is stale."""
    newer = or_(Application.ats_event_at.is_(None), Application.ats_event_at < at)
    async with store.session() as session, session.begin():
        result = await session.execute(
            update(Application)
            .where(key, newer)
            .values(ats_event_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount > 0)


async def _unclaim(
    store: ATSStore, key: ColumnElement[bool], at: datetime, before: datetime | None
) -> None:
    """Gives back a claimed time when the change failed, so that a redelivery can apply it."""
    async with store.session() as session, session.begin():
        await session.execute(
            update(Application)
            .where(key, Application.ats_event_at == at)
            .values(ats_event_at=before)
            .execution_options(synchronize_session=False)
        )


async def _apply(store: ATSStore, settings: Settings, event: AtsEvent, row: ImportRow) -> Outcome:
    key = (Application.ats_system == row.ats_system) & (Application.ats_id == row.ats_id)
    held, before = await _newest(store, key)
    if held and not await _claim(store, key, event.occurred_at):
        return Outcome.STALE
    try:
        summary = await import_rows(
            store,
            [row],
            settings,
            actor=f"{event.source} webhook",
            now=event.occurred_at,
            source=event.source,
            row_times={row.ats_id: event.occurred_at} if row.ats_id else None,
        )
    except BaseException:
        if held:
            await _unclaim(store, key, event.occurred_at, before)
        raise
    if summary.erased_skipped:
        return Outcome.IGNORED  # a closed application of an erased applicant: stays erased
    if not held:
        await _claim(store, key, event.occurred_at)  # created now: its first event time
    return Outcome.APPLIED


async def _apply_change(store: ATSStore, event: AtsEvent, change: StatusChange) -> Outcome:
    key = (Application.ats_system == event.source) & (Application.ats_id == change.ats_id)
    async with store.session() as session:
        found = (
            await session.execute(
                select(Application.reference, Application.ats_event_at).where(key)
            )
        ).first()
    if found is None:
        return Outcome.UNKNOWN_APPLICATION
    reference, before = found
    if not await _claim(store, key, event.occurred_at):
        return Outcome.STALE
    kept = await keeps_desk_change(
        store,
        reference,
        seen_status=change.status.value,
        seen_stage=change.stage,
        seen_at=event.occurred_at,
        source=event.source,
    )
    if kept:
        return Outcome.APPLIED  # handled: the desk's change stands, and the desk shows this
    try:
        await store.record_status_change(
            reference,
            change.status,
            actor=f"{event.source} webhook",
            source=event.source,
            stage=change.stage,
            close_reason=change.close_reason,
            at=event.occurred_at,
        )
    except BaseException:
        await _unclaim(store, key, event.occurred_at, before)
        raise
    return Outcome.APPLIED
