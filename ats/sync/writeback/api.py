"""The HTTP side of writing back: one ATS's API, asked with retries, and what a change is.

A 429 or a 5xx answer, a refused key (401, 403) and a connection that fails are passing: the
call is made again after a pause (Retry-After where the ATS gives one, else doubling), and
after the last try `Unavailable` leaves the change pending for the deadline monitor's next
sweep. Any other 4xx is the ATS refusing this change: `Refused`, with what it said.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

TRIES = 3
LONGEST_PAUSE_SECONDS = 30.0
REASON_CHARS = 300


class Unavailable(Exception):
    """The ATS could not take the change now (down, rate limiting, key refused, not
    configured): the change stays pending and is tried again later."""


class Refused(Exception):
    """The ATS refused this change for good (or it cannot be expressed in the ATS): the change
    is marked failed with this reason, and the desk shows it."""


@dataclass(frozen=True)
class Change:
    """A desk change as the writers need it: which application in the ATS, to what."""

    ats_id: str
    vacancy_code: str
    from_status: str | None
    status: str
    stage: str | None
    note: str


class Api:
    """One ATS's API at `base`, with the headers (authentication) every call carries."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base: str,
        name: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth: aiohttp.BasicAuth | None = None,
        pause: float = 1.0,
    ) -> None:
        self.http = http
        self.base = base.rstrip("/")
        self.name = name
        self.headers = dict(headers or {})
        self.auth = auth
        self.pause = pause

    async def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        """The answer's JSON (None when it has none); raises Unavailable or Refused."""
        problem = ""
        wait = 0.0
        for attempt in range(TRIES):
            if attempt:
                await asyncio.sleep(wait)
            wait = min(self.pause * 2**attempt, LONGEST_PAUSE_SECONDS)
            try:
                async with self.http.request(
                    method,
                    f"{self.base}{path}",
                    json=body,
                    params=params,
                    headers=self.headers,
                    auth=self.auth,
                ) as answer:
                    text = await answer.text()
                    if answer.status == 429 or answer.status >= 500:
                        problem = f"{self.name} answered {answer.status}"
                        asked = _retry_after(answer.headers.get("Retry-After"))
                        wait = min(asked or wait, LONGEST_PAUSE_SECONDS)
                        continue
                    if answer.status in (401, 403):
                        # a key fixed later lets the change through: pending, with the reason
                        raise Unavailable(
                            f"{self.name} refused the help desk's key ({answer.status})"
                        )
                    if answer.status >= 400:
                        said = " ".join(text.split())[:REASON_CHARS]
                        raise Refused(
                            f"{self.name} answered {answer.status} to {method} {path}: {said}"
                        )
                    if not text.strip():
                        return None
                    try:
                        return await answer.json(content_type=None)
                    except ValueError:
                        return None
            except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                problem = f"{self.name} could not be reached ({type(error).__name__})"
        raise Unavailable(f"{problem} ({TRIES} tries)")


def _retry_after(value: str | None) -> float:
    try:
        return max(0.0, float(value or 0))
    except ValueError:
        return 0.0


def listed(data: Any, key: str | None = None) -> list[dict[str, Any]]:
    """The objects of a list answer (`data` itself, or `data[key]`)."""
    items = data.get(key) if key and isinstance(data, dict) else data
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def by_name(
    items: list[dict[str, Any]], name: str | None, field: str = "name"
) -> dict[str, Any] | None:
    """The item called `name` (any case), or None."""
    wanted = (name or "").strip().lower()
    if not wanted:
        return None
    for item in items:
        value = item.get(field)
        if isinstance(value, str) and value.strip().lower() == wanted:
            return item
    return None
