"""A desk change written to Greenhouse through its Harvest API (v1).

Harvest's documentation (https://developers.greenhouse.io/harvest.html): Basic auth with the
API key and an empty password; every write names the Greenhouse user it is made as in the
`On-Behalf-Of` header (GREENHOUSE_WRITE_AS, a user id). Used:

- `GET /applications/{id}`: the application's `candidate_id`, `status`, `current_stage`
  (`{id, name}`) and `jobs`;
- `GET /jobs/{job_id}/stages`: the job's stages (`id`, `name`), in order;
- `POST /applications/{id}/move` `{"from_stage_id", "to_stage_id"}`: to another stage;
- `POST /applications/{id}/unreject` `{}`: a rejected application active again;
- `GET /rejection_reasons`: the reasons (`id`, `name`, `type: {id, name}`);
- `POST /applications/{id}/reject` `{"rejection_reason_id", "notes"}`: rejected or withdrawn;
- `POST /candidates/{id}/activity_feed/notes` `{"user_id", "body", "visibility"}`: the note
  that says who changed what in the help desk, on every change.

A stage is chosen by the name the recruiter gave, else as the first of the job's stages whose
name means the status (the employer's HELPDESK_ATS_MAPPING, then the words in it). A hire is
made in Greenhouse itself (an offer and an opening): the help desk refuses to fake one.
"""

from __future__ import annotations

from typing import Any

from ats.desk_changes import NOTE_ONLY
from ats.models import CLOSED_VALUES, Status
from ats.sync.mapping import StageMapping
from ats.sync.readers import dict_of
from ats.sync.writeback.api import Api, Change, Refused, by_name, listed

DEFAULT_API_URL = "https://harvest.greenhouse.io/v1"


async def write(api: Api, change: Change, mapping: StageMapping) -> None:
    application = dict_of(await api.call("GET", f"/applications/{change.ats_id}"))
    candidate_id = application.get("candidate_id")
    if change.status == Status.HIRED.value:
        raise Refused("a hire is made in Greenhouse itself (offer and opening)")
    if change.status in (Status.REJECTED.value, Status.WITHDRAWN.value):
        if application.get("status") != "rejected":
            reason = await _rejection_reason(api, change, mapping)
            await api.call(
                "POST",
                f"/applications/{change.ats_id}/reject",
                body={"rejection_reason_id": reason, "notes": change.note},
            )
    elif change.status not in NOTE_ONLY:
        if application.get("status") == "rejected" and change.status not in CLOSED_VALUES:
            await api.call("POST", f"/applications/{change.ats_id}/unreject", body={})
        await _move(api, change, mapping, application)
    if candidate_id is not None:
        await api.call(
            "POST",
            f"/candidates/{candidate_id}/activity_feed/notes",
            body={
                "user_id": api.headers.get("On-Behalf-Of"),
                "body": change.note,
                "visibility": "admin_only",
            },
        )


async def _move(
    api: Api, change: Change, mapping: StageMapping, application: dict[str, Any]
) -> None:
    jobs = listed(application.get("jobs"))
    job_id = jobs[0].get("id") if jobs else change.vacancy_code.removeprefix("GH-")
    stages = listed(await api.call("GET", f"/jobs/{job_id}/stages"))
    target = by_name(stages, change.stage) or next(
        (s for s in stages if mapping.status_of(s.get("name")).value == change.status), None
    )
    if target is None:
        raise Refused(f"no stage of the Greenhouse job means {change.status}")
    current = dict_of(application.get("current_stage")).get("id")
    if current == target.get("id"):
        return
    await api.call(
        "POST",
        f"/applications/{change.ats_id}/move",
        body={"from_stage_id": current, "to_stage_id": target.get("id")},
    )


async def _rejection_reason(api: Api, change: Change, mapping: StageMapping) -> object:
    withdrew = change.status == Status.WITHDRAWN.value
    for reason in listed(await api.call("GET", "/rejection_reasons")):
        kind = dict_of(reason.get("type")).get("name")
        if mapping.is_withdrawal(reason.get("name"), kind) == withdrew:
            return reason.get("id")
    raise Refused(f"Greenhouse lists no rejection reason for {change.status}")
