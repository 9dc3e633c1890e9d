"""A desk change written to Workable through its API v3.

Workable's documentation (https://workable.readme.io/reference: "Move candidate",
"Disqualify candidate", "Revert disqualification", "Add a comment", "Job stages"):
`https://{subdomain}.workable.com/spi/v3` (WORKABLE_API_URL) with the API token as
`Authorization: Bearer <token>` (scope w_candidates); every write names the Workable member it
is made as (`member_id`, WORKABLE_WRITE_AS). A Workable candidate is one application; its job
is WK-<shortcode>. Used:

- `GET /jobs/{shortcode}/stages`: `{"stages": [{slug, name, kind, position}]}`;
- `POST /candidates/{id}/move` `{"member_id", "target_stage": slug}` (a hire: the stage of kind
  `hired`);
- `POST /candidates/{id}/disqualify` `{"member_id", "disqualification_reason", "withdrew"}`;
- `POST /candidates/{id}/revert` `{"member_id"}`: a candidate the desk had disqualified back in
  the pipeline, before a move;
- `POST /candidates/{id}/comments` `{"member_id", "comment": {"body"}}`: the note.

Assumed: the `withdrew` flag of disqualify (Workable's candidate has it; the documented
example shows member_id and disqualification_reason).
"""

from __future__ import annotations

from ats.desk_changes import NOTE_ONLY
from ats.models import Status
from ats.sync.mapping import StageMapping
from ats.sync.workable import stage_status
from ats.sync.writeback.api import Api, Change, Refused, by_name, listed

REASONS = {Status.REJECTED.value: "Rejected", Status.WITHDRAWN.value: "Candidate withdrew"}


async def write(api: Api, change: Change, mapping: StageMapping, member_id: str) -> None:
    candidate = f"/candidates/{change.ats_id}"
    if change.status in REASONS:
        await api.call(
            "POST",
            f"{candidate}/disqualify",
            body={
                "member_id": member_id,
                "disqualification_reason": REASONS[change.status],
                "withdrew": change.status == Status.WITHDRAWN.value,
            },
        )
    elif change.status not in NOTE_ONLY:
        shortcode = change.vacancy_code.removeprefix("WK-")
        stages = listed(await api.call("GET", f"/jobs/{shortcode}/stages"), "stages")
        target = by_name(stages, change.stage) or next(
            (
                s
                for s in stages
                if stage_status(s.get("name"), s.get("kind"), mapping).value == change.status
            ),
            None,
        )
        if target is None:
            raise Refused(f"no stage of the Workable job means {change.status}")
        if change.from_status in REASONS:
            await api.call("POST", f"{candidate}/revert", body={"member_id": member_id})
        await api.call(
            "POST",
            f"{candidate}/move",
            body={"member_id": member_id, "target_stage": target.get("slug")},
        )
    await api.call(
        "POST",
        f"{candidate}/comments",
        body={"member_id": member_id, "comment": {"body": change.note}},
    )
