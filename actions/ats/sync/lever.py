"""Lever's webhooks, read as the help desk's events.

Source: Lever's API documentation, section "Webhooks", https://hire.lever.co/developer/documentation
(also https://hire.sandbox.lever.co/developer/documentation#webhooks), and Lever's help article
https://help.lever.co/hc/en-us/articles/20087284427677-Configuring-webhooks.

Lever posts a JSON body `{"triggeredAt": <ms since epoch>, "event": ..., "data": {...},
"token": ..., "signature": ...}`. The signature is in the body, not in a header: the hex
HMAC-SHA256, keyed with the webhook's signature token (LEVER_WEBHOOK_SECRET), of the text
`token + triggeredAt`. It does not cover `data`, so a delivery is named by its token (see
`delivery_id`): a signed envelope replayed with other data is a duplicate once the original
was handled.

Lever's data carries ids, not names: `opportunityId` (the application, which is what the store
keys a Lever application by), `candidateId`/`contactId`, `applicationId`, and per event
`fromStageId`/`toStageId` or `fromArchived`/`toArchived` (`{"archivedAt": ms, "reason": id}`).
So most events are a `StatusChange`:

- `candidateStageChange`: the stage id, named through the employer's mapping (HELPDESK_ATS_MAPPING
  may map Lever stage ids, e.g. `"c3ee7d...": "interview"`); an unknown id means screening;
- `candidateArchiveChange`: archived = rejected, or withdrawn when the reason (id, or name where
  a payload carries one) is a withdrawal per the mapping's `withdrawn_reasons` or Lever's own
  "Withdrew"; a reason the mapping maps to a status (e.g. the "Hired" archive reason's id to
  `hired`) takes that status. Unarchived = open again, screening;
- `candidateHired`: hired.

`applicationCreated` carries only ids, not the candidate, job or recruiter, so it cannot create
the application here: it is ignored, and the pull sync (to come) fetches the new application
from Lever's API. Deletions, interviews and contacts are no concern of the help desk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from actions.ats.models import CLOSED_STATUSES, Status
from actions.ats.store import utcnow
from actions.ats.sync.events import AtsEvent, StatusChange, UnusablePayload
from actions.ats.sync.mapping import StageMapping
from actions.ats.sync.readers import dict_of, hex_hmac_matches, text_of
from actions.settings import Settings

SOURCE = "lever"
SECRET_VARIABLE = "LEVER_WEBHOOK_SECRET"
STATUS_EVENTS = {"candidateStageChange", "candidateArchiveChange", "candidateHired"}
# Lever's own archive reasons for an applicant who withdrew (its default reasons include
# "Withdrew"; "Offer declined" is the applicant's decision too)
LEVER_WITHDRAWALS = ("withdrew", "candidate withdrew", "offer declined")


def signature_matches(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """True when the body's `signature` is the HMAC of its `token + triggeredAt` under the
    webhook's signature token."""
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        return False
    if not isinstance(event, dict):
        return False
    token, signature = event.get("token"), event.get("signature")
    triggered = _triggered_text(event.get("triggeredAt"))
    if not isinstance(token, str) or not token or triggered is None:
        return False
    return hex_hmac_matches((token + triggered).encode("utf-8", "replace"), signature, secret)


def _triggered_text(value: Any) -> str | None:
    """triggeredAt as Lever wrote it into the signed text: the integer's digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value
    return None


def delivery_id(headers: Mapping[str, str], event: dict) -> str | None:
    """Lever sends no delivery id header; the body's token names the delivery. triggeredAt is
    added: it is signed with the token, so the pair names one signed delivery even if a token
    were reused."""
    token, name = event.get("token"), event.get("event")
    if not isinstance(token, str) or not token.strip():
        return None
    triggered = _triggered_text(event.get("triggeredAt")) or ""
    return f"{name if isinstance(name, str) else ''}:{token.strip()}:{triggered}"[:200]


def _time(milliseconds: Any) -> datetime | None:
    """A Lever time (ms since the epoch, UTC)."""
    if isinstance(milliseconds, str) and milliseconds.isascii() and milliseconds.isdigit():
        milliseconds = int(milliseconds)
    if not isinstance(milliseconds, int | float) or isinstance(milliseconds, bool):
        return None
    try:
        return datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def _reason(archived: dict) -> tuple[str | None, str | None]:
    """An archive reason's id and, where the payload carries it, its name."""
    reason = archived.get("reason")
    if isinstance(reason, dict):  # as the API's `expand=archived.reason` gives it
        return text_of(reason.get("id"), 300), text_of(reason.get("text"), 300)
    return text_of(reason, 300), text_of(archived.get("reasonText"), 300)


# public for the pull sync (lever_pull.py), which reads the same fields from Lever's API
time_of = _time


def read_event(body: dict, event_id: str, settings: Settings, mapping: StageMapping) -> AtsEvent:
    """The event a delivery describes; raises UnusablePayload for one that cannot be kept."""
    name = body.get("event") if isinstance(body.get("event"), str) else None
    data = dict_of(body.get("data"))
    occurred = (
        _time(body.get("triggeredAt"))
        or _time(dict_of(data.get("toArchived")).get("archivedAt"))
        or utcnow()
    )
    if name not in STATUS_EVENTS:
        # applicationCreated carries ids only: the pull sync (to come) fetches the application
        # from Lever's API. candidateDeleted, interviews and contacts are no concern.
        return AtsEvent(SOURCE, event_id, occurred)
    opportunity = text_of(data.get("opportunityId"), 100)
    if opportunity is None:
        raise UnusablePayload(f"the {name} event names no opportunityId")
    if name == "candidateHired":
        change = StatusChange(opportunity, Status.HIRED)
    elif name == "candidateStageChange":
        stage = text_of(data.get("toStageId"), 200)
        if stage is None:
            raise UnusablePayload("the stage change names no toStageId")
        change = StatusChange(opportunity, mapping.status_of(stage), stage=stage)
    else:
        change = _archive_change(opportunity, data, mapping)
    return AtsEvent(SOURCE, event_id, occurred, change=change)


def _archive_change(opportunity: str, data: dict, mapping: StageMapping) -> StatusChange:
    archived = data.get("toArchived")
    if archived is None:
        if "toArchived" not in data:
            raise UnusablePayload("the archive change has no toArchived")
        # unarchived: back in the pipeline, at a stage the payload does not name
        return StatusChange(opportunity, Status.SCREENING)
    if not isinstance(archived, dict):
        raise UnusablePayload("the archive change's toArchived is not an object")
    reason_id, reason_name = _reason(archived)
    for reason in (reason_id, reason_name):
        mapped = mapping.stages.get((reason or "").strip().lower())
        if mapped in CLOSED_STATUSES:  # e.g. the "Hired" reason's id mapped to hired
            status = mapped
            break
    else:
        withdrew = mapping.is_withdrawal(reason_id, reason_name) or (
            (reason_name or "").lower() in LEVER_WITHDRAWALS
        )
        status = Status.WITHDRAWN if withdrew else Status.REJECTED
    return StatusChange(opportunity, status, close_reason=reason_name or reason_id)


def archive_change(opportunity: str, archived: Any, mapping: StageMapping) -> StatusChange:
    """An opportunity's `archived` ({"reason", "archivedAt"}, or None when it is not archived)
    as the status change it means: the same rules as a candidateArchiveChange event."""
    return _archive_change(opportunity, {"toArchived": archived}, mapping)
