"""Lever's web hooks: hints that an opportunity changed, confirmed from Lever's API.

Source: Lever's API documentation, section "Webhooks", https://hire.lever.co/developer/documentation
(also https://hire.sandbox.lever.co/developer/documentation#webhooks), and Lever's help article
https://help.lever.co/hc/en-us/articles/20087284427677-Configuring-webhooks.

Lever posts a JSON body `{"triggeredAt": <ms since epoch>, "event": ..., "data": {...},
"token": ..., "signature": ...}`. The signature is in the body, not in a header: the hex
HMAC-SHA256, keyed with the web hook's signature token (LEVER_WEBHOOK_SECRET; Lever gives each
event type a token of its own), of the text `token + triggeredAt`. It covers nothing else: not
the event, not its data. Whoever captured one delivery can send the same token, triggeredAt and
signature with any event and any opportunity. So:

- The signature is checked on the raw bytes: the three signed members are found with bounded
  patterns (exactly one of each; no JSON is parsed), and the HMAC computed once per secret over
  a few dozen bytes. A body that does not verify costs no parsing; Lever's bodies carry ids only
  (a few hundred bytes), so anything over MAX_BODY is refused before that.
- triggeredAt is the signed time: the freshness window is checked against it (replay.py).
- A delivery is named by a SHA-256 of `token + triggeredAt`, what is signed: the same signed
  pair with other data is the same delivery, handled once, and one captured envelope costs at
  most one call to Lever's API. (Whoever intercepts a delivery before it arrives can spend its
  name on another opportunity, whose state Lever then gives; the real one counts as a duplicate
  and its change waits for the next event or pull. Naming it by anything unsigned would let
  one envelope call Lever's API without end instead.)
- The event and its data are only a hint of which opportunity to look at. Before anything
  changes, `confirm` reads that opportunity from Lever's API (api.py, LEVER_API_KEY) and
  applies the state Lever gives, by the same rules as the pull sync; what the delivery claims
  is never applied. Without LEVER_API_KEY a delivery changes nothing (503 and a warning in the
  log); while Lever's API cannot be read, 503, so that Lever delivers again (Lever's own pages
  here do not give its retry policy; third-party accounts say deliveries answered with a server
  error are retried). A retry that keeps its triggeredAt and comes after
  HELPDESK_WEBHOOK_MAX_AGE_SECONDS is refused; `helpdesk ats sync lever` catches up.

Lever's data carries ids, not names: `opportunityId` (the application, which is what the store
keys a Lever application by), `candidateId`/`contactId`, `applicationId`, and per event
`fromStageId`/`toStageId` or `fromArchived`/`toArchived`. The events that name an opportunity
whose status may have changed are candidateStageChange, candidateArchiveChange and
candidateHired; they move applications the help desk already holds. An opportunity's status is
its archive state when archived (rejected, or withdrawn when the reason is a withdrawal per the
mapping's `withdrawn_reasons` or Lever's own "Withdrew"; a reason the mapping maps to a closed
status, e.g. the "Hired" reason's id to `hired`, takes that status), else its stage (by its id
when HELPDESK_ATS_MAPPING names it, else by its name's words).

`applicationCreated` names an opportunity the help desk does not hold yet: it is ignored, and
the pull sync fetches new applications. Deletions, interviews and contacts are no concern.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from ats.models import CLOSED_STATUSES, Status
from ats.settings import Settings
from ats.store import ATSStore
from ats.store_basics import utcnow
from ats.sync.events import (
    AtsEvent,
    Outcome,
    StatusChange,
    Unconfirmed,
    UnusablePayload,
    holds,
)
from ats.sync.lever import api as lever_api
from ats.sync.mapping import StageMapping
from ats.sync.readers import dict_of, hex_hmac_matches, text_of

logger = logging.getLogger(__name__)

SOURCE = "lever"
MAX_BODY = 64 * 1024  # bytes; Lever's bodies are ids and times, a few hundred bytes
STATUS_EVENTS = {"candidateStageChange", "candidateArchiveChange", "candidateHired"}
# Lever's own archive reasons for an applicant who withdrew (its default reasons include
# "Withdrew"; "Offer declined" is the applicant's decision too)
LEVER_WITHDRAWALS = ("withdrew", "candidate withdrew", "offer declined")

# The signed members as they stand in the raw body. Bounded and free of nested repetition, so a
# search costs time linear in the (already bounded) body. A JSON string without escapes, as
# Lever's hex tokens are; triggeredAt as an integer (or its digits quoted).
_TOKEN = re.compile(rb'"token"\s*:\s*"([^"\\\x00-\x1f]{1,200})"')
_TRIGGERED_AT = re.compile(rb'"triggeredAt"\s*:\s*(?:"([0-9]{1,16})"|([0-9]{1,16})(?=[\s,}]))')
_SIGNATURE = re.compile(rb'"signature"\s*:\s*"([0-9A-Fa-f]{64})"')


def _signed_members(body: bytes) -> tuple[bytes, bytes, str] | None:
    """token, triggeredAt and signature from the raw body: exactly one of each, else None (a
    body with two candidates for one of them is not Lever's, and would be ambiguous)."""
    found = []
    for pattern in (_TOKEN, _TRIGGERED_AT, _SIGNATURE):
        matches = pattern.findall(body)
        if len(matches) != 1:
            return None
        match = matches[0]
        found.append(b"".join(match) if isinstance(match, tuple) else match)
    token, triggered, signature = found
    return token, triggered, signature.decode("ascii")


def signed_part(body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> bytes | None:
    """`token + triggeredAt`, the bytes Lever's signature covers, when the body's signature is
    their HMAC under one of the secrets; else None. Reads no JSON."""
    if not isinstance(body, bytes | bytearray) or len(body) > MAX_BODY:
        return None
    members = _signed_members(bytes(body))
    if members is None:
        return None
    token, triggered, signature = members
    signed = token + triggered
    return signed if any(hex_hmac_matches(signed, signature, s) for s in secrets) else None


def signature_matches(body: bytes, headers: Mapping[str, str], secret: str) -> bool:
    """True when the body's `signature` is the HMAC of its `token + triggeredAt` under the
    web hook's signature token."""
    return signed_part(body, headers, [secret]) is not None


def signed_at(body: bytes, event: dict[str, Any], settings: Settings) -> datetime | None:
    """The delivery's signed time: triggeredAt, read from the raw body as it was verified (not
    from the parsed JSON, which could hold another)."""
    members = _signed_members(bytes(body)) if len(body) <= MAX_BODY else None
    return _time(int(members[1])) if members else None


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


def _reason(archived: dict[str, Any]) -> tuple[str | None, str | None]:
    """An archive reason's id and, where the payload carries it, its name."""
    reason = archived.get("reason")
    if isinstance(reason, dict):  # as the API's `expand=archived.reason` gives it
        return text_of(reason.get("id"), 300), text_of(reason.get("text"), 300)
    return text_of(reason, 300), text_of(archived.get("reasonText"), 300)


# public for the pull sync (pull.py), which reads the same fields from Lever's API
time_of = _time


def read_event(
    body: dict[str, Any], event_id: str, settings: Settings, mapping: StageMapping
) -> AtsEvent:
    """What a delivery claims happened: a hint only, which `confirm` replaces with what Lever's
    API says. Raises UnusablePayload for one that names no opportunity."""
    body = dict_of(body)
    name = body.get("event") if isinstance(body.get("event"), str) else None
    data = dict_of(body.get("data"))
    occurred = _time(body.get("triggeredAt"))
    if name not in STATUS_EVENTS:
        # applicationCreated carries ids only: the pull sync fetches new applications from
        # Lever's API. candidateDeleted, interviews and contacts are no concern.
        return AtsEvent(SOURCE, event_id, occurred or utcnow())  # changes nothing
    if occurred is None:
        raise UnusablePayload(f"the {name} event has no triggeredAt")
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


def _archive_change(opportunity: str, data: dict[str, Any], mapping: StageMapping) -> StatusChange:
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


def opportunity_change(
    opportunity_id: str, opportunity: dict[str, Any], mapping: StageMapping
) -> StatusChange:
    """An opportunity as Lever's API gives it (stage expanded) as the status it is in: its
    archive state when archived, else its stage (by id when the employer's mapping names it,
    else by its name's words). The stage is kept by its name where Lever gives one."""
    stage = opportunity.get("stage")
    stage_id = text_of(stage.get("id") if isinstance(stage, dict) else stage, 200)
    shown = text_of(dict_of(stage).get("text"), 200) or stage_id
    archived = opportunity.get("archived")
    if isinstance(archived, dict):
        return replace(archive_change(opportunity_id, archived, mapping), stage=shown)
    mapped = mapping.stages.get((stage_id or "").lower())  # the employer maps Lever's stage ids
    return StatusChange(opportunity_id, mapped or mapping.status_of(shown), stage=shown)


def last_activity(opportunity: dict[str, Any]) -> datetime | None:
    """When the opportunity last changed, by Lever's account: the latest of updatedAt,
    lastInteractionAt, lastAdvancedAt and its archiving; None when it gives none."""
    archived = dict_of(opportunity.get("archived"))
    times = [_time(opportunity.get(name)) for name in ("updatedAt", "lastInteractionAt")]
    times += [_time(opportunity.get("lastAdvancedAt")), _time(archived.get("archivedAt"))]
    known = [at for at in times if at is not None]
    return max(known) if known else None


async def confirm(
    event: AtsEvent, store: ATSStore, settings: Settings, mapping: StageMapping
) -> AtsEvent | Outcome:
    """The change Lever's API says the opportunity a delivery names has had, in place of what
    the delivery claims; an Outcome when there is nothing to ask Lever about. Raises Unconfirmed
    when Lever cannot be asked (no LEVER_API_KEY, its API unreachable)."""
    if event.change is None:
        return event  # an event of no concern changes nothing: nothing to confirm
    access = settings.access(SOURCE)
    api_key = access.api_key
    if not api_key:
        logger.warning(
            "a Lever web hook delivery changed nothing: LEVER_API_KEY is not set, and a "
            "delivery is only applied as Lever's API confirms it"
        )
        raise Unconfirmed(
            "LEVER_API_KEY is not set: the help desk applies a Lever delivery only as Lever's "
            "API confirms it, so nothing was changed"
        )
    opportunity_id = event.change.ats_id
    if not await holds(store, SOURCE, opportunity_id):
        return Outcome.UNKNOWN_APPLICATION  # asked of Lever only for applications held
    api_url = access.api_url or lever_api.DEFAULT_API_URL
    try:
        opportunity = await lever_api.read_opportunity(
            opportunity_id, api_key=api_key, api_url=api_url
        )
    except lever_api.LeverUnavailable as problem:
        logger.warning("a Lever delivery is not applied yet: %s", problem)
        raise Unconfirmed(f"{problem}; deliver again") from None
    if opportunity is None:
        # Lever has no such opportunity (deleted since): there is nothing to apply
        return replace(event, change=None)
    at = last_activity(opportunity)
    if at is None:
        return replace(event, change=None)  # no time to order it by: not applied over others
    change = opportunity_change(opportunity_id, opportunity, mapping)
    if change.status is not event.change.status:
        # an honest delivery and the API agree unless the opportunity moved on since; a
        # replayed envelope with other data does not
        logger.info(
            "Lever delivery %s claimed %s for an opportunity Lever has at %s: Lever's applied",
            event.event_id[:20],
            event.change.status.value,
            change.status.value,
        )
    # the time Lever gives the state applied, not the delivery's: the state is Lever's
    return replace(event, occurred_at=at, change=change)
