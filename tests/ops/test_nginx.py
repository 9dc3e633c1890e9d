"""nginx as `helpdesk run` configures it (ops/nginx.py), in front of small real servers, and
the committed deploy/nginx.conf as the rendering of the same template.

Needs Debian's nginx (`make test` installs it where it can); skipped without it, failing when
HELPDESK_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from ats.settings import PROJECT_ROOT, ConfigurationError
from ops.nginx import (
    PRODUCTION_CONFIG,
    LocalNginx,
    find_nginx,
    local_config,
    production_config,
    servers_answering,
)
from tests.servers import free_port


def test_the_committed_deploy_config_is_the_templates_rendering() -> None:
    assert PRODUCTION_CONFIG.read_text() == production_config(), (
        "deploy/nginx.conf differs from deploy/nginx.conf.j2: run `python -m ops.nginx`"
    )


def test_the_servers_answering_are_read_from_the_access_log() -> None:
    log = "\n".join(
        [
            '1.2.3.4 - [t] "GET /health HTTP/1.1" 200 2 0.001 upstream=127.0.0.1:1 "ua"',
            '1.2.3.4 - [t] "GET /health HTTP/1.1" 200 2 0.001 upstream=127.0.0.1:2 "ua"',
            '1.2.3.4 - [t] "POST /x HTTP/1.1" 200 2 0.001 upstream=127.0.0.1:1, 127.0.0.1:3 "ua"',
            '1.2.3.4 - [t] "GET /health HTTP/1.1" 503 2 0.001 upstream=127.0.0.1:2 "ua"',
            '1.2.3.4 - [t] "GET /nginx-health HTTP/1.1" 200 3 0.000 upstream=- "ua"',
        ]
    )
    assert servers_answering(log) == {"127.0.0.1:3"}


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    try:
        return find_nginx()
    except ConfigurationError as missing:
        if os.environ.get("HELPDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(str(missing), pytrace=False)
        pytest.skip(str(missing))


def backend(name: str) -> web.Application:
    app = web.Application()

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
            websocket = web.WebSocketResponse()
            await websocket.prepare(request)
            async for message in websocket:
                await websocket.send_str(f"{name}:{message.data}")
            return websocket
        return web.Response(text=name)

    app.router.add_route("*", "/socket.io/", engineio)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


@contextlib.asynccontextmanager
async def serving(name: str, port: int) -> AsyncIterator[web.AppRunner]:
    runner = web.AppRunner(backend(name))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, shutdown_timeout=0.5).start()
    try:
        yield runner
    finally:
        await runner.cleanup()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextlib.contextmanager
def running_nginx(
    binary: str,
    rasa_servers: list[int],
    action_servers: list[int] | None = None,
    messages_per_minute: int = 0,
) -> Iterator[tuple[str, str]]:
    """nginx as `helpdesk run` starts it; yields the Rasa front's and the actions front's URL."""
    front, actions_front = free_port(), free_port()
    nginx = LocalNginx(
        local_config(
            rasa_listen=f"127.0.0.1:{front}",
            rasa_servers=rasa_servers,
            actions_listen=f"127.0.0.1:{actions_front}" if action_servers else None,
            action_servers=action_servers,
            messages_per_minute=messages_per_minute,
        )
    )
    process = subprocess.Popen(nginx.command(binary), stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not _listening(front):
            if process.poll() is not None:
                raise RuntimeError(f"nginx stopped: {process.stderr.read().decode()}")  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{front}", f"http://127.0.0.1:{actions_front}"
    finally:
        process.terminate()
        process.wait(10)
        nginx.remove()


async def test_requests_are_spread_over_the_servers_and_a_stopped_one_is_passed_over(
    nginx_binary: str,
) -> None:
    ports = [free_port(), free_port()]
    with running_nginx(nginx_binary, ports) as (front, _):
        async with (
            serving("a", ports[0]),
            aiohttp.ClientSession() as http,
        ):
            async with serving("b", ports[1]):
                seen = []
                for n in range(4):
                    url = f"{front}/webhooks/rest/webhook?x={n}"
                    async with http.post(url, data="hi") as answer:
                        reply = await answer.json()
                    assert (reply["path"], reply["body"]) == (f"/webhooks/rest/webhook?x={n}", "hi")
                    assert (reply["forwarded_for"], reply["proto"]) == ("127.0.0.1", "http")
                    seen.append(reply["server"])
                assert sorted(seen) == ["a", "a", "b", "b"]
            # b stopped: a message it refuses (never sent, so safe to pass on) goes to a
            for _ in range(4):
                async with http.post(f"{front}/webhooks/rest/webhook", data="hi") as answer:
                    assert (await answer.json())["server"] == "a"


async def test_socketio_stays_on_one_server_and_websockets_pass_both_ways(
    nginx_binary: str,
) -> None:
    ports = [free_port(), free_port()]
    with running_nginx(nginx_binary, ports) as (front, _):
        async with (
            serving("a", ports[0]),
            serving("b", ports[1]),
            aiohttp.ClientSession() as http,
        ):
            owners = set()
            for _ in range(6):
                async with http.get(f"{front}/socket.io/?EIO=4&transport=polling") as answer:
                    owners.add(await answer.text())
            assert len(owners) == 1  # one client address, one server
            url = f"{front}/socket.io/?EIO=4&transport=websocket"
            async with http.ws_connect(url) as websocket:
                await websocket.send_str("hello")
                assert (await websocket.receive(timeout=5)).data == f"{owners.pop()}:hello"


async def test_the_private_api_answers_private_addresses_only_and_the_client_address_is_real(
    nginx_binary: str,
) -> None:
    port = free_port()
    with running_nginx(nginx_binary, [port, free_port()]) as (front, _):
        async with serving("a", port), aiohttp.ClientSession() as http:
            # a TLS proxy on this machine names the client; nginx trusts it, and the servers
            # see that one address, not a chain a client could have started
            public = {"X-Forwarded-For": "198.51.100.7, 203.0.113.9"}
            for path in ("/conversations/x/tracker", "/model", "/status", "/health", "/metrics"):
                async with http.get(f"{front}{path}", headers=public) as answer:
                    assert answer.status == 404, path
                async with http.get(f"{front}{path}") as answer:  # from this machine
                    assert answer.status == 200, path
            async with http.post(
                f"{front}/webhooks/rest/webhook", data="hi", headers=public
            ) as answer:
                assert (await answer.json())["forwarded_for"] == "203.0.113.9"


async def test_the_desk_login_and_the_channels_are_limited_per_client_address(
    nginx_binary: str,
) -> None:
    port = free_port()
    with running_nginx(nginx_binary, [port, free_port()], messages_per_minute=5) as (front, _):
        async with serving("a", port), aiohttp.ClientSession() as http:
            statuses = []
            for _ in range(14):
                async with http.post(f"{front}/desk/login", data="x") as answer:
                    statuses.append(answer.status)
            assert statuses[:11] == [200] * 11 and statuses[-1] == 429
            async with http.get(f"{front}/desk/") as answer:  # only the login is limited
                assert answer.status == 200

            replies = []
            for _ in range(8):  # a burst of 5 messages, then the rest of the minute's
                async with http.post(f"{front}/webhooks/rest/webhook", data="hi") as answer:
                    replies.append((answer.status, answer.headers.get("Retry-After")))
            assert replies[:6] == [(200, None)] * 6
            assert replies[-1] == (429, "60")


async def test_the_action_servers_front_passes_over_one_that_is_down(nginx_binary: str) -> None:
    rasa, actions = free_port(), [free_port(), free_port()]  # nothing on the second
    with running_nginx(nginx_binary, [rasa, free_port()], actions) as (_, actions_front):
        async with serving("actions-a", actions[0]), aiohttp.ClientSession() as http:
            for _ in range(4):
                async with http.post(f"{actions_front}/webhook", json={"x": 1}) as answer:
                    assert (await answer.json())["server"] == "actions-a"


SYSTEMD = PROJECT_ROOT / "deploy" / "systemd"


def _exec_lines(unit: str, key: str) -> list[str]:
    text = (SYSTEMD / unit).read_text().replace("\\\n", " ")
    return [line.split("=", 1)[1] for line in text.splitlines() if line.startswith(f"{key}=")]


def _ports_after(command: list[str], flag: str) -> list[str]:
    following = command[command.index(flag) + 1 :]
    return list(itertools.takewhile(str.isdigit, following))


def test_the_systemd_units_start_nginx_in_front_of_the_instances_they_start(
    nginx_binary: str, tmp_path: Path
) -> None:
    wanted = " ".join(_exec_lines("helpdesk.target", "Wants"))
    rasa = re.findall(r"helpdesk-rasa@(\d+)\.service", wanted)
    actions = re.findall(r"helpdesk-actions@(\d+)\.service", wanted)
    folder = tmp_path / "run"
    [render, check] = [
        shlex.split(
            line.replace("/run/helpdesk-nginx", str(folder))
            .replace("/opt/helpdesk/.venv/bin/python", sys.executable)
            .replace("/usr/sbin/nginx", nginx_binary)
        )
        for line in _exec_lines("helpdesk-nginx.service", "ExecStartPre")
    ]
    assert _ports_after(render, "--rasa-ports") == rasa
    assert _ports_after(render, "--action-ports") == actions
    subprocess.run(render, cwd=PROJECT_ROOT, check=True)
    config = (folder / "nginx.conf").read_text()
    for port in rasa + actions:
        assert f"server 127.0.0.1:{port} max_fails=3" in config
    assert "listen 127.0.0.1:5055;" in config
    checked = subprocess.run(check, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze here")
def test_the_systemd_units_are_valid(tmp_path: Path) -> None:
    # where the units expect the checkout, this one (its .venv) stands in
    for unit in SYSTEMD.iterdir():
        text = unit.read_text().replace("/opt/helpdesk", str(PROJECT_ROOT))
        (tmp_path / unit.name).write_text(text)
    names = ["helpdesk.target", "helpdesk-rasa@5006.service", "helpdesk-actions@5056.service"]
    names += [u.name for u in SYSTEMD.glob("*.service") if "@" not in u.name]
    verified = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    # unknown keys are only warned about: they count too
    assert verified.returncode == 0 and not verified.stderr.strip(), verified.stderr
