"""Lever: its web hooks (hints, confirmed from its API) and the pull from its API.

`webhooks.py` reads and confirms deliveries, `api.py` reads one opportunity from Lever's API,
`pull.py` lists them for `helpdesk ats sync lever`; `ADAPTER` is Lever as an AtsAdapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ats.settings import Settings
from ats.store import ATSStore
from ats.sync.adapter import PullSource, Variables
from ats.sync.events import AtsEvent, Outcome
from ats.sync.lever import webhooks
from ats.sync.lever.pull import OpportunitiesPull
from ats.sync.mapping import StageMapping

SOURCE = webhooks.SOURCE


class Lever:
    """Lever as an AtsAdapter: a delivery signs only its envelope, so its API confirms it."""

    name = SOURCE
    variables = Variables.of(SOURCE)
    max_body = webhooks.MAX_BODY
    pull: PullSource | None = OpportunitiesPull()

    def signed_part(
        self, body: bytes, headers: Mapping[str, str], secrets: Sequence[str]
    ) -> bytes | None:
        return webhooks.signed_part(body, headers, secrets)

    def signed_at(self, body: bytes, event: dict[str, Any], settings: Settings) -> datetime | None:
        return webhooks.signed_at(body, event, settings)

    def read_event(
        self, body: dict[str, Any], event_id: str, settings: Settings, mapping: StageMapping
    ) -> AtsEvent:
        return webhooks.read_event(body, event_id, settings, mapping)

    async def confirm(
        self, event: AtsEvent, store: ATSStore, settings: Settings, mapping: StageMapping
    ) -> AtsEvent | Outcome:
        return await webhooks.confirm(event, store, settings, mapping)


ADAPTER = Lever()
