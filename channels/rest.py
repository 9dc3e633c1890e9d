"""Rasa's REST channel (POST /webhooks/rest/webhook), checked before Rasa sees a message.

Rasa's own channel trusts its body: a non-string `message`, a list for a body or for
`metadata` end in a 500 or in an empty 200 with the error only in the log, and whatever the
client says is stored as said. Here a request that is not a message gets a 4xx with
{"error": "..."} before Rasa sees it, and what the client cannot be trusted with is not taken
from it: the channel name, the web chat's verified-login metadata, and a conversation that
another channel (a Telegram chat, a web chat session) holds. That last one is found out under
the conversation's lock, from the conversation Rasa loads there (server/held_conversations.py),
and answered with 403; a streamed reply (?stream=true) has begun before Rasa loads anything, so
there the tracker store is asked first.

Of the metadata only a language code is kept (channels/metadata.py); the channel adds the
client's keyed address as `helpdesk_client` (channels/clients.py). A client sending more than
HELPDESK_MESSAGES_PER_MINUTE messages a minute gets 429 with Retry-After
(channels/message_limit.py).
"""

from __future__ import annotations

import logging
from asyncio import Queue
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import rasa.utils.endpoints
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.clients import HELPDESK_CLIENT, client_ids
from channels.message_limit import message_limit
from channels.metadata import client_metadata
from server.held_conversations import REST_CHANNEL, HeldByAnotherChannel
from server.tracker_store import latest_input_channel

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024  # bytes; a message and its metadata fit many times over
MAX_MESSAGE = 2000  # characters of one applicant message; longer ones are cut, as in the web chat
MAX_SENDER = 200  # the ATS keeps conversation ids (escalations, codes) in 200 characters
# Set only by the channels: the web chat's, after checking the careers site's signed token
# (channels/webchat.py), from anyone else would stand in for a one-time code; the client's
# keyed address, from the client itself, would let it be a new client with every message.
TRUSTED_METADATA = ("webchat_identity", "webchat_token_refused", HELPDESK_CLIENT)


@dataclass
class Refusal:
    """Whether the request's message was refused because another channel holds the
    conversation (filled in while Rasa handles it, read when the response goes out)."""

    channel: str | None = None


# The refusal of the request being handled: Rasa's handler gives the message to Rasa in the
# request's own task, and knows nothing of the request once the message is handled.
_refusal: ContextVar[Refusal | None] = ContextVar("helpdesk_rest_refusal", default=None)


def refused(channel: str) -> HTTPResponse:
    return response.json(
        {"error": f"this conversation belongs to another channel ({channel})"}, status=403
    )


def problem_with(body: Any) -> str | None:
    """Why this JSON body is not a message for the REST channel, or None when it is."""
    if not isinstance(body, dict):
        return 'the body must be a JSON object: {"sender": "...", "message": "..."}'
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not sender.strip():
        return "sender must be a non-empty string (the conversation id)"
    if len(sender) > MAX_SENDER or not sender.isprintable():
        return f"sender must be at most {MAX_SENDER} printable characters"
    if not isinstance(message, str) or not message.replace("\x00", "").strip():
        return "message must be a non-empty string"
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "metadata must be a JSON object"
    if metadata and not isinstance(metadata.get("language", ""), (str, type(None))):
        # the actions read it as a locale string; anything else would fail every answer
        return 'metadata.language must be a language code such as "nl"'
    return None


async def other_channel(request: Request, sender: str) -> str | None:
    """The channel that holds this conversation, when it is not this one: asked before a
    streamed reply begins. Rasa refuses the message again under the lock, should another
    channel have taken the conversation meanwhile (server/held_conversations.py)."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return None
    try:
        channel = await latest_input_channel(agent.tracker_store, sender)
    except Exception as error:  # the tracker store is down: Rasa's handling answers for it
        # the conversation's id stays out of logs: whoever has it can continue it
        logger.warning("a conversation's channel could not be checked: %s", error)
        return None
    return channel if channel and channel != RestInput.name() else None


class RestInput(RasaRestInput):
    """Same URL, same payloads as Rasa's own REST channel."""

    @classmethod
    def name(cls) -> str:
        return REST_CHANNEL

    def _extract_message(self, req: Request) -> str:
        # NUL: PostgreSQL's text columns (the SQL tracker store, the ATS) refuse it.
        return req.json["message"].replace("\x00", "")[:MAX_MESSAGE]

    def _extract_input_channel(self, req: Request) -> str:
        # Rasa takes `input_channel` from the body; the actions trust it (a linked Telegram
        # chat, a careers-site login), so a REST message is always a REST message.
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        # Only what the help desk reads (a language code): none of TRUSTED_METADATA, nothing
        # to store for good in the tracker. Then who sent it, as the middleware found it.
        metadata = client_metadata(request.json.get("metadata"))
        metadata[HELPDESK_CLIENT] = getattr(request.ctx, "helpdesk_client", None) or (
            client_ids().of_request(request)
        )
        return metadata

    @staticmethod
    async def on_message_wrapper(
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        queue: Queue,
        sender_id: str,
        input_channel: str,
        metadata: dict[str, Any] | None,
    ) -> None:
        # Rasa's own puts "DONE" only after a message that did not fail, so a failure left a
        # streamed response (?stream=true) open for ever.
        try:
            await RasaRestInput.on_message_wrapper(
                on_new_message, text, queue, sender_id, input_channel, metadata
            )
        except Exception:
            logger.exception("a REST message could not be handled")
            await queue.put("DONE")

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        async def unless_held_by_another_channel(message: UserMessage) -> None:
            try:
                await on_new_message(message)
            except HeldByAnotherChannel as held:
                refusal = _refusal.get()
                if refusal is not None:
                    refusal.channel = held.channel

        webhook = super().blueprint(unless_held_by_another_channel)

        @webhook.middleware("request")
        async def refuse_what_is_not_a_message(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            if len(request.body or b"") > MAX_BODY:
                return response.json(
                    {"error": f"the body is larger than {MAX_BODY // 1024} KB"}, status=413
                )
            try:
                body = request.json  # parsed once; Rasa's handler reads it again
            except SanicException:
                return response.json({"error": "the body is not valid JSON"}, status=400)
            problem = problem_with(body)
            if problem:
                return response.json({"error": problem}, status=400)
            request.ctx.helpdesk_client = client_ids().of_request(request)
            limit = message_limit()
            verdict = await limit.take(request.ctx.helpdesk_client)
            if not verdict.allowed:
                return response.json(
                    {
                        "error": f"too many messages from this address (at most "
                        f"{limit.per_minute} a minute): try again in {verdict.retry_after} "
                        "seconds"
                    },
                    status=429,
                    headers={"Retry-After": str(verdict.retry_after)},
                )
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                channel = await other_channel(request, body["sender"])
                if channel:
                    return refused(channel)
            request.ctx.refusal = Refusal()
            _refusal.set(request.ctx.refusal)
            return None

        @webhook.middleware("response")
        async def refuse_what_another_channel_holds(
            request: Request, _response: HTTPResponse
        ) -> HTTPResponse | None:
            refusal = getattr(request.ctx, "refusal", None)
            if refusal is not None and refusal.channel:
                return refused(refusal.channel)
            return None

        return webhook
