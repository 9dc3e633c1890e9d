"""The balancer `helpdesk run` puts in front of several servers, against small real servers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from ops import balancer as balancing
from ops.balancer import build_app
from tests.servers import free_port


def backend(name: str, healthy: bool = True) -> web.Application:
    app = web.Application()

    async def health(_: web.Request) -> web.Response:
        return web.json_response({}, status=200 if healthy else 503)

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {
                "server": name,
                "path": request.path_qs,
                "body": body.decode(),
                "forwarded_for": request.headers.get("X-Forwarded-For"),
                "proto": request.headers.get("X-Forwarded-Proto"),
            }
        )

    async def engineio(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            socket = web.WebSocketResponse()
            await socket.prepare(request)
            async for message in socket:
                await socket.send_str(f"{name}:{message.data}")
            return socket
        if "sid" not in request.query:  # the Engine.IO handshake
            return web.Response(text=f'0{{"sid":"sid-of-{name}","upgrades":["websocket"]}}')
        return web.Response(text=f"{name}:{request.query['sid']}")

    app.router.add_get("/health", health)
    app.router.add_route("*", "/socket.io/", engineio)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


@contextlib.asynccontextmanager
async def serving(app: web.Application, port: int) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, shutdown_timeout=0.5).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture(autouse=True)
def quick_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(balancing, "CHECK_SECONDS", 0.1)


async def _until_checked() -> None:
    await asyncio.sleep(0.4)


async def test_round_robin_over_healthy_servers_forwarding_the_request() -> None:
    ports = [free_port() for _ in range(3)]
    async with (
        serving(backend("a"), ports[0]) as a,
        serving(backend("b"), ports[1]) as b,
        serving(backend("sick", healthy=False), ports[2]) as sick,
        serving(build_app([a, b, sick]), free_port()) as front,
        aiohttp.ClientSession() as http,
    ):
        await _until_checked()
        seen = []
        for n in range(6):
            async with http.post(f"{front}/webhooks/rest/webhook?x={n}", data="hi") as answer:
                reply = await answer.json()
            assert (reply["path"], reply["body"]) == (f"/webhooks/rest/webhook?x={n}", "hi")
            assert reply["forwarded_for"] == "127.0.0.1"
            assert reply["proto"] == "http"
            seen.append(reply["server"])
        assert sorted(seen) == ["a", "a", "a", "b", "b", "b"]
        async with http.get(f"{front}/_balancer/health") as answer:
            health = await answer.json()
        assert [b["healthy"] for b in health["backends"]] == [True, True, False]


async def test_a_server_that_refuses_the_connection_is_skipped() -> None:
    down = free_port()  # nothing listens there
    async with (
        serving(backend("a"), free_port()) as a,
        serving(build_app([f"http://127.0.0.1:{down}", a]), free_port()) as front,
        aiohttp.ClientSession() as http,
    ):
        for _ in range(4):  # before and after the health check has noticed
            async with http.get(f"{front}/anything") as answer:
                assert (await answer.json())["server"] == "a"


async def test_no_server_at_all_is_a_503_with_a_reason() -> None:
    async with (
        serving(build_app([f"http://127.0.0.1:{free_port()}"]), free_port()) as front,
        aiohttp.ClientSession() as http,
        http.get(f"{front}/webhooks/rest/webhook") as answer,
    ):
        assert answer.status == 503
        assert "no server" in (await answer.json())["error"]


async def test_socketio_sessions_stay_on_the_server_that_opened_them() -> None:
    async with (
        serving(backend("a"), free_port()) as a,
        serving(backend("b"), free_port()) as b,
        serving(build_app([a, b]), free_port()) as front,
        aiohttp.ClientSession() as http,
    ):
        for _ in range(2):  # one handshake lands on each server
            async with http.get(f"{front}/socket.io/?EIO=4&transport=polling") as answer:
                sid = (await answer.text()).split('"sid":"')[1].split('"')[0]
            owner = sid.removeprefix("sid-of-")
            for _ in range(4):
                url = f"{front}/socket.io/?EIO=4&transport=polling&sid={sid}"
                async with http.get(url) as answer:
                    assert await answer.text() == f"{owner}:{sid}"


async def test_websockets_are_passed_through_both_ways() -> None:
    async with (
        serving(backend("a"), free_port()) as a,
        serving(build_app([a]), free_port()) as front,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{front}/socket.io/?EIO=4&transport=websocket") as socket,
    ):
        await socket.send_str("hello")
        assert (await socket.receive(timeout=5)).data == "a:hello"


async def test_a_front_proxys_scheme_is_kept_and_large_bodies_are_refused() -> None:
    async with (
        serving(backend("a"), free_port()) as a,
        serving(build_app([a]), free_port()) as front,
        aiohttp.ClientSession() as http,
    ):
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        async with http.get(f"{front}/desk/", headers=headers) as answer:
            reply = await answer.json()
        assert reply["proto"] == "https"
        assert reply["forwarded_for"] == "203.0.113.9, 127.0.0.1"
        async with http.post(f"{front}/webhooks/rest/webhook", data=b"x" * 3_000_000) as answer:
            assert answer.status == 413
