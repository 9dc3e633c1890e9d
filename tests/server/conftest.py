"""The real services the Rasa server plug-ins are tested against, on loopback: Redis (its db
11, which no other test uses), RabbitMQ (guest/guest, behind a TcpProxy a test can cut, with a
queue of the test's own) and PostgreSQL (ATS_TEST_POSTGRES_URL's database).

A service that cannot be reached skips its tests with the reason, unless
HELPDESK_REQUIRE_SERVICES=1 (Redis, RabbitMQ) or HELPDESK_REQUIRE_POSTGRES=1 (PostgreSQL), as in
CI, turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import aio_pika
import pytest
import sqlalchemy as sa
from redis import asyncio as aioredis
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES, create_database
from tests.production.proxy import TcpProxy

REQUIRE_SERVICES = os.environ.get("HELPDESK_REQUIRE_SERVICES") == "1"
REDIS_PORT = 6379
REDIS_DB = 11  # the production tests use 15, the benchmark 14
RABBITMQ_PORT = 5672


def require(service: str, host: str, port: int, *, flag: str, required: bool) -> None:
    """Skips the test when `service` does not answer on host:port (fails it when required)."""
    with socket.socket() as sock:
        sock.settimeout(1)
        if sock.connect_ex((host, port)) == 0:
            return
    message = f"{service} is not reachable at {host}:{port}"
    if required:
        pytest.fail(f"{message} and {flag}=1", pytrace=False)
    pytest.skip(f"{message}; the tests of the Rasa server plug-ins on {service} are skipped")


@pytest.fixture
def redis_db() -> int:
    """Redis' db for these tests (the tests remove only the keys they made)."""
    require(
        "Redis",
        "127.0.0.1",
        REDIS_PORT,
        flag="HELPDESK_REQUIRE_SERVICES",
        required=REQUIRE_SERVICES,
    )
    return REDIS_DB


@pytest.fixture
def rabbitmq() -> Iterator[TcpProxy]:
    """A way to RabbitMQ that the test can cut and restore."""
    require(
        "RabbitMQ",
        "127.0.0.1",
        RABBITMQ_PORT,
        flag="HELPDESK_REQUIRE_SERVICES",
        required=REQUIRE_SERVICES,
    )
    proxy = TcpProxy(RABBITMQ_PORT).start()
    yield proxy
    proxy.stop()


@pytest.fixture
async def queue_name(rabbitmq: TcpProxy) -> AsyncIterator[str]:
    """A RabbitMQ queue of the test's own (and its exchange), deleted afterwards."""
    name = f"helpdesk_test_server_{uuid.uuid4().hex[:8]}"
    yield name
    connection = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:{RABBITMQ_PORT}/")
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(name)
        await channel.exchange_delete(f"{name}-exchange")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A database beside ATS_TEST_POSTGRES_URL's (its name + "_trackers"), when that PostgreSQL
    answers: Rasa's tracker tables never land in the ATS test database, whose schema the ATS
    tests compare with the models."""
    parts = urlsplit(POSTGRES_URL)
    require(
        "PostgreSQL",
        parts.hostname or "127.0.0.1",
        parts.port or 5432,
        flag="HELPDESK_REQUIRE_POSTGRES",
        required=REQUIRE_POSTGRES,
    )
    url = f"{POSTGRES_URL}_trackers"
    with ThreadPoolExecutor(1) as thread:  # a thread of its own: no event loop runs there
        thread.submit(asyncio.run, create_database(url)).result()
    return url


def tracker_store_options(postgres_url: str) -> dict[str, Any]:
    """A SQL tracker store's options, as the endpoints file has them (server/endpoints.py)."""
    url = make_url(postgres_url)
    return {
        "dialect": "postgresql",
        "host": url.host,
        "port": url.port or 5432,
        "db": url.database,
        "username": url.username,
        "password": url.password,
    }


async def redis_clients(db: int) -> int:
    """How many clients Redis sees connected to `db` (not counting the one asking)."""
    observer = aioredis.Redis(port=REDIS_PORT, db=db)
    try:
        me = str(await observer.client_id())
        clients = await observer.client_list()
        return sum(1 for client in clients if client["db"] == str(db) and client["id"] != me)
    finally:
        await observer.close()


async def redis_clients_become(db: int, count: int) -> int:
    """redis_clients(db), once it is `count` or after a second (Redis notices a closed
    connection a moment later)."""
    for _ in range(50):
        if (now := await redis_clients(db)) == count:
            return now
        await asyncio.sleep(0.02)
    return await redis_clients(db)


def postgres_connections(postgres_url: str, application_name: str) -> int:
    """How many connections PostgreSQL has from clients of this application_name."""
    observer = sa.create_engine(postgres_url)
    query = sa.text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :name")
    try:
        with observer.connect() as connection:
            return connection.execute(query, {"name": application_name}).scalar_one()
    finally:
        observer.dispose()


async def postgres_connections_become(postgres_url: str, application_name: str, count: int) -> int:
    """postgres_connections(), once it is `count` or after five seconds: a closed or
    terminated connection's backend leaves pg_stat_activity only when its process has exited,
    a moment after the client is done with it."""
    for _ in range(100):
        if (now := postgres_connections(postgres_url, application_name)) == count:
            return now
        await asyncio.sleep(0.05)
    return postgres_connections(postgres_url, application_name)
