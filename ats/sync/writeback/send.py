"""Sending desk changes to the ATS: the outbox of the write-back (`ats_writebacks`).

The desk sends a change at once (`send`, in the background); the deadline monitor's sweep sends
whatever is due (`send_due`): changes the desk could not send, tried again with a growing pause
(a minute, doubling, at most an hour) until the ATS takes them, so none is lost while the ATS
is down. A change is claimed before it is sent (its next attempt moved a few minutes on, in a
conditional UPDATE), so that two sweepers, or the desk and a sweeper, do not send it twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import aiohttp
from sqlalchemy import select, update

from ats.models import Application, AtsWriteback, Vacancy, WritebackState
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow
from ats.sync.mapping import load_mapping
from ats.sync.writeback import greenhouse, lever, recruitee, workable
from ats.sync.writeback.api import Api, Change, Refused, Unavailable

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)  # longer than one change's calls with their retries take
LONGEST_WAIT = timedelta(hours=1)
TIMEOUT_SECONDS = 30
BATCH = 50
PENDING = WritebackState.PENDING.value


@dataclass
class SendReport:
    written: int = 0
    waiting: int = 0  # the ATS could not take them now: tried again later
    failed: int = 0  # refused for good: the desk shows why


@dataclass(frozen=True)
class _Job:
    id: int
    ats_system: str
    ats_id: str | None
    vacancy_code: str
    from_status: str | None
    status: str
    stage: str | None
    actor: str
    created_at: datetime
    attempts: int


def note_of(job: _Job) -> str:
    """The note the ATS keeps with the change: who made it in the help desk, and when."""
    what = job.status.replace("_", " ") + (f" ({job.stage})" if job.stage else "")
    return (
        f"Set to {what} in the candidate help desk by {job.actor} on "
        f"{job.created_at:%Y-%m-%d %H:%M} UTC; the applicant has been told."
    )


async def send_due(
    store: ATSStore, settings: Settings, *, now: datetime | None = None, pause: float = 1.0
) -> SendReport:
    """Sends the changes due now, a batch at a time, until none is left."""
    report = SendReport()
    now = now or utcnow()
    while jobs := await _claim(store, now, None):
        for job in jobs:
            await _send(store, settings, job, report, pause)
        if len(jobs) < BATCH:
            break
    return report


async def send(store: ATSStore, settings: Settings, change_id: int, *, pause: float = 1.0) -> None:
    """Sends one change now, when it is still pending (the desk, right after the change)."""
    report = SendReport()
    for job in await _claim(store, utcnow(), change_id):
        await _send(store, settings, job, report, pause)


async def _claim(store: ATSStore, now: datetime, change_id: int | None) -> list[_Job]:
    query = (
        select(
            AtsWriteback,
            Application.ats_id,
            Vacancy.code,
        )
        .join(Application, AtsWriteback.application_id == Application.id)
        .join(Vacancy, Application.vacancy_id == Vacancy.id)
        .where(AtsWriteback.state == PENDING, AtsWriteback.next_attempt_at <= now)
        .order_by(AtsWriteback.next_attempt_at, AtsWriteback.id)
        .limit(BATCH)
    )
    if change_id is not None:
        query = query.where(AtsWriteback.id == change_id)
    claimed: list[_Job] = []
    async with store.session() as session, session.begin():
        for row, ats_id, code in (await session.execute(query)).all():
            taken = await session.execute(
                update(AtsWriteback)
                .where(
                    AtsWriteback.id == row.id,
                    AtsWriteback.state == PENDING,
                    AtsWriteback.next_attempt_at == row.next_attempt_at,
                )
                .values(next_attempt_at=now + LEASE)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                claimed.append(
                    _Job(
                        row.id,
                        row.ats_system or "",
                        ats_id,
                        code,
                        row.from_status,
                        row.status,
                        row.stage,
                        row.actor,
                        row.created_at,
                        row.attempts,
                    )
                )
    return claimed


async def _send(
    store: ATSStore, settings: Settings, job: _Job, report: SendReport, pause: float
) -> None:
    now = utcnow()
    values: dict[str, object]
    try:
        await write(settings, job, pause)
    except Unavailable as error:
        wait = min(timedelta(minutes=2**job.attempts), LONGEST_WAIT)
        values = {"next_attempt_at": now + wait, "last_error": str(error)[:500]}
        report.waiting += 1
        logger.warning("ATS write-back %s waits: %s", job.id, error)
    except Refused as error:
        values = {
            "state": WritebackState.FAILED.value,
            "next_attempt_at": None,
            "last_error": str(error)[:500],
        }
        report.failed += 1
        logger.warning("ATS write-back %s refused: %s", job.id, error)
    else:
        values = {
            "state": WritebackState.WRITTEN.value,
            "written_at": now,
            "next_attempt_at": None,
            "last_error": None,
        }
        report.written += 1
    async with store.session() as session, session.begin():
        # a snapshot that confirmed it, or a later desk change, meanwhile: that stands
        await session.execute(
            update(AtsWriteback)
            .where(AtsWriteback.id == job.id, AtsWriteback.state == PENDING)
            .values(attempts=job.attempts + 1, **values)
            .execution_options(synchronize_session=False)
        )


async def write(settings: Settings, job: _Job, pause: float = 1.0) -> None:
    """Writes one change through its ATS's API; raises Unavailable or Refused."""
    access = settings.access(job.ats_system)
    if not job.ats_id:
        raise Refused(f"the application has no id in {job.ats_system}")
    if not access.api_key:
        raise Unavailable(f"set {job.ats_system.upper()}_API_KEY")
    if job.ats_system in ("greenhouse", "lever", "workable") and not access.write_as:
        raise Unavailable(f"set {job.ats_system.upper()}_WRITE_AS (the ATS user to write as)")
    mapping = load_mapping(job.ats_system, settings.ats_mapping_path)
    # quoted, an id stays one path segment whatever a file import put in it
    change = Change(
        quote(job.ats_id, safe=""),
        quote(job.vacancy_code, safe=""),
        job.from_status,
        job.status,
        job.stage,
        note_of(job),
    )
    basic = aiohttp.BasicAuth(access.api_key, "")
    bearer = {"Authorization": f"Bearer {access.api_key}"}
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        if job.ats_system == "greenhouse":
            api = Api(
                http,
                access.api_url or greenhouse.DEFAULT_API_URL,
                "Greenhouse",
                headers={"On-Behalf-Of": access.write_as or ""},
                auth=basic,
                pause=pause,
            )
            await greenhouse.write(api, change, mapping)
        elif job.ats_system == "lever":
            api = Api(
                http, access.api_url or lever.DEFAULT_API_URL, "Lever", auth=basic, pause=pause
            )
            await lever.write(api, change, mapping, access.write_as or "")
        elif job.ats_system == "recruitee":
            if not access.company_id:
                raise Unavailable("set RECRUITEE_COMPANY_ID")
            base = access.api_url or recruitee.DEFAULT_API_URL
            api = Api(http, base, "Recruitee", headers=bearer, pause=pause)
            await recruitee.write(api, change, mapping, access.company_id)
        elif job.ats_system == "workable":
            if not access.api_url:
                raise Unavailable("set WORKABLE_API_URL")
            api = Api(http, access.api_url, "Workable", headers=bearer, pause=pause)
            await workable.write(api, change, mapping, access.write_as or "")
        else:
            raise Refused(f"the help desk cannot write to {job.ats_system}")
