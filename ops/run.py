"""`helpdesk run`: everything `make run` does after installing, in the foreground.

Checks the ATS schema (`make run` runs `helpdesk ats migrate` first; this never migrates, and
refuses to start on a schema behind the code), seeds demo data into an empty ATS, trains the
model when the training data, config or domain changed, then runs the action server and the Rasa
server until Ctrl-C, and stops both cleanly.

With `--rasa-servers N` / `--action-servers M` (or HELPDESK_RASA_SERVERS, HELPDESK_ACTION_SERVERS)
it runs the production topology on one machine: N Rasa servers sharing the tracker store and
lock store named by the environment (server/endpoints.py) behind nginx on HELPDESK_RASA_PORT,
and M action servers behind the same nginx on HELPDESK_ACTIONS_PORT (ops/nginx.py: the
configuration of deploy/nginx.conf, rendered for these servers).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ats.demo import APPLICANTS, seed_demo
from ats.keys import secret_key
from ats.migrate import check_schema
from ats.settings import PROJECT_ROOT, ConfigurationError, ServerSettings, Settings
from ats.store import ATSStore
from ops.model import MODELS, ensure_model
from ops.nginx import LocalNginx, find_nginx, local_config
from server.endpoints import without_password, write_endpoints


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


async def prepare_ats(settings: Settings) -> int:
    """Check the schema (SchemaBehind: run `helpdesk ats migrate`), and seed the demo data
    when the ATS is empty; returns the number seeded."""
    store = ATSStore.from_settings(settings)
    try:
        warning = await check_schema(store.engine)
        if warning:
            print(f"helpdesk: warning: {warning}", file=sys.stderr, flush=True)
        if await store.count_applications():
            return 0
        return (await seed_demo(store, settings)).created
    finally:
        await store.close()


def _wait_for(url: str, processes: list[Server], timeout: float = 180) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except OSError:
            time.sleep(1)
    return False


def _stop(processes: list[Server]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Topology:
    """How many Rasa servers and action servers `helpdesk run` starts on this machine."""

    rasa_servers: int = 1
    action_servers: int = 1

    @property
    def balanced(self) -> bool:
        return self.rasa_servers > 1 or self.action_servers > 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ports(count: int, front: int) -> list[int]:
    """One server: it takes the front port itself; several: each its own, behind nginx."""
    return [front] if count == 1 else [_free_port() for _ in range(count)]


def check_topology(topology: Topology, servers: ServerSettings) -> None:
    if topology.rasa_servers > 1 and not servers.shared:
        raise ConfigurationError(
            "several Rasa servers need a shared tracker store and lock store: set "
            "HELPDESK_TRACKER_STORE_URL (PostgreSQL) and HELPDESK_REDIS_URL"
        )


def rasa_server_command(model: Path, port: int, endpoints: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "server.rasa_server",
        "--model",
        str(model),
        "--port",
        str(port),
        "--credentials",
        "credentials.yml",
        "--endpoints",
        str(endpoints),
    ]


class Server(subprocess.Popen[bytes]):
    """A server process that remembers how it was started, to start it again the same way."""

    def __init__(self, command: list[str], environment: dict[str, str]) -> None:
        super().__init__(command, cwd=PROJECT_ROOT, env=environment)
        self.command = command
        self.environment = environment


def _start(command: list[str], environment: dict[str, str]) -> Server:
    return Server(command, environment)


def _nginx(settings: Settings, rasa_ports: list[int], action_ports: list[int]) -> LocalNginx | None:
    """nginx in front of the servers of which there are several (none with one of each)."""
    servers = settings.servers
    if len(rasa_ports) == 1 and len(action_ports) == 1:
        return None
    several_rasa, several_actions = len(rasa_ports) > 1, len(action_ports) > 1
    return LocalNginx(
        local_config(
            rasa_listen=f"0.0.0.0:{servers.rasa_port}" if several_rasa else None,
            rasa_servers=rasa_ports if several_rasa else [],
            # the action servers serve the Rasa servers on this machine only
            actions_listen=f"127.0.0.1:{servers.actions_port}" if several_actions else None,
            action_servers=action_ports if several_actions else [],
            messages_per_minute=settings.messages_per_minute,
        )
    )


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def run(settings: Settings, *, train_model: bool = True, topology: Topology = Topology()) -> int:
    # `docker stop`, systemd and `kill` send SIGTERM: stop the servers as Ctrl-C does, rather
    # than leave them running without their parent
    signal.signal(signal.SIGTERM, _interrupt)
    # and Ctrl-C (SIGINT) even when started in the background by a script: a non-interactive
    # shell starts background commands with SIGINT ignored, and Python then leaves it ignored
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # the key the action server's token is derived from: made once, before the servers start
    secret_key(settings)
    servers = settings.servers
    check_topology(topology, servers)
    if topology.balanced:
        find_nginx()  # before the model is trained: say at once that nginx is missing
    seeded = asyncio.run(prepare_ats(settings))
    if seeded:
        print(f"Seeded the empty ATS with {seeded} demo applications.")
    try:
        # not training: Rasa takes the newest model in MODELS
        model = ensure_model(quiet=not settings.verbose) if train_model else MODELS
    except subprocess.CalledProcessError:
        print("Training the model failed; see the messages above.", file=sys.stderr)
        return 1
    endpoints, secrets = write_endpoints(settings)
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if settings.verbose:  # `--verbose`: the servers show the libraries' warnings too
        environment["HELPDESK_VERBOSE"] = "1"
    rasa_ports = _ports(topology.rasa_servers, servers.rasa_port)
    action_ports = _ports(topology.action_servers, servers.actions_port)
    processes = [
        _start([_bin("helpdesk"), "serve", "actions", "--port", str(port)], environment)
        for port in action_ports
    ]
    rasa_environment = {**environment, **secrets}
    if topology.rasa_servers > 1:
        # behind nginx, which sets X-Forwarded-For: the client's address is the one it names,
        # not nginx's (the channels limit messages per client address)
        rasa_environment.setdefault("SANIC_PROXIES_COUNT", "1")
    processes += [
        _start(rasa_server_command(model, port, endpoints), rasa_environment) for port in rasa_ports
    ]
    nginx = _nginx(settings, rasa_ports, action_ports)
    if nginx:
        processes.append(_start(nginx.command(), environment))
    if settings.sweep_minutes:
        # the deadline monitor, which also sends mail that could not be sent before
        processes.append(_start([_bin("helpdesk"), "sweep", "--loop"], environment))
    if settings.inbound_smtp_port and settings.inbound_domain:
        # applicants' email replies to recruiters, into the escalation's thread
        processes.append(_start([_bin("helpdesk"), "mail", "receive"], environment))
    try:
        for port in [*rasa_ports, servers.rasa_port]:
            if not _wait_for(f"http://localhost:{port}/", processes):
                print("The Rasa server did not start; see the messages above.", file=sys.stderr)
                return 1
        _print_welcome(settings)
        if nginx:
            _print_topology(rasa_ports, action_ports, servers, nginx)
        print("Press Ctrl-C to stop.", flush=True)
        if topology.balanced:
            return _supervise(processes)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        print("A server stopped; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping the help desk...")
        return 0
    finally:
        _stop(processes)
        if nginx:
            nginx.remove()


RESTARTS_PER_MINUTE = 5


def _supervise(processes: list[Server]) -> int:
    """Several servers: one that stops is started again (nginx routes around it meanwhile),
    unless it keeps stopping."""
    restarts: list[float] = []
    while True:
        time.sleep(0.5)
        for index, process in enumerate(processes):
            if process.poll() is None:
                continue
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < 60] + [now]
            if len(restarts) > RESTARTS_PER_MINUTE:
                print("Servers keep stopping; stopping the help desk.", file=sys.stderr)
                return 1
            print(
                f"{' '.join(process.command[:4])} stopped (exit {process.returncode}); "
                "starting it again",
                file=sys.stderr,
                flush=True,
            )
            processes[index] = _start(process.command, process.environment)


def _print_topology(
    rasa_ports: list[int], action_ports: list[int], servers: ServerSettings, nginx: LocalNginx
) -> None:
    def where(url: str | None) -> str:
        return without_password(url) if url else "in memory"

    def fronted(ports: list[int], front: int) -> str:
        if len(ports) == 1:
            return f"server on port {front}"
        return f"servers on ports {', '.join(map(str, ports))} behind nginx on {front}"

    rasa = fronted(rasa_ports, servers.rasa_port)
    actions = fronted(action_ports, servers.actions_port)
    print(
        f"""Topology: {len(rasa_ports)} Rasa {rasa};
  {len(action_ports)} action {actions}.
  Tracker store: {where(servers.tracker_store_url)}; lock store: \
{where(servers.redis_url)}; event broker: {where(servers.event_broker_url)}
  Health: /health and /metrics on every server; nginx's configuration and access log in
  {nginx.folder}/
