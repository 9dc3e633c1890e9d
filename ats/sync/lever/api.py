"""Lever's API as the help desk reaches it: the key, the address, and reading one opportunity.

Source: Lever's API documentation, https://hire.lever.co/developer/documentation (sections
"Authentication", "Expanding fields" and "Opportunities"; sandbox copy at
https://hire.sandbox.lever.co/developer/documentation): Basic auth with the API key as the user
name and an empty password; `GET /opportunities/:opportunity` answers `{"data": {...}}` with one
opportunity, and `expand=stage` puts the stage (`{id, text}`) in place of its id.

The pull sync (pull.py) lists opportunities with the same key; the web hook receiver
(webhooks.py) reads the one opportunity a delivery names, because a delivery's signature does not
cover what it says happened.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp

from ats.sync.readers import dict_of, text_of

logger = logging.getLogger(__name__)

API_KEY_VARIABLE = "LEVER_API_KEY"
API_URL_VARIABLE = "LEVER_API_URL"
DEFAULT_API_URL = "https://api.lever.co/v1"
# a web hook is answered while Lever waits: a slow API means "deliver again", not a hung request
READ_TIMEOUT_SECONDS = 10


class LeverUnavailable(Exception):
    """Lever's API could not tell the opportunity's state (unreachable, failing, or refusing
    the key); the delivery is answered 503 so that Lever delivers it again."""


def session_options(api_key: str) -> dict[str, Any]:
    """aiohttp.ClientSession keyword arguments: Basic auth, the key and an empty password."""
    return {"auth": aiohttp.BasicAuth(api_key, "")}


def opportunity_url(api_url: str, opportunity_id: str) -> str:
    # the id comes from a delivery Lever's signature does not cover: quoted, it stays one path
    # segment whatever it holds
    path = f"{api_url.rstrip('/')}/opportunities/{quote(opportunity_id, safe='')}"
    return f"{path}?{urlencode([('expand', 'stage')])}"


async def read_opportunity(
    opportunity_id: str, *, api_key: str, api_url: str
) -> dict[str, Any] | None:
    """The opportunity as Lever holds it now (stage expanded), or None when Lever has no such
    opportunity; raises LeverUnavailable when Lever's API cannot say."""
    url = opportunity_url(api_url, opportunity_id)
    timeout = aiohttp.ClientTimeout(total=READ_TIMEOUT_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, **session_options(api_key)) as http,
            http.get(url) as answer,
        ):
            if answer.status == 404:
                return None
            if answer.status in (401, 403):
                logger.error("Lever's API refused LEVER_API_KEY (%s)", answer.status)
                raise LeverUnavailable(f"Lever's API refused the help desk's key ({answer.status})")
            if answer.status != 200:
                raise LeverUnavailable(f"Lever's API answered {answer.status}")
            data = await answer.json(content_type=None)
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
        raise LeverUnavailable(f"Lever's API could not be read ({type(error).__name__})") from None
    opportunity = dict_of(dict_of(data).get("data"))
    if text_of(opportunity.get("id"), 100) != opportunity_id[:100]:
        raise LeverUnavailable("Lever's API did not answer with the opportunity asked for")
    return opportunity
