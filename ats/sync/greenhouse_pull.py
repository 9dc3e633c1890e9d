"""Pulling from Greenhouse's Harvest API (see pull.py for the loop they all share).

It lists candidates, each with their applications, email addresses and recruiter, asking for
`per_page=500` and following the `Link: <...>; rel="next"` header as Harvest asks; later syncs
ask only for candidates `updated_after` the last one began. Basic auth with the Harvest API key.
Written against Harvest v1's candidate format; Greenhouse is retiring v1 and v2 in favour of v3
(OAuth, cursor pages), which follows the same Link-header paging.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import aiohttp

from ats.settings import Settings
from ats.sync import greenhouse
from ats.sync.events import UnusablePayload
from ats.sync.mapping import StageMapping
from ats.sync.pull import Page
from ats.sync.readers import dict_of

SOURCE = greenhouse.SOURCE
API_KEY_VARIABLE = "GREENHOUSE_API_KEY"
API_URL_VARIABLE = "GREENHOUSE_API_URL"
DEFAULT_API_URL = "https://harvest.greenhouse.io/v1"
PER_PAGE = 500
NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def session_options(api_key: str) -> dict[str, Any]:
    return {"auth": aiohttp.BasicAuth(api_key, "")}


def first_url(api_url: str, since: str | None) -> str:
    url = f"{api_url}/candidates?per_page={PER_PAGE}"
    return url + f"&updated_after={quote(since)}" if since else url


def read_page(
    data: Any,
    headers: Mapping[str, str],
    settings: Settings,
    mapping: StageMapping,
    url: str = "",
) -> Page:
    page = Page()
    link = NEXT_LINK.search(headers.get("Link", ""))
    page.next_url = link.group(1) if link else None
    for candidate in data if isinstance(data, list) else []:
        if not isinstance(candidate, dict):
            page.skipped += 1
            continue
        applications = candidate.get("applications")
        for application in applications if isinstance(applications, list) else []:
            if not isinstance(application, dict) or application.get("prospect"):
                page.skipped += 1
                continue
            stage = dict_of(application.get("current_stage")).get("name")
            stage = stage.strip()[:200] if isinstance(stage, str) and stage.strip() else None
            status = greenhouse.application_status(application, mapping, stage)
            try:
                row = greenhouse.build_row(
                    {**application, "candidate": candidate}, status, stage, settings
                )
            except UnusablePayload:
                page.skipped += 1
                continue
            page.rows.append((row, greenhouse.event_time(application, settings)))
    return page
