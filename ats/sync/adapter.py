"""What each ATS provides to the live sync: the `AtsAdapter` interface and the pieces it speaks in.

One adapter per ATS (ats/sync/greenhouse.py, ats/sync/lever/, ats/sync/recruitee/,
ats/sync/workable.py), all listed in ats/sync/registry.py. An adapter says:

- its name (the `ats_system` of what it imports, the `<ats>` of `/ats/<ats>` and of
  `helpdesk ats sync <ats>`) and the environment variables its settings come from (read by
  `Settings.from_env()` into `settings.access(name)`; named here for messages to the operator);
- how a web hook delivery is authenticated (`signed_part`: the bytes its signature covers, read
  before any JSON), when it was signed (`signed_at`), and what it says (`read_event`); where a
  delivery is only a hint (Lever), `confirm` replaces it with what the ATS's API says;
- how its API is pulled (`pull`, a `PullSource`), or None when the help desk has no pull for it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ats.rows import ImportRow
from ats.settings import AtsAccess, Settings
from ats.store import ATSStore
from ats.sync.events import AtsEvent, Outcome
from ats.sync.mapping import StageMapping

DEFAULT_MAX_BODY = 1024 * 1024  # bytes


class SyncFailed(Exception):
    """The API refused or failed; the state file says where to resume."""


@dataclass
class Page:
    """One page of an ATS's list: applications with their last activity, and the next page."""

    rows: list[tuple[ImportRow, datetime]] = field(default_factory=list)
    next_url: str | None = None
    skipped: int = 0  # records the help desk cannot or need not keep (prospects, no email)


@dataclass(frozen=True)
class Variables:
    """The environment variables an ATS's settings are read from (see ats/settings.py)."""

    webhook_secret: str
    api_key: str
    api_url: str

    @classmethod
    def of(cls, name: str) -> Variables:
        prefix = name.upper()
        return cls(f"{prefix}_WEBHOOK_SECRET", f"{prefix}_API_KEY", f"{prefix}_API_URL")


class PullSource(Protocol):
    """How an ATS's API is asked for its applications, page by page (ats/sync/pull.py loops)."""

    @property
    def default_api_url(self) -> str:
        """The API's address when the settings name none (Workable's: a pattern to fill in)."""
        ...

    def session_options(self, api_key: str) -> dict[str, Any]:
        """aiohttp.ClientSession keyword arguments: the API's authentication."""
        ...

    def first_url(self, api_url: str, since: str | None, access: AtsAccess) -> str:
        """The first page's URL; only what changed since `since` (ISO 8601) when it is given
        and the API can filter so. Raises SyncFailed when the settings lack what it needs."""
        ...

    def read_page(
        self,
        data: Any,
        headers: Mapping[str, str],
        settings: Settings,
        mapping: StageMapping,
        url: str = "",
    ) -> Page:
        """One answer (`data`: its JSON; `url`: the page asked for) as rows and the next page.
        Never raises: what cannot be kept is counted as skipped."""
        ...


class AtsAdapter(Protocol):
    """One ATS, as the web hook channel and the pull sync use it."""

    @property
    def name(self) -> str: ...

    @property
    def variables(self) -> Variables: ...

    @property
    def max_body(self) -> int:
        """The largest web hook body taken, in bytes (larger: 413, unread)."""
        ...

    @property
    def pull(self) -> PullSource | None:
        """How its API is pulled, or None when the help desk has no pull for it."""
        ...

    def signed_part(
        self, body: bytes, headers: Mapping[str, str], secrets: Sequence[str]
    ) -> bytes | None:
        """The bytes the signature covers when it verifies under one of `secrets`, else None.
        Reads no JSON."""
        ...

    def signed_at(self, body: bytes, event: dict[str, Any], settings: Settings) -> datetime | None:
        """The delivery's signed time, checked against the freshness window (replay.py)."""
        ...

    def read_event(
        self, body: dict[str, Any], event_id: str, settings: Settings, mapping: StageMapping
    ) -> AtsEvent:
        """The event a delivery describes; raises UnusablePayload for one that cannot be kept."""
        ...

    def confirm(
        self, event: AtsEvent, store: ATSStore, settings: Settings, mapping: StageMapping
    ) -> Awaitable[AtsEvent | Outcome]:
        """The event to apply in place of `event` (itself, where the signature covers what it
        says), or an Outcome when there is nothing to apply; raises Unconfirmed when the ATS
        cannot be asked now."""
        ...


async def as_signed(
    event: AtsEvent, store: ATSStore, settings: Settings, mapping: StageMapping
) -> AtsEvent | Outcome:
    """`confirm` for an ATS whose signature covers the whole event: the event as it is."""
    return event


@dataclass(frozen=True)
class Adapter:
    """An AtsAdapter made of an ATS module's own functions (each one's docstring is in
    AtsAdapter above)."""

    name: str
    signed_part: Callable[[bytes, Mapping[str, str], Sequence[str]], bytes | None]
    signed_at: Callable[[bytes, dict[str, Any], Settings], datetime | None]
    read_event: Callable[[dict[str, Any], str, Settings, StageMapping], AtsEvent]
    pull: PullSource | None
    confirm: Callable[
        [AtsEvent, ATSStore, Settings, StageMapping], Awaitable[AtsEvent | Outcome]
    ] = as_signed
    max_body: int = DEFAULT_MAX_BODY

    @property
    def variables(self) -> Variables:
        return Variables.of(self.name)
