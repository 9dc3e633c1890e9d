"""The production topology on the real services, for the tests in this package.

Two Rasa servers behind nginx (configured by ops/nginx.py as `helpdesk run` configures it),
sharing a SQL tracker store on PostgreSQL, a Redis lock store and a RabbitMQ event broker; two
action servers behind the same nginx; the ATS on the same PostgreSQL. PostgreSQL, RabbitMQ and
the action servers are reached through TCP proxies (tests/production/proxy.py) so that a test
can take them away.

Needs PostgreSQL, Redis and RabbitMQ on loopback and nginx installed (see the README); without
them the tests are skipped, or fail when HELPDESK_REQUIRE_SERVICES=1 (as in CI).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ats.settings import ConfigurationError
from ops.nginx import LocalNginx, find_nginx, local_config, servers_answering
from tests.conftest import POSTGRES_URL
from tests.production.proxy import TcpProxy
from tests.servers import HELPDESK, PROJECT, TEST_CLIENT_LIMITS, free_port, post_json
from tests.web.conftest import last_code

REQUIRE = os.environ.get("HELPDESK_REQUIRE_SERVICES") == "1"
DATABASE = "helpdesk_production_test"
REDIS_DB = 15
TOKEN = "production-test-token"
PG = urlsplit(POSTGRES_URL)
PG_HOST, PG_PORT = PG.hostname or "127.0.0.1", PG.port or 5432


def _reachable(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def require_services() -> None:
    missing = [
        name
        for name, host, port in (
            ("PostgreSQL", PG_HOST, PG_PORT),
            ("Redis", "127.0.0.1", 6379),
            ("RabbitMQ", "127.0.0.1", 5672),
        )
        if not _reachable(port, host)
    ]
    try:
        find_nginx()
    except ConfigurationError:
        missing.append("nginx")
    if missing:
        message = f"{', '.join(missing)} not reachable on loopback"
        if REQUIRE:
            pytest.fail(message + " and HELPDESK_REQUIRE_SERVICES=1", pytrace=False)
        pytest.skip(message + "; the production topology tests are skipped")


def _fresh_database() -> None:
    import psycopg2

    admin = psycopg2.connect(
        host=PG_HOST, port=PG_PORT, user=PG.username or "postgres", dbname="postgres"
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    admin.close()


def _flush_redis() -> None:
    import redis

    redis.Redis(db=REDIS_DB).flushdb()


@dataclass
class Production:
    home: Path
    env: dict[str, str]
    postgres: TcpProxy
    ats_postgres: TcpProxy
    rabbitmq: TcpProxy
    actions_proxy: TcpProxy
    queue: str
    rasa_ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    action_ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    front: int = field(default_factory=free_port)
    actions_front: int = 0
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    nginx: LocalNginx | None = None

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    def url(self, server: int | None = None) -> str:
        port = self.front if server is None else self.rasa_ports[server]
        return f"http://127.0.0.1:{port}"

    def _spawn(self, name: str, command: list[str]) -> None:
        log = (self.home / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(
            command, cwd=PROJECT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def start_rasa(self, index: int, wait: bool = True) -> None:
        port = self.rasa_ports[index]
        self._spawn(f"rasa{index}", [HELPDESK, "serve", "rasa", "--port", str(port)])
        if wait:
            self.wait_healthy(f"http://127.0.0.1:{port}/health", f"rasa{index}")

    def start_actions(self, index: int, wait: bool = True) -> None:
        port = self.action_ports[index]
        self._spawn(f"actions{index}", [HELPDESK, "serve", "actions", "--port", str(port)])
        if wait:
            self.wait_healthy(f"http://127.0.0.1:{port}/health", f"actions{index}")

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def wait_healthy(self, url: str, name: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            process = self.processes.get(name)
            if process is not None and process.poll() is not None:
                log = (self.home / f"{name}.log").read_text()[-3000:]
                raise RuntimeError(f"{name} stopped:\n{log}")
            try:
                with urllib.request.urlopen(url, timeout=3) as answer:
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.HTTPError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{name} did not become healthy at {url}")

    def start(self) -> Production:
        self.home.mkdir(parents=True, exist_ok=True)
        for step in (["ats", "migrate"], ["ats", "demo"]):
            subprocess.run(
                [HELPDESK, *step], cwd=PROJECT, env=self.env, check=True, capture_output=True
            )
        self.actions_front = free_port()
        self.actions_proxy.target = ("127.0.0.1", self.actions_front)
        self.nginx = LocalNginx(
            local_config(
                rasa_listen=f"127.0.0.1:{self.front}",
                rasa_servers=self.rasa_ports,
                actions_listen=f"127.0.0.1:{self.actions_front}",
                action_servers=self.action_ports,
                messages_per_minute=int(self.env["HELPDESK_MESSAGES_PER_MINUTE"]),
            )
        )
        self._spawn("nginx", self.nginx.command())
        for index in range(2):
            self.start_actions(index, wait=False)
        for index in range(2):
            self.start_rasa(index, wait=False)
        for index in range(2):
            self.wait_healthy(f"http://127.0.0.1:{self.action_ports[index]}/health", "actions")
            self.wait_healthy(f"{self.url(index)}/health", f"rasa{index}")
        self.wait_balanced()
        return self

    def wait_balanced(self, timeout: float = 30) -> None:
        """Until every server answered the last request nginx passed it (nginx takes a server
        that failed out for fail_timeout, 10 s, then tries it again with a live request)."""
        assert self.nginx is not None
        servers = {f"127.0.0.1:{port}" for port in self.rasa_ports + self.action_ports}
        deadline = time.monotonic() + timeout
        while True:
            for port in (self.front, self.actions_front):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3):
                        pass
                except OSError:
                    pass
            log = self.nginx.access_log.read_text() if self.nginx.access_log.exists() else ""
            if servers <= servers_answering(log):
                return
            assert time.monotonic() < deadline, "nginx did not reach every server"
            time.sleep(0.5)

    def stop(self) -> None:
        nginx = self.processes.pop("nginx", None)
        if nginx is not None:
            # SIGTERM, not SIGKILL: nginx's workers outlive a killed master, port and all
            nginx.terminate()
            nginx.wait(10)
        for name in list(self.processes):
            self.kill(name)
        if self.nginx:
            self.nginx.remove()

    def send(self, sender: str, text: str, server: int | None = None, timeout: float = 30):
        return post_json(
            f"{self.url(server)}/webhooks/rest/webhook",
            {"sender": sender, "message": text},
            timeout=timeout,
        )

    def say(self, sender: str, text: str, server: int | None = None) -> str:
        return " ".join(m.get("text", "") for m in self.send(sender, text, server))

    def tracker(self, sender: str) -> dict:
        url = f"{self.url(0)}/conversations/{sender}/tracker?token={TOKEN}"
        with urllib.request.urlopen(url, timeout=30) as answer:
            return json.loads(answer.read())

    def escalations(self, conversation_id: str) -> list[tuple[str, str]]:
        """(reason, state) of the escalations opened from this conversation."""
        return [(reason, state) for _, reason, state in self.escalation_rows(conversation_id)]

    def escalation_rows(self, conversation_id: str) -> list[tuple[int, str, str]]:
        """(id, reason, state) of the escalations opened from this conversation."""
        import psycopg2

        connection = psycopg2.connect(
            host=PG_HOST, port=PG_PORT, user=PG.username or "postgres", dbname=DATABASE
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, reason, state FROM escalations WHERE conversation_id = %s",
                    (conversation_id,),
                )
                return cursor.fetchall()
        finally:
            connection.close()

    def latest_code(self, email: str) -> str:
        return last_code(self, email)  # mailed just after the answer


@pytest.fixture(scope="package")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Production]:
    require_services()
    _fresh_database()
    _flush_redis()
    home = tmp_path_factory.mktemp("production")
    postgres = TcpProxy(PG_PORT, PG_HOST).start()  # the tracker store's
    ats_postgres = TcpProxy(PG_PORT, PG_HOST).start()  # the ATS store's
    rabbitmq = TcpProxy(5672).start()
    actions_proxy = TcpProxy(0).start()
    queue = f"helpdesk_test_{uuid.uuid4().hex[:8]}"
    user = PG.username or "postgres"
    database_url = f"postgresql://{user}@127.0.0.1:{postgres.port}/{DATABASE}"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "ATS_DATABASE_URL": f"postgresql://{user}@127.0.0.1:{ats_postgres.port}/{DATABASE}",
        "HELPDESK_TRACKER_STORE_URL": database_url,
        "HELPDESK_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "HELPDESK_EVENT_BROKER_URL": f"amqp://guest:guest@127.0.0.1:{rabbitmq.port}/",
        "HELPDESK_EVENT_QUEUE": queue,
        "HELPDESK_SPOOL_DIR": str(home / "spool"),
        "HELPDESK_ACTIONS_URL": f"http://127.0.0.1:{actions_proxy.port}/webhook",
        "HELPDESK_RASA_API_TOKEN": TOKEN,
        "HELPDESK_OUTBOX_DIR": str(home / "outbox"),
        "HELPDESK_SECRET_KEY": "production-test-secret",
        "HELPDESK_SWEEP_MINUTES": "0",
        "HELPDESK_HANDOVER_RETRY_SECONDS": "2",
        **TEST_CLIENT_LIMITS,
    }
    env.pop("SMTP_HOST", None)
    topology = Production(home, env, postgres, ats_postgres, rabbitmq, actions_proxy, queue)
    try:
        yield topology.start()
    finally:
        topology.stop()
        for proxy in (postgres, ats_postgres, rabbitmq, actions_proxy):
            proxy.stop()
        _delete_queue(queue)


async def _queue(queue: str, delete: bool = False) -> int:
    import aio_pika

    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True, passive=True)
        count = declared.declaration_result.message_count
        if delete:
            await declared.delete(if_unused=False, if_empty=False)
            exchange = await channel.declare_exchange(f"{queue}-exchange", passive=True)
            await exchange.delete()
        return count


def queued_events(queue: str) -> int:
    """How many events wait in the RabbitMQ queue (nothing consumes it in the tests)."""
    return asyncio.run(_queue(queue))


async def _drain(queue: str) -> list[dict]:
    import aio_pika

    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    events = []
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True, passive=True)
        while (message := await declared.get(no_ack=True, fail=False)) is not None:
            events.append(json.loads(message.body))
    return events


def drain_events(queue: str) -> list[dict]:
    """Takes every event out of the RabbitMQ queue."""
    return asyncio.run(_drain(queue))


def _delete_queue(queue: str) -> None:
    try:
        asyncio.run(_queue(queue, delete=True))
    except Exception:  # the queue is the test's own; a leftover harms nothing
        pass
