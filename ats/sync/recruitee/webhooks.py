"""Recruitee's web hooks, read as the help desk's events (the pull from its API: pull.py).

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
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ats.models import Status
from ats.rows import ImportRow
from ats.settings import Settings
from ats.store_basics import utcnow
from ats.sync.events import AtsEvent, StatusChange, UnusablePayload
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
