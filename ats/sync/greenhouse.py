"""Greenhouse: its web hooks read as the help desk's events, and the pull from its Harvest API.

Source: Greenhouse's web hook documentation, https://developers.greenhouse.io/webhooks.html, and
its help articles "Enable a web hook" and "Troubleshoot a web hook" (support.greenhouse.io).

Greenhouse signs each delivery: `Signature: sha256 <hex HMAC-SHA256 of the raw body>` with the
web hook's secret key ("the entire content of the JSON", not only `payload`), and names it with
a `Greenhouse-Event-ID` header ("an unique id associated with this delivery"). That header is
not signed: anyone can send a captured body under a new id, so a delivery is named by a SHA-256
of its signed body instead (replay.py).

The body carries no time of its own. The application in it does: `last_activity_at` (and
`rejected_at`), which Greenhouse moves with each change it reports; being inside the signed
body, the latest of them is the delivery's signed time, the one the freshness window is checked
against, and the event's time for ordering. A body without either changes nothing.

Greenhouse retries a failed delivery (25 times by default, configurable per web hook, with
growing delays; its log shows each answer). A retry carries the same body and so the same
signed time: one the help desk could not take within HELPDESK_WEBHOOK_MAX_AGE_SECONDS (it was
down, say) is refused on every retry, and `helpdesk ats sync greenhouse` catches up.

The body is `{"action": ..., "payload": {"application": {...}}}`; the application carries its
candidate, jobs, current stage, status and rejection reason. Used here:

- `new_candidate_application`: a new application, at the stage Greenhouse puts it in;
- `candidate_stage_change`, `unreject_candidate`: the stage it moved to;
- `reject_candidate`: rejected, or withdrawn when the reason says the candidate withdrew
  (Greenhouse's own rejection type "They rejected us", or reasons the employer lists);
- `hire_candidate`: hired.

The applicant's consent to the longer retention period is read from the candidate custom field
the mapping file names (`consent_field`, its key): Harvest gives a candidate's custom fields as
`custom_fields` (key: value) and `keyed_custom_fields` (key: {name, type, value}), web hooks as
`custom_fields` (key: {name, type, value}).

Prospects (no application yet), deletions and the `ping` Greenhouse sends when a web hook is
saved are no concern of the help desk and are ignored.

The pull (`helpdesk ats sync greenhouse`; see pull.py for the loop every ATS shares) lists
candidates, each with their applications, email addresses and recruiter, asking for
`per_page=500` and following the `Link: <...>; rel="next"` header as Harvest asks; later syncs
ask only for candidates `updated_after` the last one began. Basic auth with the Harvest API key
(GREENHOUSE_API_KEY, at GREENHOUSE_API_URL). Written against Harvest v1's candidate format;
Greenhouse is retiring v1 and v2 in favour of v3 (OAuth, cursor pages), which follows the same
Link-header paging.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

import aiohttp

from ats.models import Status
from ats.rows import ImportRow
from ats.settings import AtsAccess, Settings
from ats.store_basics import utcnow
from ats.sync.adapter import Adapter, Page
from ats.sync.events import AtsEvent, UnusablePayload
from ats.sync.mapping import StageMapping
from ats.sync.readers import (
    consent_of,
    dict_of,
    hex_hmac_matches,
    import_row,
    recruiter_or_default,
    time_of,
)

SOURCE = "greenhouse"
MAX_BODY = 1024 * 1024  # bytes; a hire with its offer is far smaller
STAGE_ACTIONS = {"new_candidate_application", "candidate_stage_change", "unreject_candidate"}
DEFAULT_API_URL = "https://harvest.greenhouse.io/v1"
PER_PAGE = 500
NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def signature_matches(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """True when the Signature header is the body's HMAC under the webhook's secret key."""
    algorithm, _, digest = (headers.get("Signature") or "").strip().partition(" ")
    return algorithm.lower() == "sha256" and hex_hmac_matches(body, digest, secret)


def signed_part(body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> bytes | None:
    """The bytes the signature covers (the whole raw body) when it verifies under one of the
    secrets, else None. Reads no JSON."""
    return body if any(signature_matches(body, headers, s) for s in secrets) else None


def signed_at(body: bytes, event: dict[str, Any], settings: Settings) -> datetime | None:
    """The delivery's signed time: the application's last change, by Greenhouse's account."""
    return event_time(dict_of(dict_of(dict_of(event).get("payload")).get("application")), settings)


def _first(items: Any, key: str = "value") -> str | None:
    if isinstance(items, list):
        for item in items:
            value = item.get(key) if isinstance(item, dict) else None
            if isinstance(value, str) and value.strip():
                return value.strip()
    return None


def application_status(
    application: dict[str, Any], mapping: StageMapping, stage: str | None
) -> Status:
    """Hired, rejected or withdrawn by Greenhouse's status, else what the stage means."""
    if application.get("status") == "hired":
        return Status.HIRED
    if application.get("status") == "rejected":
        reason = dict_of(application.get("rejection_reason"))
        withdrew = mapping.is_withdrawal(
            reason.get("name"), dict_of(reason.get("type")).get("name")
        )
        return Status.WITHDRAWN if withdrew else Status.REJECTED
    return mapping.status_of(stage)