""",
        flush=True,
    )


def _print_welcome(settings: Settings) -> None:
    example, aisha = APPLICANTS[0], APPLICANTS[7]
    RASA_PORT, ACTIONS_PORT = settings.servers.rasa_port, settings.servers.actions_port
    mail = (
        f"SMTP server {settings.smtp_host}:{settings.smtp_port}"
        if settings.smtp_host
        else f"{settings.outbox_dir}/ (one .eml file per message)"
    )
    print(
        f"""
The candidate help desk is running.
  Careers page with the chat:  http://localhost:{RASA_PORT}/careers/  (Dutch: /careers/nl/)
  Recruiters' desk:            http://localhost:{RASA_PORT}/desk/
    (a login: .venv/bin/helpdesk desk add-recruiter you@example.com --admin)
  Rasa server (REST channel):  http://localhost:{RASA_PORT}/webhooks/rest/webhook
  Action server:               http://localhost:{ACTIONS_PORT}/webhook
  The chat widget's script:    http://localhost:{RASA_PORT}/chat/helpdesk-chat.js

Try it:
  curl -s http://localhost:{RASA_PORT}/webhooks/rest/webhook \\
       -H 'Content-Type: application/json' \\
       -d '{{"sender": "me", "message": "Hello"}}'

Then ask "Did you receive my application?", give a demo reference and email address, and
type the code from the mail:
  {aisha.reference}  {aisha.email}  (in screening)
  {example.reference}  {example.email}  (never acknowledged: the bot escalates)
Mail (codes, recruiter notifications) goes to: {mail}
  .venv/bin/helpdesk ats show {example.reference}
""",
        flush=True,
    )
