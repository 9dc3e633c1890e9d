"""Pulling from Lever's API (see ats/sync/pull.py for the loop every ATS shares).

Source: Lever's API documentation, https://hire.lever.co/developer/documentation (sections
"Authentication", "Pagination", "Expanding fields" and "Opportunities"; sandbox copy at
https://hire.sandbox.lever.co/developer/documentation):

- `GET https://api.lever.co/v1/opportunities` lists opportunities (a candidate's application to
  a posting; the web hooks name it `opportunityId`, and it is the application's ats_id here);
- Basic auth, the API key as the user name and an empty password;
- `limit` (1 to 100) records a page; the body is `{"data": [...], "hasNext": bool, "next": token}`
  and the next page is asked for with `offset=<token>` and the same other parameters;
- `updated_at_start` (ms since the epoch) asks only for opportunities updated since then;
- `expand=applications`, `expand=stage`, `expand=owner` put the application objects, the stage
  (`{id, text}`) and the owner (`{id, name, email}`) in place of their ids.

An opportunity is kept as one application: its first application with a posting gives the
vacancy (`LV-<posting id>`, the posting's `text`), the owner is the recruiter (else
HELPDESK_DEFAULT_RECRUITER_EMAIL), `emails[0]` the candidate. Its status and last activity are
read as the web hook receiver reads the opportunity a delivery names (`opportunity_change`,
`last_activity` in webhooks.py): archived means rejected, withdrawn or hired by the archive rules;
otherwise the stage, by its id when the employer's mapping names it, else by its name's words;
its last activity is the latest of updatedAt, lastInteractionAt, lastAdvancedAt and archivedAt.
Opportunities with no posting (sourced leads, prospects), no email, no recruiter or no creation
time are skipped. The applicant's consent to the longer retention period is read from the
opportunity's documented `dataProtection.store.allowed` ("the candidate's consent status for
storing their data", shared by the contact's opportunities) when the mapping file names
`"consent_field": "dataProtection.store"` (ats/sync/mapping.py).

Assumed (not confirmed from the documentation text here): the repeated `expand=` parameter form
(the comma form `expand=applications,stage,owner` may work too); that an expanded application's
`posting` carries `{id, text}` — where it is only an id, the vacancy cannot be named and the
opportunity is skipped rather than given a made-up title; that listing without `archived=`
returns archived and active opportunities alike; confidential opportunities need
`confidentiality=all` and an API key allowed to read them, so they are not asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from ats.rows import ImportRow, parse_time
from ats.settings import AtsAccess, Settings
from ats.store_basics import normalise_email
from ats.sync.adapter import Page
from ats.sync.lever import api as lever_api
from ats.sync.lever import webhooks as lever
from ats.sync.mapping import StageMapping
from ats.sync.readers import dict_of, import_row, recruiter_or_default, text_of

SOURCE = lever.SOURCE
# the key and address the web hook receiver reads single opportunities with, too
DEFAULT_API_URL = lever_api.DEFAULT_API_URL
LIMIT = 100
EXPAND = ("applications", "stage", "owner")
CONSENT_FIELD = "dataProtection.store"


def first_url(api_url: str, since: str | None) -> str:
    query: list[tuple[str, Any]] = [("limit", LIMIT)] + [("expand", name) for name in EXPAND]
    start = _milliseconds(since)
    if start is not None:
        query.append(("updated_at_start", start))
    return f"{api_url}/opportunities?{urlencode(query)}"


def _milliseconds(since: str | None) -> int | None:
    if not since:
        return None
    try:
        return int(parse_time(since, ZoneInfo("UTC")).timestamp() * 1000)
    except (ValueError, TypeError, OverflowError):
        return None


def next_page_url(current: str, token: str) -> str:
    """`current` asking for the page after it: the same parameters, `offset` = Lever's token."""
    parts = urlsplit(current)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "offset"]
    query.append(("offset", token))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _read_opportunity(
    opportunity: dict[str, Any], line: int, settings: Settings, mapping: StageMapping
) -> tuple[ImportRow, datetime] | None:
    """The opportunity as a row and its last activity, or None when it cannot be kept."""
    ats_id = text_of(opportunity.get("id"), 100)
    email = _email(opportunity.get("emails"))
    application, posting = _posting(opportunity.get("applications"))
    if ats_id is None or email is None or posting is None:
        return None
    posting_id, title = posting
    recruiter = _recruiter(opportunity.get("owner"), settings)
    applied = lever.time_of(application.get("createdAt")) or lever.time_of(
        opportunity.get("createdAt")
    )
    if recruiter is None or applied is None:
        return None
    change = lever.opportunity_change(ats_id, opportunity, mapping)
    row = import_row(
        source=SOURCE,
        ats_id=ats_id,
        name=text_of(opportunity.get("name"), 200),
        email=email,
        vacancy_code=f"LV-{posting_id}",
        vacancy_title=title,
        recruiter=recruiter,
        applied_at=applied,
        status=change.status,
        stage=change.stage,
        line=line,
        consent=_consent(opportunity, mapping),
    )
    return row, lever.last_activity(opportunity) or applied


def _consent(opportunity: dict[str, Any], mapping: StageMapping) -> tuple[bool | None, None]:
    """Lever's documented `dataProtection.store.allowed` (consent to store the candidate's data)
    when the mapping file names it as where the employer's consent is; else unknown."""
    if (mapping.consent_field or "").lower() != CONSENT_FIELD.lower():
        return None, None
    allowed = dict_of(dict_of(opportunity.get("dataProtection")).get("store")).get("allowed")
    return (allowed, None) if isinstance(allowed, bool) else (None, None)


def _email(emails: Any) -> str | None:
    for email in emails if isinstance(emails, list) else []:
        if isinstance(email, str) and "@" in email.strip():
            return normalise_email(email)
    return None


def _posting(applications: Any) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """The first application with a named posting, and the posting's (id, title)."""
    for application in applications if isinstance(applications, list) else []:
        posting = dict_of(dict_of(application).get("posting"))
        posting_id = text_of(posting.get("id"), 90)
        title = text_of(posting.get("text"), 300)
        if posting_id and title:
            return application, (posting_id, title)
    return {}, None


def _recruiter(owner: Any, settings: Settings) -> tuple[str, str] | None:
    owner = dict_of(owner)  # an id alone (not expanded) names no one here
    return recruiter_or_default(owner.get("email"), owner.get("name"), settings)


class OpportunitiesPull:
    """Lever's API as a PullSource: opportunities with applications, stage and owner."""

    default_api_url = DEFAULT_API_URL

    def session_options(self, api_key: str) -> dict[str, Any]:
        return lever_api.session_options(api_key)

    def first_url(self, api_url: str, since: str | None, access: AtsAccess) -> str:
        return first_url(api_url, since)

    def read_page(
        self,
        data: Any,
        headers: Mapping[str, str],
        settings: Settings,
        mapping: StageMapping,
        url: str = "",
    ) -> Page:
        page = Page()
        body = dict_of(data)
        token = text_of(body.get("next"), 2000)
        if body.get("hasNext") is True and token:
            page.next_url = next_page_url(url or first_url(DEFAULT_API_URL, None), token)
        records = body.get("data")
        for line, opportunity in enumerate(records if isinstance(records, list) else [], 1):
            # distinct lines: the importer matches stored applications to rows by their line
            read = _read_opportunity(dict_of(opportunity), line, settings, mapping)
            if read is None:
                page.skipped += 1
            else:
                page.rows.append(read)
        return page