def event_time(application: dict[str, Any], settings: Settings) -> datetime | None:
    """When the application last changed, by Greenhouse's own account (the latest of its
    last activity and its rejection), or None when it says neither."""
    times = [
        time_of(application.get("last_activity_at"), settings),
        time_of(application.get("rejected_at"), settings),
    ]
    known = [at for at in times if at is not None]
    return max(known) if known else None


def read_event(
    body: dict[str, Any], event_id: str, settings: Settings, mapping: StageMapping
) -> AtsEvent:
    """The event a delivery describes; raises UnusablePayload for one that cannot be kept."""
    action = body.get("action") if isinstance(body.get("action"), str) else None
    application = dict_of(dict_of(body.get("payload")).get("application"))
    occurred = event_time(application, settings)
    if action not in STAGE_ACTIONS | {"reject_candidate", "hire_candidate"}:
        return AtsEvent(SOURCE, event_id, occurred or utcnow(), None)  # changes nothing
    if not application or application.get("prospect"):
        return AtsEvent(SOURCE, event_id, occurred or utcnow(), None)
    if occurred is None:
        # a time made up here would make any replay of this body the newest event
        raise UnusablePayload("the application has no last_activity_at: its time is unknown")
    stage = dict_of(application.get("current_stage")).get("name")
    stage = stage.strip()[:200] if isinstance(stage, str) and stage.strip() else None
    if action == "hire_candidate":
        status = Status.HIRED
    elif action == "reject_candidate":
        status = application_status({**application, "status": "rejected"}, mapping, stage)
    else:
        status = application_status(application, mapping, stage)
    row = build_row(application, status, stage, settings, mapping.consent_field)
    return AtsEvent(SOURCE, event_id, occurred, row)


def custom_field(candidate: dict[str, Any], key: str | None) -> Any:
    """The value of the candidate's custom field `key`, in either of Greenhouse's shapes."""
    if not key:
        return None
    for fields in ("custom_fields", "keyed_custom_fields"):
        value = dict_of(candidate.get(fields)).get(key)
        if isinstance(value, dict):
            value = value.get("value")
        if value is not None:
            return value
    return None


def build_row(
    application: dict[str, Any],
    status: Status,
    stage: str | None,
    settings: Settings,
    consent_field: str | None = None,
) -> ImportRow:
    """The application (with its candidate inside) as a row for the importer's upsert."""
    candidate = dict_of(application.get("candidate"))
    email = _first(candidate.get("email_addresses"))
    if not email or "@" not in email:
        raise UnusablePayload("the candidate has no email address")
    name = " ".join(
        part.strip()
        for part in (candidate.get("first_name"), candidate.get("last_name"))
        if isinstance(part, str) and part.strip()
    )
    jobs = application.get("jobs") if isinstance(application.get("jobs"), list) else []
    job = dict_of(jobs[0]) if jobs else dict_of(application.get("job"))
    if job.get("id") is None or not isinstance(job.get("name"), str):
        raise UnusablePayload("the application has no job")
    recruiter = dict_of(candidate.get("recruiter"))
    found = recruiter_or_default(recruiter.get("email"), recruiter.get("name"), settings)
    if found is None:
        raise UnusablePayload(
            "the candidate has no recruiter and HELPDESK_DEFAULT_RECRUITER_EMAIL is not set"
        )
    applied = time_of(application.get("applied_at"), settings)
    if applied is None or application.get("id") is None:
        raise UnusablePayload("the application has no id or no applied_at")
    return import_row(
        source=SOURCE,
        ats_id=str(application["id"]),
        name=name,
        email=email,
        vacancy_code=f"GH-{job['id']}",
        vacancy_title=job["name"],
        recruiter=found,
        applied_at=applied,
        status=status,
        stage=stage,
        consent=consent_of(custom_field(candidate, consent_field), settings),
    )


class HarvestPull:
    """Greenhouse's Harvest API as a PullSource: candidates with their applications."""

    default_api_url = DEFAULT_API_URL

    def session_options(self, api_key: str) -> dict[str, Any]:
        return {"auth": aiohttp.BasicAuth(api_key, "")}

    def first_url(self, api_url: str, since: str | None, access: AtsAccess) -> str:
        url = f"{api_url}/candidates?per_page={PER_PAGE}"
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
                status = application_status(application, mapping, stage)
                try:
                    row = build_row(
                        {**application, "candidate": candidate},
                        status,
                        stage,
                        settings,
                        mapping.consent_field,
                    )
                except UnusablePayload:
                    page.skipped += 1
                    continue
                # None when Greenhouse gives no last_activity_at: the pull loop compares and
                # stores it as it is (as before this module took the pull in)
                at = event_time(application, settings)
                page.rows.append((row, at))  # type: ignore[arg-type]
        return page


ADAPTER = Adapter(
    name=SOURCE,
    signed_part=signed_part,
    signed_at=signed_at,
    read_event=read_event,
    pull=HarvestPull(),
    max_body=MAX_BODY,
)
