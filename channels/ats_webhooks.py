"""POST /ats/<ats>: the employer's ATS tells the help desk what changed (live sync).

Each ATS has a module in actions/ats/sync/ (greenhouse.py, ...) that checks a delivery's
signature, names the delivery and reads it as an event. A receiver is on when its secret is set
(GREENHOUSE_WEBHOOK_SECRET, ...), else 404. A delivery whose signature does not verify gets 401
and touches nothing; a body that is not an event gets 400; an event that cannot be kept (no
email address, no job) gets 422 with the reason, so the ATS's delivery log shows it; everything
else 200 with what was done ("applied", "duplicate", "stale", "ignored", "unknown_application").
While the store is away, or HELPDESK_ATS_MAPPING is not valid, 503: the ATS delivers again.
Served by every Rasa server, like the other channels; the store makes it safe for several to
receive the same delivery.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from actions.ats.sync.events import UnusablePayload, apply_event
from actions.ats.sync.mapping import StageMapping, load_mapping
from actions.settings import ConfigurationError

logger = logging.getLogger(__name__)

ATS_NAMES = ("greenhouse", "lever", "recruitee", "workable")
MAX_BODY = 1024 * 1024  # bytes; the ATSs' largest events (hires with offers) are far smaller


def receiver(ats: str) -> ModuleType | None:
    """The module that reads this ATS's deliveries, when the help desk has one."""
    if ats not in ATS_NAMES:  # a fixed list: no name from the URL reaches the importer
        return None
    try:
        return importlib.import_module(f"actions.ats.sync.{ats}")
    except ModuleNotFoundError:
        return None


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
            from desk.services import DeskServices

            module = receiver(ats)
            raw = os.environ.get(module.SECRET_VARIABLE, "") if module else ""
            # several, comma-separated: Lever signs each event type with a token of its own
            secrets = [secret.strip() for secret in raw.split(",") if secret.strip()]
            if not secrets:
                return response.json({"error": f"no web hook for {ats[:40]!r} is set up"}, 404)
            body = request.body or b""
            if len(body) > MAX_BODY:
                return response.json({"error": "the body is too large"}, 413)
            if not any(module.signature_matches(body, request.headers, s) for s in secrets):
                return response.json({"error": "the signature does not verify"}, 401)
            try:
                event = json.loads(body)
            except ValueError:
                return response.json({"error": "the body is not JSON"}, 400)
            if not isinstance(event, dict):
                return response.json({"error": f"the body is not a {ats} event"}, 400)
            # a delivery without an id is named by its content: the same body is the same event
            event_id = str(module.delivery_id(request.headers, event) or "").strip()[:200]
            event_id = event_id or "sha256:" + hashlib.sha256(body).hexdigest()
            services = DeskServices.get()
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
            try:
                outcome = await apply_event(services.store, services.settings, read)
            except (SQLAlchemyError, OSError):
                logger.exception("%s event %s not kept: the ATS store is away", ats, event_id)
                return response.json({"error": "the store is unavailable; deliver again"}, 503)
            return response.json({"status": outcome.value})

        return hooks
