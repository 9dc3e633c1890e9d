"""Recruitee: its web hooks (signed whole) and the pull from its API.

`webhooks.py` reads deliveries as the help desk's events (and the records both sides share),
`pull.py` lists the company's candidates for `helpdesk ats sync recruitee`; `ADAPTER` is
Recruitee as an AtsAdapter.
"""

from __future__ import annotations

from ats.sync.adapter import Adapter
from ats.sync.recruitee import webhooks
from ats.sync.recruitee.pull import CandidatesPull

SOURCE = webhooks.SOURCE


# Recruitee signs whole applications or status changes: the event is as signed.
ADAPTER = Adapter(
    name=SOURCE,
    signed_part=webhooks.signed_part,
    signed_at=webhooks.signed_at,
    read_event=webhooks.read_event,
    pull=CandidatesPull(),
    max_body=webhooks.MAX_BODY,
)
