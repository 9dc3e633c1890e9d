"""Workable: its web hooks (API v3 subscriptions) read as the help desk's events, and the pull
from its API v3.

The web hooks.

Documentation:
- https://workable.readme.io/reference/webhook-subscriptions-candidates-employees (events,
  signature) and https://workable.readme.io/reference/webhooks (the older copy of that page);
- https://workable.readme.io/reference/candidate-events (the body's `data`);
- https://workable.readme.io/reference/job-candidates-show and
  https://workable.readme.io/reference/job-candidates-index (the candidate's fields: `stage` is
  the stage's name, `stage_kind`, `withdrew`, `disqualification_reason`, `job`);
- https://workable.readme.io/reference/disqualification_reasons (each reason is of the category
  "candidate withdrew" or "candidate rejected").

Workable signs each request with HMAC-SHA256 of the body, keyed with the account's API token or
the OAuth application's secret, in the `X-Workable-Signature` header (hex, as integrations that
verify it compute it). The body is `{"id", "event_type", "fired_at", "resource_type", "data"}`,
where `data` is the whole candidate as it stands when the request is made ("the payload will
reflect the state at the time of the request and not the state of the resource from when the
event fired").

The whole body is signed, `fired_at` (when the event fired) with it: that is the delivery's
signed time, checked against the freshness window. A delivery is named by a SHA-256 of its signed
body (replay.py). Workable treats any answer but 200 as an error and "replays the request"; its
documentation gives no schedule. A replay made after HELPDESK_WEBHOOK_MAX_AGE_SECONDS with the
original `fired_at` is refused (catch up with `helpdesk ats sync workable`); the event's time for
ordering is the candidate's `updated_at`, so a replay whose data is no newer than what was
applied changes nothing either.

A Workable "candidate" belongs to one job, so it is one application: its id is the application's
ats_id. Used here:

- `candidate_created`, `candidate_moved`: the application at the stage it is in now; disqualified
  means rejected, or withdrawn when Workable says the candidate withdrew (`withdrew`, or a
  reason worded as a withdrawal, or one the employer lists);
- a candidate still in the "Sourced" stage never applied, and one without a job is in the talent
  pool: neither is an application, so both are ignored, like the other events.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from ats.models import Status
from ats.rows import ImportRow
from ats.settings import AtsAccess, Settings
from ats.store_basics import utcnow
from ats.sync.adapter import Adapter, Page, SyncFailed
from ats.sync.events import AtsEvent, UnusablePayload
from ats.sync.mapping import StageMapping
from ats.sync.readers import (
    dict_of,
    hex_hmac_matches,
    import_row,
    recruiter_or_default,
    text_of,
    time_of,
)

SOURCE = "workable"
API_URL_VARIABLE = "WORKABLE_API_URL"
DEFAULT_API_URL = "https://{subdomain}.workable.com/spi/v3"  # a pattern: set WORKABLE_API_URL
LIMIT = 100  # the most Workable gives per page
SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
SIGNATURE_HEADER = "X-Workable-Signature"
MAX_BODY = 1024 * 1024  # bytes; a candidate with a long cover letter and CV text
EVENT_TYPES = {"candidate_created", "candidate_moved"}

# Workable's own wording for a candidate who withdrew (its default disqualification reasons of
# the category "candidate withdrew"); the employer adds its own in HELPDESK_ATS_MAPPING
BUILT_IN_WITHDRAWALS = frozenset(
    {
        "withdrew",
        "withdrawn",
        "candidate withdrew",
        "candidate withdrawn",
        "candidate withdrew application",
        "withdrew application",
    }
)
# Workable's stage kinds (every stage, however the employer names it, is of one kind)
STAGE_KINDS = {
    "applied": Status.APPLIED,
    "shortlisted": Status.SCREENING,
    "phone_screen": Status.SCREENING,
    "assessment": Status.INTERVIEW,
    "interview": Status.INTERVIEW,
    "offer": Status.OFFER,
    "hired": Status.HIRED,
}
SOURCED = "sourced"
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")


def signature_matches(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """True when X-Workable-Signature is the body's hex HMAC-SHA256 under the token."""
    if not isinstance(body, (bytes, bytearray)):
        return False
    given = headers.get(SIGNATURE_HEADER) or headers.get(SIGNATURE_HEADER.lower())
    return hex_hmac_matches(bytes(body), given, secret)


