"""POST /ats/greenhouse: the employer's ATS tells the help desk what changed (live sync).

On when the ATS's webhook secret is set (GREENHOUSE_WEBHOOK_SECRET), else 404. A delivery whose
signature does not verify gets 401 and touches nothing; a body that is not an event gets 400; an
event that cannot be kept (no email address, no job) gets 422 with the reason, so the ATS's
delivery log shows it; everything else 200 with what was done ("applied", "duplicate", "stale",
"ignored"). Served by every Rasa server, like the other channels; the store makes it safe for
several to receive the same delivery.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.ats.sync import greenhouse
from actions.ats.sync.events import apply_event
from actions.ats.sync.mapping import load_mapping

logger = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # bytes; Greenhouse's largest events (hires with offers) are far smaller


class AtsWebhooks(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "ats_webhooks"

    def url_prefix(self) -> str:
        return "/ats"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        hooks = Blueprint("ats_webhooks", __name__)

        @hooks.route("/greenhouse", methods=["POST"])
        async def from_greenhouse(request: Request) -> HTTPResponse:
            from desk.services import DeskServices

            secret = os.environ.get("GREENHOUSE_WEBHOOK_SECRET", "").strip()
            if not secret:
                return response.json({"error": "the Greenhouse webhook is not set up"}, 404)
            body = request.body or b""
            if len(body) > MAX_BODY:
                return response.json({"error": "the body is too large"}, 413)
            if not greenhouse.signature_matches(body, request.headers.get("Signature"), secret):
                return response.json({"error": "the signature does not verify"}, 401)
            try:
                event = json.loads(body)
            except ValueError:
                return response.json({"error": "the body is not JSON"}, 400)
            if not isinstance(event, dict) or not isinstance(event.get("action"), str):
                return response.json({"error": "the body is not a Greenhouse event"}, 400)
            event_id = (request.headers.get("Greenhouse-Event-ID") or "").strip()[:200]
            # a delivery without an id is named by its content: the same body is the same event
            event_id = event_id or "sha256:" + hashlib.sha256(body).hexdigest()
            services = DeskServices.get()
            try:
                read = greenhouse.read_event(
                    event, event_id, services.settings, load_mapping(greenhouse.SOURCE)
                )
            except greenhouse.UnusablePayload as problem:
                logger.warning("Greenhouse event %s not kept: %s", event_id, problem)
                return response.json({"error": str(problem)}, 422)
            outcome = await apply_event(services.store, services.settings, read)
            return response.json({"status": outcome.value})

        return hooks
