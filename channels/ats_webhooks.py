"""POST /ats/<ats>: the employer's ATS tells the help desk what changed (live sync).

Each ATS has an adapter (ats/sync/adapter.py, listed in ats/sync/registry.py) that says what
its signature covers and how to read a delivery. A receiver is on when its secret is set
(GREENHOUSE_WEBHOOK_SECRET, ...: `settings.access(<ats>).webhook_secrets`), else 404. In
order, each step costing nothing the one before did not allow:

1. A body over the adapter's `max_body` gets 413, unread.
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
   adapter's `confirm` reads the state from the ATS's API first; what the delivery claims is
   not applied.
6. Everything else 200 with what was done ("applied", "duplicate", "stale", "ignored",
   "unknown_application").

While the store is away, the file HELPDESK_ATS_MAPPING names is not valid, or the ATS's API
cannot confirm a delivery, 503: the ATS delivers again. (HELPDESK_WEBHOOK_MAX_AGE_SECONDS is
checked with the other settings, when the process starts.) Served by every Rasa server, like
the other channels; the store makes it safe for several to receive the same delivery.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from ats.settings import ConfigurationError
from ats.store_basics import utcnow
from ats.sync import replay
from ats.sync.events import (
    Outcome,
    Unconfirmed,
    UnusablePayload,
    already_handled,
    apply_event,
)
from ats.sync.mapping import StageMapping, load_mapping
from ats.sync.registry import adapter
from desk.services import DeskServices

logger = logging.getLogger(__name__)


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

        @hooks.route("/<ats>", methods=["POST"])
        async def delivery(request: Request, ats: str) -> HTTPResponse:
            module = adapter(ats)  # a fixed registry: no name from the URL reaches an import
            services = DeskServices.get()
            settings = services.settings
            # several, comma-separated: Lever signs each event type with a token of its own
            secrets = settings.access(ats).webhook_secrets if module else ()
            if module is None or not secrets:
                return response.json({"error": f"no web hook for {ats[:40]!r} is set up"}, 404)
            body = request.body or b""
            if len(body) > module.max_body:
                return response.json({"error": "the body is too large"}, 413)
            signed = module.signed_part(body, request.headers, secrets)
            if signed is None:
                return response.json({"error": "the signature does not verify"}, 401)
            oldest = replay.max_age(settings)
            try:
                event = json.loads(body)
            except (ValueError, RecursionError):
                return response.json({"error": "the body is not JSON"}, 400)
            if not isinstance(event, dict):
                return response.json({"error": f"the body is not a {ats} event"}, 400)
            signed_at = module.signed_at(body, event, settings)
            if signed_at is not None:
                refused = replay.refusal(signed_at, utcnow(), oldest)
                if refused:
                    logger.warning("%s delivery refused: %s", ats, refused)
                    return response.json({"error": refused}, 400)
            event_id = replay.delivery_key(signed)
            try:
                # the same signed bytes again: a duplicate, whatever else the body says and
                # before anything is asked of the ATS's API
                if await already_handled(services.store, module.name, event_id):
                    return response.json({"status": Outcome.DUPLICATE.value})
            except (SQLAlchemyError, OSError):
                return _store_away(ats)
            try:
                if ats not in mappings:
                    mappings[ats] = load_mapping(ats, settings.ats_mapping_path)
                read = module.read_event(event, event_id, settings, mappings[ats])
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
                if read.change is not None:
                    confirmed = await module.confirm(read, services.store, settings, mappings[ats])
                    if isinstance(confirmed, Outcome):
                        return response.json({"status": confirmed.value})
                    read = confirmed
                outcome = await apply_event(services.store, settings, read)
            except Unconfirmed as problem:
                return response.json({"error": str(problem)}, 503)
            except (SQLAlchemyError, OSError):
                return _store_away(ats)
            return response.json({"status": outcome.value})

        return hooks