def signed_part(body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> bytes | None:
    """The bytes the signature covers (the whole raw body) when it verifies under one of the
    secrets, else None. Reads no JSON."""
    return body if any(signature_matches(body, headers, s) for s in secrets) else None


def signed_at(body: bytes, event: dict[str, Any], settings: Settings) -> datetime | None:
    """The delivery's signed time: when the event fired (`fired_at`, in the signed body)."""
    return time_of(dict_of(event).get("fired_at"), settings)


def withdrew(candidate: dict[str, Any], mapping: StageMapping) -> bool:
    """Whether a disqualified candidate withdrew rather than being rejected."""
    if candidate.get("withdrew") is True:
        return True
    reason = text_of(candidate.get("disqualification_reason"))
    return mapping.is_withdrawal(reason) or (reason or "").lower() in BUILT_IN_WITHDRAWALS


def stage_status(stage: str | None, kind: str | None, mapping: StageMapping) -> Status:
    """The employer's own name for the stage first, then Workable's kind, then its words."""
    name = (stage or "").lower()
    for candidate in (name, name.replace("-", " ").replace("_", " ")):
        if candidate and candidate in mapping.stages:
            return mapping.stages[candidate]
    if kind and kind.lower() in STAGE_KINDS:
        return STAGE_KINDS[kind.lower()]
    return mapping.status_of(stage)


def read_event(
    body: dict[str, Any], event_id: str, settings: Settings, mapping: StageMapping
) -> AtsEvent:
    """The event a delivery describes; raises UnusablePayload for one that cannot be kept."""
    body = dict_of(body)
    candidate = dict_of(body.get("data"))
    occurred = last_activity(candidate, settings) or time_of(body.get("fired_at"), settings)
    if text_of(body.get("event_type")) not in EVENT_TYPES or not candidate:
        return AtsEvent(SOURCE, event_id, occurred or utcnow())  # changes nothing
    row = application_row(candidate, settings, mapping)
    if row is not None and occurred is None:
        # a time made up here would make any replay of this body the newest event
        raise UnusablePayload("the candidate has no updated_at and the event no fired_at")
    return AtsEvent(SOURCE, event_id, occurred or utcnow(), row)


def application_row(candidate: Any, settings: Settings, mapping: StageMapping) -> ImportRow | None:
    """The application a Workable candidate record stands for (a web hook's `data`, or one of
    the candidates API's list): None when it is none (talent pool, still sourced); raises
    UnusablePayload for one that cannot be kept."""
    candidate = dict_of(candidate)
    if not candidate or candidate.get("job") is None:  # a talent pool candidate: no application
        return None
    stage = text_of(candidate.get("stage"))
    stage = stage[:200] if stage else None
    kind = text_of(candidate.get("stage_kind"))
    if SOURCED in ((stage or "").lower(), (kind or "").lower()):
        return None  # found by a recruiter, never applied
    if candidate.get("disqualified") is True:
        status = Status.WITHDRAWN if withdrew(candidate, mapping) else Status.REJECTED
    elif stage is None and kind is None and text_of(candidate.get("hired_at")):
        status = Status.HIRED  # no stage given, but Workable says when it hired them
    else:
        status = stage_status(stage, kind, mapping)
    return _row(candidate, status, stage, settings)


def last_activity(candidate: Any, settings: Settings) -> datetime | None:
    """When Workable last updated the candidate (`updated_at`), if it says so readably."""
    return time_of(dict_of(candidate).get("updated_at"), settings)


def _row(
    candidate: dict[str, Any], status: Status, stage: str | None, settings: Settings
) -> ImportRow:
    email = text_of(candidate.get("email"))
    if not email or "@" not in email:
        raise UnusablePayload("the candidate has no email address")
    job = candidate.get("job")
    shortcode, title = text_of(dict_of(job).get("shortcode")), text_of(dict_of(job).get("title"))
    if not shortcode or not title:
        raise UnusablePayload("the candidate's job has no shortcode or title")
    found = recruiter_or_default(None, None, settings)  # Workable names no recruiter
    if found is None:
        raise UnusablePayload(
            "Workable names no recruiter and HELPDESK_DEFAULT_RECRUITER_EMAIL is not set"
        )
    ats_id = text_of(candidate.get("id"))
    applied = time_of(candidate.get("created_at"), settings)
    if ats_id is None or applied is None:
        raise UnusablePayload("the candidate has no id or no created_at")
    name = text_of(candidate.get("name")) or " ".join(
        part
        for part in (text_of(candidate.get("firstname")), text_of(candidate.get("lastname")))
        if part
    )
    phone = text_of(candidate.get("phone"))
    return import_row(
        source=SOURCE,
        ats_id=ats_id,
        name=name,
        email=email,
        vacancy_code=f"WK-{shortcode}",
        vacancy_title=title,
        recruiter=found,
        applied_at=applied,
        status=status,
        stage=stage,
        phone=phone if phone and PHONE.match(phone) else None,
    )


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


class CandidatesPull:
    """Workable's API v3 as a PullSource: the account's candidates, `paging.next` pages."""

    default_api_url = DEFAULT_API_URL

    def session_options(self, api_key: str) -> dict[str, Any]:
        return {"headers": {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}}

    def first_url(self, api_url: str, since: str | None, access: AtsAccess) -> str:
        if "{subdomain}" in api_url:
            raise SyncFailed(
                f"set {API_URL_VARIABLE} to your Workable account's API address, "
                "e.g. https://acme.workable.com/spi/v3"
            )
        url = f"{api_url}/candidates?limit={LIMIT}"
        return url + f"&updated_after={quote(_api_time(since), safe='')}" if since else url

    def read_page(
        self,
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
                row = application_row(
                    {**candidate, "stage": stage_name(candidate.get("stage"))}, settings, mapping
                )
            except (UnusablePayload, ValueError, TypeError, OverflowError):
                row = None  # incomplete (no email, job or dates): not one the desk can keep
            if row is None:
                page.skipped += 1  # talent pool, still sourced, or incomplete
                continue
            page.rows.append((row, last_activity(candidate, settings) or row.applied_at))
        return page


ADAPTER = Adapter(
    name=SOURCE,
    signed_part=signed_part,
    signed_at=signed_at,
    read_event=read_event,
    pull=CandidatesPull(),
    max_body=MAX_BODY,
)
