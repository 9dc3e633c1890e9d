"""Pulling applications from an ATS's API: the first load, and catching up after the help desk
was away (`helpdesk ats sync <ats>`).

The loop is the same for every ATS: ask for the first page (only what changed since the last
finished sync, when the ATS can filter so), apply the page, keep where it got to in a state
file, ask for the next page, until there is none. An interrupted sync resumes from the page it
stopped at; a finished one remembers when it began. A page's applications go through the
importer's upsert by the ATS's own id, and one that a web hook has moved since the ATS's
record of it is not undone (the same staleness rule as the web hooks).

How to ask and how to read is each ATS's `PullSource` (ats/sync/adapter.py), its adapter's
`pull`; the API key and address come from the settings (`settings.access(<ats>)`), the state
file is in HELPDESK_SYNC_STATE_DIR (`settings.sync_state_dir`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select, update

from ats.importer import import_rows
from ats.models import Application
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow
from ats.sync.adapter import AtsAdapter, Page, SyncFailed
from ats.sync.mapping import StageMapping

__all__ = ["Page", "PullSummary", "SyncFailed", "pull", "state_path"]

RETRIES = 5


@dataclass
class PullSummary:
    pages: int = 0
    applications: int = 0
    skipped: int = 0  # prospects, incomplete records, or older than what a web hook applied
    # statuses not applied: a desk change the ATS does not say yet stands (ats/desk_changes.py)
    kept_for_desk: int = 0


def state_path(settings: Settings, source: str) -> Path:
    """Where the sync of `source` keeps where it got to (in HELPDESK_SYNC_STATE_DIR)."""
    return settings.sync_state_dir / f"{source}.json"


def _load_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def _save_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps(state), encoding="utf-8")
    staging.replace(path)


async def _apply_page(
    store: ATSStore, settings: Settings, source: str, page: Page, summary: PullSummary
) -> None:
    of_source = Application.ats_system == source
    ids = [row.ats_id for row, _ in page.rows]
    async with store.session() as session:
        query = select(Application.ats_id, Application.ats_event_at).where(
            of_source, Application.ats_id.in_(ids)
        )
        newest = dict((await session.execute(query)).all())
    fresh = [
        (row, at)
        for row, at in page.rows
        if newest.get(row.ats_id) is None or at >= newest[row.ats_id]
    ]
    summary.skipped += len(page.rows) - len(fresh)
    if not fresh:
        return
    # the importer tells a batch's rows apart by their line: number them, whatever the ATS gave
    rows = [replace(row, line=number) for number, (row, _) in enumerate(fresh, start=1)]
    imported = await import_rows(
        store,
        rows,
        settings,
        actor=f"{source} sync",
        source=source,
        row_times={row.ats_id: at for row, at in fresh if row.ats_id and at is not None},
    )
    async with store.session() as session, session.begin():
        for row, at in fresh:
            await session.execute(
                update(Application)
                .where(of_source, Application.ats_id == row.ats_id)
                .values(ats_event_at=at)
            )
    summary.applications += len(fresh)
    summary.kept_for_desk += len(imported.kept_for_desk)


async def _get(http: aiohttp.ClientSession, url: str, name: str) -> tuple[Any, Any]:
    for attempt in range(RETRIES):
        async with http.get(url) as answer:
            if answer.status == 429 or answer.status >= 500:
                # rate limits and passing failures: wait as the ATS says, then again
                wait = float(answer.headers.get("Retry-After", "0") or 0) or 2**attempt
                await asyncio.sleep(min(wait, 30))
                continue
            if answer.status != 200:
                raise SyncFailed(f"{name} answered {answer.status} for {url}")
            return await answer.json(content_type=None), answer.headers
    raise SyncFailed(f"{name} kept failing for {url} ({RETRIES} attempts)")


async def pull(
    store: ATSStore,
    settings: Settings,
    mapping: StageMapping,
    adapter: AtsAdapter,
    *,
    restart: bool = False,
    progress: Callable[[PullSummary], None] = lambda _summary: None,
) -> PullSummary:
    """Pulls the applications of the ATS `adapter` stands for, with the API key and address
    its settings give (`settings.access(adapter.name)`)."""
    source = adapter.pull
    name = adapter.name
    if source is None:
        raise SyncFailed(f"there is no pull sync for {name}")
    access = settings.access(name)
    if not access.api_key:
        raise SyncFailed(f"set {adapter.variables.api_key} first")
    path = state_path(settings, name)
    state = {} if restart else _load_state(path)
    summary = PullSummary()
    started = state.get("started") or utcnow().isoformat()
    url = state.get("next") or source.first_url(
        (access.api_url or source.default_api_url).rstrip("/"), state.get("since"), access
    )
    timeout = aiohttp.ClientTimeout(total=120)
    options = source.session_options(access.api_key)
    async with aiohttp.ClientSession(timeout=timeout, **options) as http:
        while url:
            _save_state(path, {**state, "started": started, "next": url})
            data, headers = await _get(http, url, name)
            page = source.read_page(data, headers, settings, mapping, url=url)
            summary.skipped += page.skipped
            if page.rows:
                await _apply_page(store, settings, name, page, summary)
            summary.pages += 1
            progress(summary)
            url = page.next_url
    # done: the next sync asks only for what changed since this one began
    _save_state(path, {"since": started})
    return summary
