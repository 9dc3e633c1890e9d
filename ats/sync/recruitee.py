"""Recruitee: its web hooks read as the help desk's events, and the pull from its API.

The web hooks.

Sources: https://docs.recruitee.com/docs/webhooks (configuration, the `{"test": true}` request
sent by the Test button, retries of any delivery not answered with 200) and, for the signature
and the stage-change body, the Recruitee (Tellent) webhook route summarised at
https://mcp.waymark.network/r/062df291-900d-41be-8d8a-dc7d94458d6b (domain docs.recruitee.com):
`X-Recruitee-Signature` is the base16 (hex) HMAC-SHA256 of the raw body under the webhook's
secret; `candidate_moved`/`stage_changed` events carry `payload.details.from_stage` and
`to_stage`, each with `id`, `name` and `category`.

The whole body is signed, `created_at` (when the event happened) with it: that is the delivery's
signed time, checked against the freshness window, and the event's time for ordering. A delivery
is named by a SHA-256 of its signed body (replay.py). Recruitee keeps retrying any delivery not
answered with 200, each retry later than the one before (its log shows each request, its answer
and the next attempt, and offers "retry now"); a retry keeps `id` and `created_at` (only
`attempt_count` grows), so one the help desk could not take within
HELPDESK_WEBHOOK_MAX_AGE_SECONDS is refused on every retry: cancel the retries in Recruitee's log
and catch up with `helpdesk ats sync recruitee`. The Test button's `{"test": true}` carries no
time and changes nothing: it is answered 200 as before.

A body is `{"id": <event id>, "event_type": ..., "event_subtype": ..., "created_at": ...,
"payload": {"candidate": {...}, "offer": {...}, "placement": {...}, "details": {...}}}`:
`offer` is the job, `placement` is the candidate on that job. Used here:

- `candidate_assigned`: the candidate was put on a job (a new application);
- `candidate_moved`: the placement moved to `details.to_stage`;
- `candidate_disqualified`: rejected, or withdrawn when `details.disqualify_reason` says the
  candidate withdrew (Recruitee's own "Withdrew"-style reasons below, or reasons the employer
  lists in HELPDESK_ATS_MAPPING);
- `candidate_requalified`: back at the placement's stage.

The application's ATS id is the placement id: a Recruitee candidate is one person across jobs,
and the help desk's application is one candidate on one job, which is what a placement is.
Payloads that carry the whole application (candidate email, job id and title, when the candidate
was put on the job) become an import row; those that carry only ids become a status change of
an application the help desk already holds. Everything else (test requests, deletions, notes,
job events) is of no concern and ignored.

A stage's status comes from its Recruitee category (apply, phone_screen, interview, evaluation,
offer, hire), unless the employer named that stage in HELPDESK_ATS_MAPPING; a stage without a
known category is read by its name like any other ATS's.

The pull (`helpdesk ats sync recruitee`; see pull.py for the loop every ATS shares).

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

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from ats.models import Status
from ats.rows import ImportRow
from ats.settings import AtsAccess, Settings
from ats.store import ATSStore, utcnow
from ats.sync.adapter import Page, PullSource, SyncFailed, Variables
from ats.sync.events import AtsEvent, Outcome, StatusChange, UnusablePayload
from ats.sync.mapping import StageMapping
from ats.sync.readers import (
    dict_of,
    hex_hmac_matches,
    import_row,
    recruiter_or_default,
    text_of,
    time_of,
)

SOURCE = "recruitee"
COMPANY_VARIABLE = "RECRUITEE_COMPANY_ID"
DEFAULT_API_URL = "https://api.recruitee.com"
LIMIT = 100
SIGNATURE_HEADER = "X-Recruitee-Signature"
MAX_BODY = 1024 * 1024  # bytes
EVENTS = {
    "candidate_assigned",
    "candidate_moved",
    "candidate_disqualified",
    "candidate_requalified",
}
# Recruitee's stage categories and what they mean
CATEGORY_STATUS = {
    "apply": Status.APPLIED,
    "applied": Status.APPLIED,
    "phone_screen": Status.SCREENING,
    "screening": Status.SCREENING,
    "interview": Status.INTERVIEW,
    "evaluation": Status.INTERVIEW,
    "offer": Status.OFFER,
    "hire": Status.HIRED,
    "hired": Status.HIRED,
}
# disqualify reasons Recruitee and its users commonly give for a candidate who withdrew
WITHDRAWAL_REASONS = frozenset(
    {
        "withdrew",
        "withdrawn",
        "candidate withdrew",
        "candidate withdrawn",
        "took another offer",
        "accepted another offer",
    }
)


def signature_matches(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """True when X-Recruitee-Signature is the body's hex HMAC-SHA256 under the secret."""
    if not isinstance(body, bytes):
        return False
    return hex_hmac_matches(body, headers.get(SIGNATURE_HEADER), secret)


