"""Pulling from Workable's API v3 (see pull.py for the loop they all share).

Documentation:
- https://workable.readme.io/reference/job-candidates-index: `GET /spi/v3/candidates` lists the
  account's candidates (scope `r_candidates`), `limit` per page (50 by default, at most 100),
  the next page's full URL in the body's `paging.next` (absent on the last page), and the
  filters `updated_after` / `created_after` (ISO 8601) and `since_id` / `max_id`; each
  candidate has `id`, `name`, `email`, `job` {`shortcode`, `title`}, `stage` (the stage's slug
  in this list), `disqualified`, `disqualification_reason`, `hired_at`, `created_at` and
  `updated_at`;
- https://workable.readme.io/docs/whats-new-in-v3: the list is in the order candidates were
  added, oldest first, paged by `since_id` in the `paging.next` URLs; times are ISO 8601 UTC;
- https://workable.readme.io/docs/rate-limits: 10 requests per 10 seconds with an account token;
  over it, HTTP 429 (pull.py waits and tries again);
- https://workable.readme.io/reference/partner-token (and the account token's settings): every
  call carries `Authorization: Bearer <token>`, at `https://<subdomain>.workable.com/spi/v3`.

Configuration: WORKABLE_API_KEY is the access token (with `r_candidates`); WORKABLE_API_URL is
required and names the account, e.g. `https://acme.workable.com/spi/v3`, since Workable has no
address without the account's subdomain (DEFAULT_API_URL is only the pattern; a sync without
WORKABLE_API_URL stops with a message saying so).

A Workable candidate belongs to one job, so each is one application, kept under the candidate's
id as the web hooks keep it (ats.sync.workable: vacancy WK-<shortcode>, the default
recruiter, disqualification as rejection or withdrawal, sourced and talent-pool candidates not
applications). Its last activity is `updated_at`. Later syncs ask only for candidates
`updated_after` the last one began.

Assumed (not spelt out by the documentation): the list's stage slug is the stage's name in
lower case joined with hyphens, so "phone-screen" is shown as "Phone Screen" (the web hooks
carry the name itself); `paging.next` keeps the query's filters and limit; `updated_after` takes
`YYYY-MM-DDTHH:MM:SSZ` as in Workable's examples.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from ats.settings import Settings
from ats.sync import workable
from ats.sync.events import UnusablePayload
from ats.sync.mapping import StageMapping
from ats.sync.pull import Page, SyncFailed

SOURCE = workable.SOURCE
API_KEY_VARIABLE = "WORKABLE_API_KEY"
API_URL_VARIABLE = "WORKABLE_API_URL"
DEFAULT_API_URL = "https://{subdomain}.workable.com/spi/v3"  # a pattern: set WORKABLE_API_URL
LIMIT = 100  # the most Workable gives per page
SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")


def session_options(api_key: str) -> dict[str, Any]:
    return {"headers": {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}}


def first_url(api_url: str, since: str | None) -> str:
    if "{subdomain}" in api_url:
        raise SyncFailed(
            f"set {API_URL_VARIABLE} to your Workable account's API address, "
            "e.g. https://acme.workable.com/spi/v3"
        )
    url = f"{api_url}/candidates?limit={LIMIT}"
    return url + f"&updated_after={quote(_api_time(since), safe='')}" if since else url


def _api_time(since: str) -> str:
    """The sync's start as Workable writes times (UTC, seconds, Z); as given when unreadable."""
    try:
        moment = datetime.fromisoformat(since.strip().replace("Z", "+00:00"))
    except ValueError:
        return since
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def stage_name(stage: Any) -> Any:
    """The list's stage slug as a name ("phone-screen" -> "Phone Screen"); others as given."""
    if isinstance(stage, str) and SLUG.match(stage.strip()):
        return " ".join(word.capitalize() for word in re.split(r"[-_]", stage.strip()))
    return stage


def _next_url(data: Any) -> str | None:
    paging = data.get("paging") if isinstance(data, dict) else None
    link = paging.get("next") if isinstance(paging, dict) else None
    if isinstance(link, str) and link.strip().startswith(("https://", "http://")):
        return link.strip()
    return None


def read_page(
    data: Any,
    headers: Mapping[str, str],
    settings: Settings,
    mapping: StageMapping,
    url: str = "",
) -> Page:
    page = Page(next_url=_next_url(data))
    candidates = data.get("candidates") if isinstance(data, dict) else None
    for candidate in candidates if isinstance(candidates, list) else []:
        if not isinstance(candidate, dict):
            page.skipped += 1
            continue
        try:
            row = workable.application_row(
                {**candidate, "stage": stage_name(candidate.get("stage"))}, settings, mapping
            )
        except (UnusablePayload, ValueError, TypeError, OverflowError):
            row = None  # incomplete (no email, job or dates): not one the desk can keep
        if row is None:
            page.skipped += 1  # talent pool, still sourced, or incomplete
            continue
        page.rows.append((row, workable.last_activity(candidate, settings) or row.applied_at))
    return page
