"""Pulling applications from Greenhouse's Harvest API: the first load, and catching up after
the help desk was away (`helpdesk ats sync greenhouse`).

It lists candidates (each with their applications, email addresses and recruiter) page by page,
following the `Link: <...>; rel="next"` header as Harvest asks, and applies each page before
asking for the next. Where it got to is kept in a state file after every page, so an
interrupted sync resumes from the page it stopped at; a finished one remembers when it started,
and the next sync asks only for candidates updated since (`updated_after`). Events the web hooks
applied later than a candidate's last activity are kept (the same staleness rule).

Written against Harvest v1's candidate format (Basic auth with the API key); Greenhouse retires
v1 and v2 in favour of v3 (OAuth, cursor pages), which follows the same Link-header paging.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select, update

from actions.ats.importer import import_rows
from actions.ats.models import Application
from actions.ats.store import ATSStore, utcnow
from actions.ats.sync import greenhouse
from actions.ats.sync.events import UnusablePayload
from actions.ats.sync.mapping import StageMapping
from actions.settings import PROJECT_ROOT, Settings

DEFAULT_API_URL = "https://harvest.greenhouse.io/v1"
PER_PAGE = 500
RETRIES = 5
NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class SyncFailed(Exception):
    """The API refused or failed; the state file says where to resume."""


@dataclass
class PullSummary:
    pages: int = 0
    applications: int = 0
    skipped: int = 0  # prospects, unusable records, or older than what a web hook applied


def state_path() -> Path:
    raw = os.environ.get("HELPDESK_SYNC_STATE_DIR", "").strip()
    return (Path(raw) if raw else PROJECT_ROOT / "var" / "sync") / "greenhouse.json"


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


def rows_of(candidates: list, settings: Settings, mapping: StageMapping, summary: PullSummary):
    """(row, last activity) for every application of these candidates the help desk can keep."""
    for candidate in candidates if isinstance(candidates, list) else []:
        if not isinstance(candidate, dict):
            continue
        for application in candidate.get("applications") or []:
            if not isinstance(application, dict) or application.get("prospect"):
                summary.skipped += 1
                continue
            stage = (application.get("current_stage") or {}).get("name")
            stage = stage.strip()[:200] if isinstance(stage, str) and stage.strip() else None
            full = {**application, "candidate": candidate}
            try:
                status = greenhouse.application_status(application, mapping, stage)
                row = greenhouse.build_row(full, status, stage, settings)
            except UnusablePayload:
                summary.skipped += 1
                continue
            activity = greenhouse.event_time(application, settings)
            yield row, activity


async def _apply_page(
    store: ATSStore, settings: Settings, found: list[tuple[Any, datetime]], summary: PullSummary
) -> None:
    ids = [row.ats_id for row, _ in found]
    async with store.session() as session:
        newest = dict(
            (
                await session.execute(
                    select(Application.ats_id, Application.ats_event_at).where(
                        Application.ats_system == greenhouse.SOURCE, Application.ats_id.in_(ids)
                    )
                )
            ).all()
        )
    fresh = [
        (row, at) for row, at in found if newest.get(row.ats_id) is None or at >= newest[row.ats_id]
    ]
    summary.skipped += len(found) - len(fresh)
    if not fresh:
        return
    await import_rows(
        store,
        [row for row, _ in fresh],
        settings,
        actor="greenhouse sync",
        source=greenhouse.SOURCE,
    )
    async with store.session() as session, session.begin():
        for row, at in fresh:
            await session.execute(
                update(Application)
                .where(
                    Application.ats_system == greenhouse.SOURCE, Application.ats_id == row.ats_id
                )
                .values(ats_event_at=at)
            )
    summary.applications += len(fresh)


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[list, str | None]:
    for attempt in range(RETRIES):
        async with http.get(url) as answer:
            if answer.status == 429 or answer.status >= 500:
                # Harvest's rate limit window is short: wait as it says, then again
                wait = float(answer.headers.get("Retry-After", "0") or 0) or 2**attempt
                await asyncio.sleep(min(wait, 30))
                continue
            if answer.status != 200:
                raise SyncFailed(f"Greenhouse answered {answer.status} for {url}")
            page = await answer.json(content_type=None)
            link = NEXT_LINK.search(answer.headers.get("Link", ""))
            return page, link.group(1) if link else None
    raise SyncFailed(f"Greenhouse kept failing for {url} ({RETRIES} attempts)")


async def pull(
    store: ATSStore,
    settings: Settings,
    mapping: StageMapping,
    *,
    api_key: str,
    api_url: str = DEFAULT_API_URL,
    restart: bool = False,
    progress: Callable[[PullSummary], None] = lambda _summary: None,
) -> PullSummary:
    path = state_path()
    state = {} if restart else _load_state(path)
    summary = PullSummary()
    started = state.get("started") or utcnow().isoformat()
    url = state.get("next")
    if not url:
        url = f"{api_url.rstrip('/')}/candidates?per_page={PER_PAGE}"
        if state.get("since"):
            url += f"&updated_after={state['since']}"
    auth = aiohttp.BasicAuth(api_key, "")
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(auth=auth, timeout=timeout) as http:
        while url:
            _save_state(path, {**state, "started": started, "next": url})
            page, url = await _get(http, url)
            found = list(rows_of(page, settings, mapping, summary))
            if found:
                await _apply_page(store, settings, found, summary)
            summary.pages += 1
            progress(summary)
    # done: the next sync asks only for what changed since this one began
    _save_state(path, {"since": started})
    return summary
