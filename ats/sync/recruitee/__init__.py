"""Recruitee: its web hooks (signed whole) and the pull from its API.

`webhooks.py` reads deliveries as the help desk's events (and the records both sides share),
`pull.py` lists the company's candidates for `helpdesk ats sync recruitee`; `ADAPTER` is
Recruitee as an AtsAdapter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ats.settings import Settings
from ats.store import ATSStore
from ats.sync.adapter import PullSource, Variables
from ats.sync.events import AtsEvent, Outcome
from ats.sync.mapping import StageMapping
from ats.sync.recruitee import webhooks
from ats.sync.recruitee.pull import CandidatesPull

SOURCE = webhooks.SOURCE


class Recruitee:
    """Recruitee as an AtsAdapter: signed web hooks, whole applications or status changes."""

    name = SOURCE
    variables = Variables.of(SOURCE)
    max_body = webhooks.MAX_BODY
    pull: PullSource | None = CandidatesPull()

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
        return event  # the signature covers the whole body: the event is as signed


ADAPTER = Recruitee()
