"""POST /ats/<ats>: the employer's ATS tells the help desk what changed (live sync).

Each ATS has a module in ats/sync/ (greenhouse.py, ...) that says what its signature
covers and how to read a delivery. A receiver is on when its secret is set
(GREENHOUSE_WEBHOOK_SECRET, ...), else 404. In order, each step costing nothing the one before
did not allow:

1. A body over the ATS's MAX_BODY gets 413, unread.
2. The signature is checked on the raw bytes, before any JSON is parsed: 401 and nothing else
   when it does not verify.
3. The body is parsed once (400 when it is not a JSON object), and its signed time checked
   against the freshness window (replay.py): 400 when it is older than
   HELPDESK_WEBHOOK_MAX_AGE_SECONDS or ahead of this server's clock.
4. The delivery is named by a SHA-256 of the bytes its signature covers, never by a header the
   signature does not cover: the same signed bytes again are a "duplicate", whatever else the
   body says, and cost no call to the ATS's API.
5. An event that cannot be kept (no email address, no job) gets 422 with the reason, so the
   ATS's delivery log shows it. Where a signature covers less than the event (Lever), the
   module's `confirm` reads the state from the ATS's API first; what the delivery claims is
   not applied.
6. Everything else 200 with what was done ("applied", "duplicate", "stale", "ignored",
   "unknown_application").

While the store is away, HELPDESK_ATS_MAPPING or HELPDESK_WEBHOOK_MAX_AGE_SECONDS is not
valid, or the ATS's API cannot confirm a delivery, 503: the ATS delivers again. Served by every
Rasa server, like the other channels; the store makes it safe for several to receive the same
delivery.

A module provides SOURCE, SECRET_VARIABLE, MAX_BODY, `signed_part(body, headers, secrets)` (the
bytes the signature covers, or None; no JSON read), `signed_at(body, event, settings)`,
`read_event(event, event_id, settings, mapping)` and, where a delivery is only a hint,
`async confirm(event, store, settings, mapping)`.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from types import ModuleType
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from ats.settings import ConfigurationError
from ats.store import utcnow
from ats.sync import replay
from ats.sync.events import (
    Outcome,
    Unconfirmed,
    UnusablePayload,
    already_handled,
    apply_event,
)
from ats.sync.mapping import StageMapping, load_mapping

logger = logging.getLogger(__name__)

ATS_NAMES = ("greenhouse", "lever", "recruitee", "workable")
MAX_BODY = 1024 * 1024  # bytes; for a module that names no MAX_BODY of its own


def receiver(ats: str) -> ModuleType | None:
    """The module that reads this ATS's deliveries, when the help desk has one."""
    if ats not in ATS_NAMES:  # a fixed list: no name from the URL reaches the importer
        return None
    try:
        return importlib.import_module(f"ats.sync.{ats}")
    except ModuleNotFoundError:
        return None


def _store_away(ats: str) -> HTTPResponse:
    logger.exception("%s delivery not kept: the ATS store is away", ats)
    return response.json({"error": "the store is unavailable; deliver again"}, 503)


class AtsWebhooks(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "ats_webhooks"

    def url_prefix(self) -> str:
        return "/ats"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hooks = Blueprint("ats_webhooks", __name__)
        # read once per ATS, like the rest of the configuration: not a file read per delivery
        mappings: dict[str, StageMapping] = {}
        oldest: timedelta | None = None
        try:
            oldest = replay.max_age()
        except ConfigurationError as problem:
            logger.error("ATS web hooks refuse every delivery until mended: %s", problem)

        @hooks.route("/<ats>", methods=["POST"])
        async def delivery(request: Request, ats: str) -> HTTPResponse:
            from desk.services import DeskServices

            module = receiver(ats)
            raw = os.environ.get(module.SECRET_VARIABLE, "") if module else ""
            # several, comma-separated: Lever signs each event type with a token of its own
            secrets = [secret.strip() for secret in raw.split(",") if secret.strip()]
            if not secrets:
                return response.json({"error": f"no web hook for {ats[:40]!r} is set up"}, 404)
            body = request.body or b""
            if len(body) > getattr(module, "MAX_BODY", MAX_BODY):
                return response.json({"error": "the body is too large"}, 413)
            signed = module.signed_part(body, request.headers, secrets)
            if signed is None:
                return response.json({"error": "the signature does not verify"}, 401)
            if oldest is None:
                return response.json(
                    {"error": f"the help desk's {replay.MAX_AGE_VARIABLE} is not valid"}, 503
                )
            try:
                event = json.loads(body)
            except (ValueError, RecursionError):
                return response.json({"error": "the body is not JSON"}, 400)
            if not isinstance(event, dict):
                return response.json({"error": f"the body is not a {ats} event"}, 400)
            services = DeskServices.get()
            signed_at = module.signed_at(body, event, services.settings)
            if signed_at is not None:
                refused = replay.refusal(signed_at, utcnow(), oldest)
                if refused:
                    logger.warning("%s delivery refused: %s", ats, refused)
                    return response.json({"error": refused}, 400)
            event_id = replay.delivery_key(signed)
            try:
                # the same signed bytes again: a duplicate, whatever else the body says and
                # before anything is asked of the ATS's API
                if await already_handled(services.store, module.SOURCE, event_id):
                    return response.json({"status": Outcome.DUPLICATE.value})
            except (SQLAlchemyError, OSError):
                return _store_away(ats)
            try:
                if ats not in mappings:
                    mappings[ats] = load_mapping(ats)
                read = module.read_event(event, event_id, services.settings, mappings[ats])
            except UnusablePayload as problem:
                logger.warning("%s event %s not kept: %s", ats, event_id, problem)
                return response.json({"error": str(problem)}, 422)
            except ConfigurationError as problem:
                # the employer's to mend; meanwhile the ATS keeps the delivery and tries again
                logger.error("%s event %s not kept: %s", ats, event_id, problem)
                return response.json({"error": "the help desk's ATS mapping is not valid"}, 503)
            if signed_at is None and (read.row is not None or read.change is not None):
                # without a signed time a replay could not be told from a fresh delivery
                return response.json({"error": "the delivery carries no signed time"}, 400)
            try:
                confirm = getattr(module, "confirm", None)
                if confirm is not None and read.change is not None:
                    confirmed = await confirm(
                        read, services.store, services.settings, mappings[ats]
                    )
                    if isinstance(confirmed, Outcome):
                        return response.json({"status": confirmed.value})
                    read = confirmed
                outcome = await apply_event(services.store, services.settings, read)
            except Unconfirmed as problem:
                return response.json({"error": str(problem)}, 503)
            except (SQLAlchemyError, OSError):
                return _store_away(ats)
            return response.json({"status": outcome.value})

        return hooks
