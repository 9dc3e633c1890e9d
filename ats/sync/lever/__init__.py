"""Lever: its web hooks (hints, confirmed from its API) and the pull from its API.

`webhooks.py` reads and confirms deliveries, `api.py` reads one opportunity from Lever's API,
`pull.py` lists them for `helpdesk ats sync lever`; `ADAPTER` is Lever as an AtsAdapter.
"""

from __future__ import annotations

from ats.sync.adapter import Adapter
from ats.sync.lever import webhooks
from ats.sync.lever.pull import OpportunitiesPull

SOURCE = webhooks.SOURCE


# A delivery signs only its envelope, so Lever's API confirms what it says.
ADAPTER = Adapter(
    name=SOURCE,
    signed_part=webhooks.signed_part,
    signed_at=webhooks.signed_at,
    read_event=webhooks.read_event,
    confirm=webhooks.confirm,
    pull=OpportunitiesPull(),
    max_body=webhooks.MAX_BODY,
)
