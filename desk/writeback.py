"""The desk's side of one source of truth with the ATS (ats/desk_changes.py): a status set in
the desk is kept (before the store makes it) and sent to the ATS at once, in the background
(ats/sync/writeback/send.py; the deadline monitor's sweep sends it again while the ATS fails),
and the escalation's page says where it stands: being written, written, waiting for the ATS
(why, and when it is tried again), refused (why), to be made in the ATS by hand (file
imports), and any later copy of the ATS that said otherwise and was not applied."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from ats import desk_changes
from ats.desk_changes import NOTE_ONLY, DeskChange
from ats.models import Status, WritebackState
from ats.records import ApplicationRecord
from ats.settings import Settings
from ats.store import ATSStore
from ats.sync.writeback.send import send
from speech.catalogue import catalogue, say
from speech.dates import day_and_time

logger = logging.getLogger(__name__)

ATS_NAMES = {
    "greenhouse": "Greenhouse",
    "lever": "Lever",
    "recruitee": "Recruitee",
    "workable": "Workable",
}
_sending: set[asyncio.Task[None]] = set()


async def record_desk_change(
    store: ATSStore,
    settings: Settings,
    before: ApplicationRecord,
    status: Status,
    *,
    stage: str | None,
    actor: str,
) -> int | None:
    """Keeps a change the desk is about to make (None when it changes nothing), before the
    store makes it: an import running meanwhile then cannot undo it; `stage` is the stage the
    recruiter named, if any."""
    if status == before.status and (stage is None or stage == before.stage):
        return None
    return await desk_changes.record(
        store,
        before.reference,
        from_status=before.status.value,
        status=status.value,
        stage=stage,
        actor=actor,
        settings=settings,
    )


def send_soon(
    store: ATSStore, settings: Settings, change_id: int | None, ats_system: str | None
) -> None:
    """Sends the change to the ATS in the background, where the help desk writes to it."""
    if change_id is not None and desk_changes.writes_back(settings, ats_system):
        task = asyncio.create_task(_send(store, settings, change_id))
        _sending.add(task)
        task.add_done_callback(_sending.discard)


async def _send(store: ATSStore, settings: Settings, change_id: int) -> None:
    try:
        await send(store, settings, change_id)
    except Exception:  # the sweep tries again: the change stays pending
        logger.exception("writing desk change %s to the ATS failed", change_id)


async def settle() -> None:
    """Waits for the writes still running (tests, shutdown)."""
    while _sending:
        await asyncio.gather(*_sending, return_exceptions=True)


def described(change: DeskChange | None, language: str, tz: ZoneInfo) -> list[str]:
    """What the escalation's page says about the application's latest desk change."""
    if change is None or change.state == WritebackState.SUPERSEDED.value:
        return []
    if change.state == WritebackState.MANUAL.value and change.status in NOTE_ONLY:
        return []  # no ATS holds an acknowledgement or a hold: nothing to make there
    ats = ATS_NAMES.get(change.ats_system or "") or say("desk.writeback_the_ats", language)

    def when(moment: datetime | None) -> str:
        return day_and_time(moment, language, tz) if moment else ""

    def status(key: str) -> str:
        return catalogue().name_of("desk.status_names", Status(key).value, language)

    lines: list[str] = []
    state = change.state
    if state == WritebackState.PENDING.value and change.last_error:
        lines.append(
            say(
                "desk.writeback_waiting",
                language,
                ats=ats,
                reason=change.last_error,
                attempts=str(change.attempts),
                next=when(change.next_attempt_at),
            )
        )
    elif state == WritebackState.PENDING.value:
        lines.append(say("desk.writeback_pending", language, ats=ats))
    elif state == WritebackState.WRITTEN.value:
        lines.append(say("desk.writeback_written", language, ats=ats, when=when(change.written_at)))
    elif state == WritebackState.FAILED.value:
        lines.append(
            say("desk.writeback_failed", language, ats=ats, reason=change.last_error or "")
        )
    elif state == WritebackState.MANUAL.value:
        lines.append(say("desk.writeback_manual", language))
    elif state == WritebackState.CONFIRMED.value:
        lines.append(say("desk.writeback_confirmed", language, ats=ats))
    if change.is_open and change.seen_status:
        source = (
            say("desk.writeback_an_import", language)
            if change.seen_source == "import"
            else ATS_NAMES.get(change.seen_source or "", change.seen_source or "")
        )
        lines.append(
            say(
                "desk.writeback_disagrees",
                language,
                source=source,
                status=status(change.seen_status),
                when=when(change.seen_at),
                desk_status=status(change.status),
            )
        )
    # "the ATS" may open a sentence
    return [line[:1].upper() + line[1:] for line in lines]
