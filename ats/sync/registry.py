"""The ATSs the help desk syncs with: each one's adapter, by name (`/ats/<name>`,
`helpdesk ats sync <name>`). A name not listed here has no web hook and no pull."""

from __future__ import annotations

from ats.settings import ATS_NAMES
from ats.sync import greenhouse, lever, recruitee, workable
from ats.sync.adapter import AtsAdapter

ADAPTERS: dict[str, AtsAdapter] = {
    adapter.name: adapter
    for adapter in (greenhouse.ADAPTER, lever.ADAPTER, recruitee.ADAPTER, workable.ADAPTER)
}
if tuple(ADAPTERS) != ATS_NAMES:  # the settings read an access group for each of them
    raise RuntimeError("ats.settings.ATS_NAMES and the adapters in ats.sync.registry differ")


def adapter(name: str) -> AtsAdapter | None:
    """The adapter of the ATS called `name`, or None when the help desk has none."""
    return ADAPTERS.get(name)
