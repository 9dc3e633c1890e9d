"""A desk change written to Recruitee through its API.

Recruitee's API (https://docs.recruitee.com/reference): `https://api.recruitee.com/c/{company}`
with a personal API token as `Authorization: Bearer <token>` (the token is a user's own, so
writes are made as that user). The application's ATS id is the placement id, its vacancy
RT-<offer id>. Used:

- `GET /c/{company}/offers/{offer}`: the job, with its pipeline's stages
  (`offer.pipeline_template.stages`: `id`, `name`, `category`);
- `PATCH /c/{company}/placements/{id}/change_stage` `{"stage_id": id}`: to another stage (a
  hire: to the stage of category `hire`);
- `GET /c/{company}/disqualify_reasons`: `{"disqualify_reasons": [{id, name}]}`;
- `PATCH /c/{company}/placements/{id}/disqualify` `{"disqualify_reason_id": id}`;
- `POST /c/{company}/notes` `{"note": {"body", "placement_id"}}`: the note, on every change.

Assumed, not in the documentation found: the stages' place in the offer's answer, the bodies
of change_stage and disqualify (ids, as the web hooks name them) and of the note.
"""

from __future__ import annotations

from ats.desk_changes import NOTE_ONLY
from ats.models import Status
from ats.sync.mapping import StageMapping
from ats.sync.readers import dict_of
from ats.sync.recruitee.webhooks import WITHDRAWAL_REASONS, stage_status
from ats.sync.writeback.api import Api, Change, Refused, by_name, listed

DEFAULT_API_URL = "https://api.recruitee.com"


async def write(api: Api, change: Change, mapping: StageMapping, company: str) -> None:
    root = f"/c/{company}"
    placement = f"{root}/placements/{change.ats_id}"
    if change.status in (Status.REJECTED.value, Status.WITHDRAWN.value):
        withdrew = change.status == Status.WITHDRAWN.value
        answer = await api.call("GET", f"{root}/disqualify_reasons")
        reason = next(
            (
                r
                for r in listed(answer, "disqualify_reasons")
                if (
                    str(r.get("name") or "").lower() in WITHDRAWAL_REASONS
                    or mapping.is_withdrawal(r.get("name"))
                )
                == withdrew
            ),
            None,
        )
        if reason is None:
            raise Refused(f"Recruitee lists no disqualify reason for {change.status}")
        await api.call(
            "PATCH", f"{placement}/disqualify", body={"disqualify_reason_id": reason.get("id")}
        )
    elif change.status not in NOTE_ONLY:
        offer_id = change.vacancy_code.removeprefix("RT-")
        offer = dict_of(dict_of(await api.call("GET", f"{root}/offers/{offer_id}")).get("offer"))
        stages = listed(dict_of(offer.get("pipeline_template")).get("stages"))
        target = by_name(stages, change.stage) or next(
            (s for s in stages if stage_status(s, mapping).value == change.status), None
        )
        if target is None:
            raise Refused(f"no stage of the Recruitee job means {change.status}")
        await api.call("PATCH", f"{placement}/change_stage", body={"stage_id": target.get("id")})
    await api.call(
        "POST",
        f"{root}/notes",
        body={"note": {"body": change.note, "placement_id": change.ats_id}},
    )
