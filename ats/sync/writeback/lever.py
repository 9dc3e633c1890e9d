"""A desk change written to Lever through its API.

Lever's documentation (https://hire.lever.co/developer/documentation, "Opportunities",
"Stages", "Archive reasons", "Notes"): Basic auth with the API key and an empty password;
writes name the Lever user they are made as with the `perform_as` parameter (LEVER_WRITE_AS,
a user id). Used:

- `GET /opportunities/{id}`: whether it is archived now;
- `GET /stages`: `{"data": [{id, text}]}`;
- `PUT /opportunities/{id}/stage?perform_as=` `{"stage": id}`;
- `GET /archive_reasons`: `{"data": [{id, text, type}]}`, type `hired` or `non-hired`;
- `PUT /opportunities/{id}/archived?perform_as=` `{"reason": id}` (rejected, withdrawn or
  hired, by the reason's type and words), `{"reason": null}` to make it active again;
- `POST /opportunities/{id}/notes?perform_as=` `{"value": text}`: the note, on every change.

Assumed: that `{"reason": null}` makes an archived opportunity active again (the desk moving a
rejected application back into the pipeline).
"""

from __future__ import annotations

from ats.desk_changes import NOTE_ONLY
from ats.models import Status
from ats.sync.mapping import StageMapping
from ats.sync.readers import dict_of
from ats.sync.writeback.api import Api, Change, Refused, by_name, listed

DEFAULT_API_URL = "https://api.lever.co/v1"

ARCHIVED = frozenset({Status.REJECTED.value, Status.WITHDRAWN.value, Status.HIRED.value})
WITHDRAWAL_WORDS = ("withdrew", "withdrawn", "withdraw")


async def write(api: Api, change: Change, mapping: StageMapping, perform_as: str) -> None:
    as_user = {"perform_as": perform_as}
    path = f"/opportunities/{change.ats_id}"
    opportunity = dict_of(dict_of(await api.call("GET", path)).get("data"))
    archived = bool(opportunity.get("archived"))
    if change.status in ARCHIVED:
        reason = await _archive_reason(api, change, mapping)
        await api.call("PUT", f"{path}/archived", body={"reason": reason}, params=as_user)
    elif change.status not in NOTE_ONLY:
        if archived:
            await api.call("PUT", f"{path}/archived", body={"reason": None}, params=as_user)
        stages = listed(await api.call("GET", "/stages"), "data")
        target = by_name(stages, change.stage, "text") or next(
            (s for s in stages if mapping.status_of(s.get("text")).value == change.status), None
        )
        if target is None:
            raise Refused(f"no Lever stage means {change.status}")
        await api.call("PUT", f"{path}/stage", body={"stage": target.get("id")}, params=as_user)
    await api.call("POST", f"{path}/notes", body={"value": change.note}, params=as_user)


async def _archive_reason(api: Api, change: Change, mapping: StageMapping) -> object:
    hired = change.status == Status.HIRED.value
    withdrew = change.status == Status.WITHDRAWN.value
    for reason in listed(await api.call("GET", "/archive_reasons"), "data"):
        text = str(reason.get("text") or "")
        if (reason.get("type") == "hired") != hired:
            continue
        words = any(word in text.lower() for word in WITHDRAWAL_WORDS)
        if hired or (words or mapping.is_withdrawal(text)) == withdrew:
            return reason.get("id")
    raise Refused(f"Lever lists no archive reason for {change.status}")
