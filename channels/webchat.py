"""The careers-site web chat: Rasa's socketio channel, made safe for an embeddable widget.

Differences from Rasa 3.6's own `SocketIOInput`:
- cross-origin pages may connect (HELPDESK_WEBCHAT_ORIGINS, default any), since the widget is
  embedded on the employer's own site;
- `enter_room` is awaited when python-socketio makes it a coroutine (5.10 and later), so
  session persistence keeps working there too;
- a logged-in applicant's signed token (JWT, HS256, HELPDESK_WEBCHAT_JWT_SECRET) is checked
  here: its audience and issuer when HELPDESK_WEBCHAT_JWT_AUDIENCE / _ISSUER are set, its
  `iat` and `exp` always, and a lifetime of at most HELPDESK_WEBCHAT_JWT_MAX_MINUTES. Only the
  outcome reaches the conversation, as `metadata["webchat_identity"]` (`{"subject": ...,
  "expires_at": <exp>}`, so the actions can end the login with the token) or
  `metadata["webchat_token_refused"]` (why). Whatever the browser puts under those keys itself
  is dropped, so they cannot be forged;
- of the rest of a message's metadata only a language code is kept, and the channel adds the
  client's keyed address (`helpdesk_client`, channels/clients.py); Socket.IO takes at most
  16 KB a message (python-socketio's default is 1 MB), the text is cut at 2,000 characters;
- a client (an address) sending more than HELPDESK_MESSAGES_PER_MINUTE messages a minute is
  told once, politely, and its further messages that minute are dropped
  (channels/message_limit.py; REST and the web chat count together);
- with HELPDESK_REDIS_URL, the Rasa servers share Socket.IO rooms through Redis;
- each message says who wrote it and what it means for the widget (WebChatOutput): a
  recruiter's name (`recruiter`), whether they joined or left (`handover`), and whether the bot
  waits for the one-time code (`expects`).
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard

import jwt
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from redis import asyncio as aioredis
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from ats.services import services
from ats.settings import TokenRules, WebChatSettings
from ats.whatsapp_api import chat_link
from channels.clients import HELPDESK_CLIENT, client_address, client_ids
from channels.message_limit import TOO_MANY, message_limit
from channels.metadata import client_metadata
from server.tracker_store import latest_input_channel
from speech.catalogue import say
from speech.language import DEFAULT_LANGUAGE, language_of_locale

logger = logging.getLogger(__name__)


class Presence:
    """Which web chat sessions have a page open: on this server, or with Redis on any.

    The desk asks before sending a recruiter's reply into a web chat (else it goes by email);
    with several servers, the page may be connected to another one.
    """

    TTL_SECONDS = 24 * 3600  # a server that died cannot leave a page "open" for longer

    def __init__(self, sio: AsyncServer, redis_url: str | None) -> None:
        self.sio = sio
        self.redis = aioredis.Redis.from_url(redis_url) if redis_url else None
        self.sessions: dict[str, str] = {}  # sid -> session id, for this server's pages

    @staticmethod
    def _key(session_id: str) -> str:
        return f"helpdesk:webchat-open:{session_id}"

    async def opened(self, sid: str, session_id: str) -> None:
        self.sessions[sid] = session_id
        if self.redis is not None:
            async with self.redis.pipeline() as pipe:
                await (
                    pipe.sadd(self._key(session_id), sid)
                    .expire(self._key(session_id), self.TTL_SECONDS)
                    .execute()
                )

    async def closed(self, sid: str) -> None:
        session_id = self.sessions.pop(sid, None)
        if session_id is not None and self.redis is not None:
            await self.redis.srem(self._key(session_id), sid)

    async def is_open(self, session_id: str) -> bool:
        if self.redis is not None:
            return bool(await self.redis.scard(self._key(session_id)))
        try:
            participants = self.sio.manager.get_participants("/", session_id)
            return next(iter(participants), None) is not None
        except KeyError:  # nobody has connected to the web chat since the server started
            return False


def _client_manager(redis_url: str | None) -> AsyncRedisManager | None:
    """With several Rasa servers, Socket.IO rooms live on the server a browser is connected
    to; through Redis, a reply sent by any server (a recruiter's, a deadline notice) reaches it.
    The manager exchanges pickled messages: the Redis server must be private to the help desk.
    """
    return AsyncRedisManager(redis_url, channel="helpdesk-webchat") if redis_url else None


class WebChatOutput(SocketIOOutput):
    """Rasa's socketio output, with what the widget shows beside the text.

    `recruiter` (a name) and `handover` ("joined", "left") come from the desk (desk/handoff.py):
    the widget puts the name on a recruiter's messages and in its header while they are on the
    chat. `expects="code"` comes from the actions (actions/base.py): the widget's input becomes a
    numeric one-time-code field until the applicant answers. `waiting` (dialogue/waiting.py) is
    what the header says while the applicant waits for a recruiter.
    """

    @staticmethod
    def _extras(kwargs: dict[str, Any]) -> dict[str, str]:
        extras = {}
        recruiter, handover = kwargs.get("recruiter"), kwargs.get("handover")
        if isinstance(recruiter, str):  # "": a recruiter whose name is not set yet
            extras["recruiter"] = recruiter.strip()
        if handover in ("joined", "left"):
            extras["handover"] = handover
        if kwargs.get("expects") == "code":
            extras["expects"] = "code"
        waiting = kwargs.get("waiting")
        if isinstance(waiting, str) and waiting.strip():
            extras["waiting"] = waiting.strip()[:200]
        return extras

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        extras = self._extras(kwargs)
        for part in text.strip().split("\n\n"):
            await self._send_message(recipient_id, {"text": part, **extras})

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        extras = self._extras(kwargs)
        parts = text.strip().split("\n\n") or [text]
        replies = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons
        ]
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)  # the buttons go with the last part
            await self._send_message(
                recipient_id, {"text": part, "quick_replies": replies if last else [], **extras}
            )


IDENTITY = "webchat_identity"
REFUSED = "webchat_token_refused"
MAX_MESSAGE = 2000  # characters of one applicant message; longer ones are cut
MAX_SOCKET_MESSAGE = 16 * 1024  # bytes of one Socket.IO message: text, metadata and a token
MAX_TOKEN = 4096  # characters; a careers-site token is a few hundred
LEEWAY_SECONDS = 30  # clocks of the careers site and the help desk may differ this much


def check_token(token: Any, rules: TokenRules) -> tuple[dict[str, Any] | None, str | None]:
    """(identity, None) for a valid token, identity being {"subject": ..., "expires_at": exp};
    (None, why) for one that must not be trusted; (None, None) when there is no token."""
    if not isinstance(token, str) or not token.strip():
        return None, None
    if not rules.secret:
        return None, "not_configured"
    if len(token) > MAX_TOKEN:
        return None, "invalid"
    required = ["exp", "iat", "sub"]
    required += ["aud"] if rules.audience else []
    required += ["iss"] if rules.issuer else []
    try:
        claims = jwt.decode(
            token.strip(),
            rules.secret,
            algorithms=["HS256"],
            audience=rules.audience,
            issuer=rules.issuer,
            options={"require": required},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.ExpiredSignatureError:
        return None, "expired"
    except jwt.PyJWTError as error:
        # a forgery, another site's token, or this site's own with a wrong audience or issuer
        logger.info("careers-site token refused: %s", error)
        return None, "invalid"
    subject = claims.get("sub")
    issued, expires = _seconds(claims.get("iat")), _seconds(claims.get("exp"))
    if not isinstance(subject, str) or not subject.strip():
        return None, "invalid"
    if issued is None or expires is None:
        return None, "invalid"
    if issued > time.time() + LEEWAY_SECONDS:  # PyJWT checks this too; a session from the
        return None, "invalid"  # future is never right, whatever the library version
    if expires - issued > rules.max_minutes * 60:
        logger.info("careers-site token refused: valid for over %s minutes", rules.max_minutes)
        return None, "invalid"
    return {"subject": subject.strip(), "expires_at": int(expires)}, None


def _seconds(claim: object) -> float | None:
    """A time claim (seconds since 1970) as a number; None when it is missing or not a number."""
    if isinstance(claim, bool) or not isinstance(claim, (int, float)):
        return None
    return float(claim)


SESSION_ID = re.compile(r"[0-9a-f]{32}")


def valid_session_id(value: Any) -> TypeGuard[str]:
    """What the widget stores: a server-made id (`uuid4().hex`); anything else starts a new
    session. Other channels' conversation ids (a Telegram chat's number) never look like it."""
    return isinstance(value, str) and SESSION_ID.fullmatch(value) is not None


def message_metadata(raw: Any, rules: TokenRules, client: str | None = None) -> dict[str, Any]:
    """What is stored of the metadata a browser sent: its language code, what checking its
    token found, and the client it came from; nothing else."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = {}
    raw = raw if isinstance(raw, dict) else {}
    metadata = client_metadata(raw)
    identity, refused = check_token(raw.get("token"), rules)
    if identity:
        metadata[IDENTITY] = identity
    elif refused:
        metadata[REFUSED] = refused
    if client:
        metadata[HELPDESK_CLIENT] = client
    return metadata


