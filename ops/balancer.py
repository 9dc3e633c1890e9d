"""A small HTTP and WebSocket load balancer for running several servers on one machine.

`helpdesk run --rasa-servers N --action-servers M` puts one in front of the Rasa servers and
one in front of the action servers. Real deployments use their own (nginx, a cloud load
balancer, a Kubernetes ingress: see docs/deploy.md); this one makes the same topology run on a
laptop with nothing else installed.

- Requests go round-robin to the backends whose /health answered 200 in the last check (every
  CHECK_SECONDS); when none did, to all of them, so that applicants still get the servers'
  own apologies rather than a 502.
- A backend that refuses the connection is skipped and the next one tried: nothing was sent, so
  retrying is safe. A restarted server is thereby invisible to applicants.
- Socket.IO is sticky: the long-polling requests of one Engine.IO session (`sid`) all go to the
  server that opened it, as Socket.IO requires; WebSockets are passed through both ways.
- GET /_balancer/health reports the backends.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import logging
import time
from dataclasses import dataclass, field

import aiohttp
from aiohttp import WSMsgType, web

logger = logging.getLogger("ops.balancer")

CHECK_SECONDS = 2.0
MAX_BODY = 2 * 1024 * 1024  # bytes; larger requests get 413 here (the servers accept less)
STICKY_SECONDS = 3600.0
# hop-by-hop headers (RFC 9110 7.6.1) are not forwarded
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}


@dataclass
class Backend:
    url: str
    healthy: bool = True
    checked: float = 0.0


@dataclass
class Balancer:
    backends: list[Backend]
    health_path: str = "/health"
    sticky: dict[str, tuple[Backend, float]] = field(default_factory=dict)
    _turn: itertools.count = field(default_factory=itertools.count)
    session: aiohttp.ClientSession | None = None

    def candidates(self, sid: str | None) -> list[Backend]:
        """Backends to try, in order: the sticky one first, then round-robin."""
        if sid and sid in self.sticky:
            backend, _ = self.sticky[sid]
            self.sticky[sid] = (backend, time.monotonic())
            return [backend]  # another server does not know this Socket.IO session
        pool = [b for b in self.backends if b.healthy] or list(self.backends)
        start = next(self._turn) % len(pool)
        return pool[start:] + pool[:start]

    def remember(self, sid: str, backend: Backend) -> None:
        self.sticky[sid] = (backend, time.monotonic())

    async def check_health(self) -> None:
        assert self.session is not None
        while True:
            for backend in self.backends:
                try:
                    async with self.session.get(
                        backend.url + self.health_path,
                        timeout=aiohttp.ClientTimeout(total=CHECK_SECONDS * 2),
                    ) as answer:
                        healthy = answer.status == 200
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    healthy = False
                if healthy != backend.healthy:
                    logger.warning(
                        "%s is %s", backend.url, "back" if healthy else "unhealthy: taken out"
                    )
                backend.healthy, backend.checked = healthy, time.monotonic()
            cutoff = time.monotonic() - STICKY_SECONDS
            for sid in [s for s, (_, used) in self.sticky.items() if used < cutoff]:
                del self.sticky[sid]
            await asyncio.sleep(CHECK_SECONDS)


BALANCER = web.AppKey("balancer", Balancer)


def _forwarded_headers(request: web.Request) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    peer = request.remote or ""
    previous = request.headers.get("X-Forwarded-For")
    headers["X-Forwarded-For"] = f"{previous}, {peer}" if previous else peer
    # behind a TLS proxy, what the applicant's browser used is what counts (secure cookies)
    headers["X-Forwarded-Proto"] = request.headers.get("X-Forwarded-Proto", request.scheme)
    headers["X-Forwarded-Host"] = request.headers.get("X-Forwarded-Host", request.host)
    return headers


def _engineio_sid(body: bytes) -> str | None:
    """The sid in an Engine.IO open packet (`0{"sid": ...}`), the reply to a handshake."""
    if not body.startswith(b"0{"):
        return None
    try:
        return json.loads(body[1:].split(b"\x1e")[0]).get("sid")
    except (ValueError, AttributeError):
        return None


async def proxy(request: web.Request) -> web.StreamResponse:
    balancer = request.app[BALANCER]
    if (request.content_length or 0) > MAX_BODY:
        return web.json_response({"error": "the request body is too large"}, status=413)
    socketio = request.path.startswith("/socket.io")
    sid = request.query.get("sid") if socketio else None
    body = await request.read()
    headers = _forwarded_headers(request)
    websocket = request.headers.get("Upgrade", "").lower() == "websocket"
    assert balancer.session is not None  # opened when the balancer starts
    for backend in balancer.candidates(sid):
        target = backend.url + request.rel_url.raw_path_qs
        try:
            if websocket:
                return await _pass_websocket(request, balancer, target, headers)
            async with balancer.session.request(
                request.method,
                target,
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=3),
            ) as answer:
                payload = await answer.read()
                if socketio and not sid and answer.status == 200:
                    opened = _engineio_sid(payload)
                    if opened:
                        balancer.remember(opened, backend)
                reply = web.Response(status=answer.status, body=payload)
                for name, value in answer.headers.items():
                    # the body is passed on as it came (auto_decompress is off), encoding and all
                    if name.lower() not in HOP_BY_HOP:
                        reply.headers.add(name, value)
                return reply
        except aiohttp.ClientConnectorError:
            backend.healthy = False
            logger.warning("%s refused the connection; trying the next server", backend.url)
            continue
    return web.json_response({"error": "no server is available; try again shortly"}, status=503)


async def _pass_websocket(
    request: web.Request, balancer: Balancer, target: str, headers: dict[str, str]
) -> web.StreamResponse:
    # connect to the server first: a refused connection lets the caller try the next one
    for name in ("Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions"):
        headers.pop(name, None)
    assert balancer.session is not None
    upstream = await balancer.session.ws_connect(
        target.replace("http", "ws", 1), headers=headers, autoping=False
    )
    downstream = web.WebSocketResponse(autoping=False)
    await downstream.prepare(request)

    async def pump(source, sink) -> None:
        async for message in source:
            if message.type == WSMsgType.TEXT:
                await sink.send_str(message.data)
            elif message.type == WSMsgType.BINARY:
                await sink.send_bytes(message.data)
            elif message.type == WSMsgType.PING:
                await sink.ping(message.data)
            elif message.type == WSMsgType.PONG:
                await sink.pong(message.data)
            else:
                break

    tasks = [
        asyncio.create_task(pump(downstream, upstream)),
        asyncio.create_task(pump(upstream, downstream)),
    ]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await upstream.close()
        await downstream.close()
    return downstream


async def balancer_health(request: web.Request) -> web.Response:
    balancer = request.app[BALANCER]
    backends = [{"url": b.url, "healthy": b.healthy} for b in balancer.backends]
    healthy = any(b.healthy for b in balancer.backends)
    return web.json_response(
        {"status": "ok" if healthy else "unavailable", "backends": backends},
        status=200 if healthy else 503,
    )


def build_app(backends: list[str], health_path: str = "/health") -> web.Application:
    app = web.Application(client_max_size=MAX_BODY)
    app[BALANCER] = Balancer([Backend(url.rstrip("/")) for url in backends], health_path)

    async def lifecycle(app: web.Application):
        balancer = app[BALANCER]
        balancer.session = aiohttp.ClientSession(
            auto_decompress=False, connector=aiohttp.TCPConnector(limit=0)
        )
        checker = asyncio.create_task(balancer.check_health())
        yield
        checker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await checker
        await balancer.session.close()

    app.cleanup_ctx.append(lifecycle)
    app.router.add_get("/_balancer/health", balancer_health)
    app.router.add_route("*", "/{tail:.*}", proxy)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--health-path", default="/health")
    parser.add_argument("backends", nargs="+", help="http://host:port of each server")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s balancer %(message)s")
    web.run_app(
        build_app(args.backends, args.health_path),
        host=args.host,
        port=args.port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
