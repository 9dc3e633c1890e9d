"""Recruitee: the pull from its API (`helpdesk ats sync recruitee`; ats/sync/pull.py is the loop
every ATS shares).

Documented (https://docs.recruitee.com/reference/candidates-get): `GET
https://api.recruitee.com/c/{company_id}/candidates` lists the company's candidates, each with
`emails` and `placements` (the candidate's assignments to jobs or talent pools, with stage
information). `limit` and `offset` page it ("offset for next page should be current offset +
limit"; without them every candidate comes at once); `created_after` keeps only candidates
created after a time. The company id may also be the company's subdomain. Requests carry a
personal API token as `Authorization: Bearer <token>` (created under Settings > Apps and plugins
> Personal API tokens, which also shows the company id; as shown in
https://ishwargautam1.com.np/recruitee-api-documentation-retrieving-job-and-talent-pool, which
also shows the body: `{"candidates": [...]}`).

Configuration: RECRUITEE_API_KEY (the token), RECRUITEE_COMPANY_ID (required: the company id
or subdomain, put into the path), RECRUITEE_API_URL (only to point elsewhere than
https://api.recruitee.com, without the `/c/<company>` part).

Each placement is one application; its ATS id is the placement id, as the web hooks use, and
its vacancy code RT-<offer id>. Status and stage come from the web hooks' rules (stage
category, the employer's mapping, disqualification as rejected or withdrawn).

Assumed, not in the documentation found:
- A placement's `stage` is an object with `name` and `category`, its `disqualify_reason` and
  `updated_at` are as in the web hooks' placement; a placement with only `stage_id` is read
  through a `references` list (`{"type": "Stage"|"Offer", "id": ...}`) in the body when there
  is one, as Recruitee's single-candidate answer carries.
- The job's title (and recruiter) come from the placement's `offer` object or from such a
  `references` entry; a placement whose job title the page does not carry is skipped, not
  imported under a made-up title (the importer would overwrite the vacancy's real title).
  Placements on talent pools (offer `kind` "talent_pool") are not applications and are skipped.
- `/candidates` documents no filter by update time (only `created_after`, which would miss moves
  of older candidates). Later syncs send `updated_after=<when the last one began>`; should
  Recruitee ignore it, the whole list comes back, which is still right: a record no newer than
  what the help desk holds is skipped by the pull loop.
- A page shorter than `limit` is the last one; the next is the same request at offset + limit
  (read_page is given the URL it reads).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from ats.settings import AtsAccess, Settings
from ats.store_basics import utcnow
from ats.sync.adapter import Page, SyncFailed
from ats.sync.mapping import StageMapping
from ats.sync.readers import dict_of, text_of
from ats.sync.recruitee.webhooks import (
    build_row,
    disqualified_status,
    disqualify_reason,
    id_of,
    read_time,
    stage_status,
)

COMPANY_VARIABLE = "RECRUITEE_COMPANY_ID"
DEFAULT_API_URL = "https://api.recruitee.com"
LIMIT = 100


def _next_url(url: str, count: int) -> str | None:
    """The same request at offset + limit, when this page was full."""
    try:
        parts = urlsplit(url) if isinstance(url, str) and url else None
        query = dict(parse_qsl(parts.query)) if parts else {}
        limit, offset = int(query["limit"]), int(query.get("offset", "0"))
    except (AttributeError, KeyError, TypeError, ValueError):
        return None  # without a limit everything came at once
    if parts is None or limit <= 0 or count < limit:
        return None
    query["offset"] = str(offset + limit)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _references(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    found: dict[tuple[str, str], dict[str, Any]] = {}
    items = data.get("references")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("type"), str):
            key = id_of(item.get("id"))
            if key is not None:
                found[(item["type"].lower(), key)] = item
    return found


def _last_activity(
    placement: dict[str, Any], candidate: dict[str, Any], settings: Settings
) -> datetime:
    for value in (
        placement.get("updated_at"),
        placement.get("disqualified_at"),
        placement.get("hired_at"),
        candidate.get("updated_at"),
    ):
        at = read_time(value, settings)
        if at is not None:
            return at
    return utcnow()


def _read_placement(
    placement: Any,
    candidate: dict[str, Any],
    references: dict[tuple[str, str], dict[str, Any]],
    settings: Settings,
    mapping: StageMapping,
) -> tuple[Any, datetime] | None:
    if not isinstance(placement, dict):
        return None
    ats_id = id_of(placement.get("id"))
    if ats_id is None:
        return None
    offer_id = id_of(placement.get("offer_id"))
    offer = dict_of(placement.get("offer")) or references.get(("offer", offer_id or ""))
    offer = offer or {}
    if text_of(offer.get("kind")) == "talent_pool":
        return None  # a talent pool is not a job: no application
    stage = dict_of(placement.get("stage"))
    if not stage:
        stage = references.get(("stage", id_of(placement.get("stage_id")) or "")) or {}
    disqualified = placement.get("disqualified_at") or placement.get("disqualify_reason")
    close_reason = disqualify_reason(placement)
    if disqualified:
        status = disqualified_status(close_reason, mapping)
    else:
        status = stage_status(stage, mapping)
    stage_name = text_of(stage.get("name"))
    stage_name = stage_name[:200] if stage_name else None
    payload = {"candidate": candidate, "offer": offer, "placement": placement}
    row, _missing = build_row(payload, ats_id, status, stage_name, settings)
    if row is None:
        return None
    return row, _last_activity(placement, candidate, settings)


class CandidatesPull:
    """Recruitee's API as a PullSource: the company's candidates with their placements."""

    default_api_url = DEFAULT_API_URL
    limit = LIMIT

    def session_options(self, api_key: str) -> dict[str, Any]:
        return {"headers": {"Authorization": f"Bearer {api_key}"}}

    def first_url(self, api_url: str, since: str | None, access: AtsAccess) -> str:
        company = (access.company_id or "").strip("/")
        if not company:
            raise SyncFailed(
                f"{COMPANY_VARIABLE} is not set: Recruitee's API needs the company id "
                "(Settings > Apps and plugins > Personal API tokens)"
            )
        url = f"{api_url}/c/{quote(company, safe='')}/candidates?limit={self.limit}&offset=0"
        return url + f"&updated_after={quote(since)}" if since else url

    def read_page(
        self,
        data: Any,
        headers: Mapping[str, str],
        settings: Settings,
        mapping: StageMapping,
        url: str = "",
    ) -> Page:
        page = Page()
        data = data if isinstance(data, dict) else {}
        candidates = data.get("candidates")
        candidates = candidates if isinstance(candidates, list) else []
        page.next_url = _next_url(url, len(candidates))
        references = _references(data)
        for candidate in candidates:
            if not isinstance(candidate, dict):
                page.skipped += 1
                continue
            placements = candidate.get("placements")
            for placement in placements if isinstance(placements, list) else []:
                read = _read_placement(placement, candidate, references, settings, mapping)
                if read is None:
                    page.skipped += 1
                else:
                    page.rows.append(read)
        return page