def signed_part(body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> bytes | None:
    """The bytes the signature covers (the whole raw body) when it verifies under one of the
    secrets, else None. Reads no JSON."""
    return body if any(signature_matches(body, headers, s) for s in secrets) else None


def signed_at(body: bytes, event: dict[str, Any], settings: Settings) -> datetime | None:
    """The delivery's signed time: when the event happened (`created_at`, in the signed body)."""
    return time_of(dict_of(event).get("created_at"), settings)


def id_of(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    return str(value).strip()[:100] or None


def _email(candidate: dict[str, Any]) -> str | None:
    """The candidate's first email address: `emails` is a list of strings (or of objects with
    `value`/`email`), `email` a single one."""
    found: list[Any] = []
    if isinstance(candidate.get("emails"), list):
        found.extend(candidate["emails"])
    found.append(candidate.get("email"))
    for item in found:
        if isinstance(item, dict):
            item = item.get("value") or item.get("email")
        text = text_of(item)
        if text and "@" in text:
            return text
    return None


def stage_status(stage: dict[str, Any], mapping: StageMapping) -> Status:
    """The stage's status: the employer's name for it first, then Recruitee's category, then
    the words in its name."""
    name = text_of(stage.get("name"))
    if name and name.lower() in mapping.stages:
        return mapping.status_of(name)
    category = text_of(stage.get("category"))
    if category and category.lower() in CATEGORY_STATUS:
        return CATEGORY_STATUS[category.lower()]
    return mapping.status_of(name)


def _reason(details: dict[str, Any], placement: dict[str, Any]) -> str | None:
    reason = details.get("disqualify_reason") or placement.get("disqualify_reason")
    if isinstance(reason, dict):
        reason = reason.get("name") or reason.get("title")
    return text_of(reason)


def disqualified_status(reason: str | None, mapping: StageMapping) -> Status:
    """A disqualified placement: withdrawn when the reason says the candidate withdrew
    (Recruitee's own reasons or the employer's in HELPDESK_ATS_MAPPING), else rejected."""
    withdrew = (reason or "").lower() in WITHDRAWAL_REASONS or mapping.is_withdrawal(reason)
    return Status.WITHDRAWN if withdrew else Status.REJECTED


def disqualify_reason(placement: dict[str, Any]) -> str | None:
    """The placement's disqualify reason (text, or an object with `name`/`title`)."""
    return _reason({}, dict_of(placement))


def read_time(value: Any, settings: Settings) -> datetime | None:
    """An ISO 8601 time from Recruitee, or None when absent or not a time."""
    return time_of(value, settings)


def build_row(
    payload: dict[str, Any], ats_id: str, status: Status, stage: str | None, settings: Settings
) -> tuple[ImportRow | None, str]:
    """The whole application from `{"candidate", "offer", "placement"}` (as a web hook carries
    them), or None and what it lacks."""
    return _row(payload, ats_id, status, stage, settings)


def read_event(
    body: dict[str, Any], event_id: str, settings: Settings, mapping: StageMapping
) -> AtsEvent:
    """The event a delivery describes; raises UnusablePayload for one that cannot be kept."""
    body = dict_of(body)
    occurred = time_of(body.get("created_at"), settings)
    kind = text_of(body.get("event_type"))
    if body.get("test") is True or kind not in EVENTS:
        return AtsEvent(SOURCE, event_id, occurred or utcnow())  # changes nothing
    if occurred is None:
        # a time made up here would make any replay of this body the newest event
        raise UnusablePayload(f"the {kind} event has no created_at: its time is unknown")
    payload = dict_of(body.get("payload"))
    details = dict_of(payload.get("details"))
    placement = dict_of(payload.get("placement"))
    ats_id = id_of(placement.get("id"))
    if ats_id is None:
        raise UnusablePayload(f"the {kind} event names no placement (candidate on a job)")
    close_reason = None
    if kind == "candidate_disqualified":
        close_reason = _reason(details, placement)
        status = disqualified_status(close_reason, mapping)
        stage = dict_of(placement.get("stage")) or dict_of(details.get("stage"))
    else:
        stage = (
            dict_of(details.get("to_stage"))
            or dict_of(details.get("stage"))
            or dict_of(placement.get("stage"))
        )
        if kind == "candidate_moved" and not stage:
            raise UnusablePayload("the candidate_moved event names no stage it moved to")
        status = stage_status(stage, mapping)
    stage_name = text_of(stage.get("name"))
    stage_name = stage_name[:200] if stage_name else None
    row, missing = _row(payload, ats_id, status, stage_name, settings)
    if row is not None:
        return AtsEvent(SOURCE, event_id, occurred, row=row)
    if kind == "candidate_assigned":
        raise UnusablePayload(f"a new application needs {missing}")
    change = StatusChange(ats_id, status, stage=stage_name, close_reason=close_reason)
    return AtsEvent(SOURCE, event_id, occurred, change=change)


def _row(
    payload: dict[str, Any], ats_id: str, status: Status, stage: str | None, settings: Settings
) -> tuple[ImportRow | None, str]:
    """The whole application, or None and what it lacks."""
    candidate = dict_of(payload.get("candidate"))
    offer = dict_of(payload.get("offer")) or dict_of(payload.get("job"))
    placement = dict_of(payload.get("placement"))
    email = _email(candidate)
    if email is None:
        return None, "the candidate's email address"
    job_id = id_of(offer.get("id")) or id_of(placement.get("offer_id"))
    title = text_of(offer.get("title")) or text_of(offer.get("name"))
    if job_id is None or title is None:
        return None, "a job (offer) with an id and a title"
    applied = time_of(placement.get("created_at"), settings)
    if applied is None:
        return None, "the time the candidate was put on the job (placement.created_at)"
    recruiter = dict_of(offer.get("recruiter"))
    found = recruiter_or_default(recruiter.get("email"), recruiter.get("name"), settings)
    if found is None:
        return None, "a recruiter (the job has none and HELPDESK_DEFAULT_RECRUITER_EMAIL is unset)"
    row = import_row(
        source=SOURCE,
        ats_id=ats_id,
        name=text_of(candidate.get("name")),
        email=email,
        vacancy_code=f"RT-{job_id}",
        vacancy_title=title,
        recruiter=found,
        applied_at=applied,
        status=status,
        stage=stage,
    )
    return row, ""


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


class Recruitee:
    """Recruitee as an AtsAdapter: signed web hooks, whole applications or status changes."""

    name = SOURCE
    variables = Variables.of(SOURCE)
    max_body = MAX_BODY
    pull: PullSource | None = CandidatesPull()

    def signed_part(
        self, body: bytes, headers: Mapping[str, str], secrets: Sequence[str]
    ) -> bytes | None:
        return signed_part(body, headers, secrets)

    def signed_at(self, body: bytes, event: dict[str, Any], settings: Settings) -> datetime | None:
        return signed_at(body, event, settings)

    def read_event(
        self, body: dict[str, Any], event_id: str, settings: Settings, mapping: StageMapping
    ) -> AtsEvent:
        return read_event(body, event_id, settings, mapping)

    async def confirm(
        self, event: AtsEvent, store: ATSStore, settings: Settings, mapping: StageMapping
    ) -> AtsEvent | Outcome:
        return event  # the signature covers the whole body: the event is as signed


ADAPTER = Recruitee()