class WebChatInput(SocketIOInput):
    """Socket.IO at /socket.io, for the widget served at /chat/helpdesk-chat.js."""

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        settings = services().settings
        return cls(
            settings.webchat,
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("socketio_path", "/socket.io"),
            redis_url=settings.servers.redis_url,
        )

    def __init__(
        self,
        settings: WebChatSettings,
        user_message_evt: str = "user_uttered",
        bot_message_evt: str = "bot_uttered",
        socketio_path: str = "/socket.io",
        *,
        redis_url: str | None = None,
    ) -> None:
        super().__init__(
            user_message_evt=user_message_evt,
            bot_message_evt=bot_message_evt,
            session_persistence=True,
            socketio_path=socketio_path,
        )
        self.settings = settings
        self.redis_url = redis_url

    def get_output_channel(self) -> WebChatOutput | None:
        # recruiter replies and notices, sent outside a conversation's own turn
        if self.sio is None:
            return None
        return WebChatOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=(
                origins
                if isinstance(origins := self.settings.allowed_origins, str)
                else list(origins)
            ),
            client_manager=_client_manager(self.redis_url),
            max_http_buffer_size=MAX_SOCKET_MESSAGE,
        )
        webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio  # get_output_channel sends through it (recruiter replies)
        self.presence = Presence(sio, self.redis_url)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        agents: list[Any] = []

        @webhook.listener("after_server_start")
        async def keep_agent(app: Any, _loop: Any) -> None:
            agents.append(app.ctx)

        async def held_elsewhere(session_id: str) -> bool:
            """A conversation another channel holds (a REST client chose this id) is not
            continued here: its verified applications would come with it."""
            agent = getattr(agents[0], "agent", None) if agents else None
            if agent is None or agent.tracker_store is None:
                return False
            try:
                channel = await latest_input_channel(agent.tracker_store, session_id)
            except Exception:  # the tracker store is down: a new session is the safe choice
                return True
            return channel is not None and channel != self.name()

        def address_of(sid: str) -> str:
            """The client's address, from the request that opened this connection (Sanic's
            view of it: behind the trusted proxies, the address they pass on)."""
            request = (sio.get_environ(sid, self.namespace) or {}).get("sanic.request")
            return client_address(request) if request is not None else "unknown"

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            session_id = data.get("session_id") if isinstance(data, dict) else None
            if not valid_session_id(session_id) or await held_elsewhere(session_id):
                session_id = uuid.uuid4().hex
            previous = self.presence.sessions.get(sid)
            if previous is not None and previous != session_id:
                # A page that ended its chat asks for a new session on the same connection:
                # nothing of the old conversation (a recruiter's late reply) may reach it.
                left = sio.leave_room(sid, previous)
                if inspect.isawaitable(left):
                    await left
                await self.presence.closed(sid)
            entered = sio.enter_room(sid, session_id)
            if inspect.isawaitable(entered):
                await entered
            await self.presence.opened(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)
            whatsapp = chat_link(services().settings.whatsapp)
            if whatsapp:  # the widget offers "Chat on WhatsApp" under its input
                await sio.emit("helpdesk_links", {"whatsapp": whatsapp}, room=sid)

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            await self.presence.closed(sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or not valid_session_id(data.get("session_id")):
                return  # no session: nothing to answer to (the widget always asks for one)
            if self.presence.sessions.get(sid) != data["session_id"]:
                return  # only the session this connection was given (session_request)
            text = data.get("message")
            if not isinstance(text, str) or not text.replace("\x00", "").strip():
                return
            client = client_ids().of_address(address_of(sid))
            metadata = message_metadata(
                data.get(self.metadata_key), self.settings.token_rules, client
            )
            verdict = await message_limit().take(client)
            if not verdict.allowed:
                if verdict.first_refusal:  # said once a minute; later ones are dropped quietly
                    language = language_of_locale(metadata.get("language")) or DEFAULT_LANGUAGE
                    await sio.emit(
                        self.bot_message_evt, {"text": say(TOO_MANY, language)}, room=sid
                    )
                return
            await on_new_message(
                UserMessage(
                    # NUL: PostgreSQL's text columns (the SQL tracker store) refuse it
                    text.replace("\x00", "")[:MAX_MESSAGE],
                    WebChatOutput(sio, self.bot_message_evt),
                    data["session_id"],
                    input_channel=self.name(),
                    metadata=metadata,
                )
            )

        return webhook
