"""The per-client message limit, in memory and shared through a real Redis, and the keyed
client ids it counts by (channels/message_limit.py, channels/clients.py).

The limit against a running help desk over HTTP (REST, the web chat, Telegram) is in
tests/security/test_channel_limits.py.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

import pytest
import redis

from channels.clients import ClientIds, client_group
from channels.message_limit import WINDOW_SECONDS, MessageLimit
from tests.servers import free_port

REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as error:
        pytest.skip(f"no Redis at {REDIS_URL} ({error}); the shared limit is not tested")
    return REDIS_URL


async def test_a_client_gets_its_messages_a_minute_then_is_refused():
    limit = MessageLimit(3)
    verdicts = [await limit.take("client-a") for _ in range(5)]
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    # said once: the first refusal of the minute, not every one
    assert [v.first_refusal for v in verdicts] == [False, False, False, True, False]
    assert 1 <= verdicts[3].retry_after <= WINDOW_SECONDS
    assert (await limit.take("client-b")).allowed  # another client is counted apart


async def test_zero_turns_the_limit_off():
    limit = MessageLimit(0)
    assert all([(await limit.take("client-a")).allowed for _ in range(100)])


async def test_the_limit_is_shared_by_every_server_through_redis(redis_url):
    """Two Rasa servers, one Redis: a client that spreads its messages over both (a load
    balancer does) gets no more than from one."""
    prefix = f"helpdesk:test-messages:{uuid.uuid4().hex}:"
    first, second = MessageLimit(4, redis_url, prefix), MessageLimit(4, redis_url, prefix)
    try:
        verdicts = []
        for number in range(6):
            server = first if number % 2 == 0 else second
            verdicts.append(await server.take("client-a"))
        assert [v.allowed for v in verdicts] == [True] * 4 + [False] * 2
        assert [v.first_refusal for v in verdicts] == [False] * 4 + [True, False]
        assert (await second.take("client-b")).allowed
        # the count ends with the minute: the key expires, it is never left for good
        ttl = redis.Redis.from_url(redis_url).ttl(prefix + "client-a")
        assert 0 < ttl <= WINDOW_SECONDS
    finally:
        redis.Redis.from_url(redis_url).delete(prefix + "client-a", prefix + "client-b")
        await first.close()
        await second.close()


async def test_without_redis_each_server_still_counts():
    """Redis away (nothing listens on the port): the limit holds in memory, no error."""
    limit = MessageLimit(2, f"redis://127.0.0.1:{free_port()}/0")
    try:
        verdicts = [await limit.take("client-a") for _ in range(3)]
        assert [v.allowed for v in verdicts] == [True, True, False]
    finally:
        await limit.close()


def test_client_ids_are_keyed_hashes_of_the_address():
    """The contract with the actions: `helpdesk_client` is HMAC-SHA256 of the address with the
    help desk's secret key, hex, 32 characters; without the key it names nobody."""
    ids = ClientIds(b"server-key")
    expected = hmac.new(b"server-key", b"203.0.113.5", hashlib.sha256).hexdigest()[:32]
    assert ids.of_address("203.0.113.5") == expected
    assert ids.of_address("203.0.113.6") != expected
    assert ClientIds(b"another-key").of_address("203.0.113.5") != expected


@pytest.mark.parametrize(
    ("address", "group"),
    [
        ("203.0.113.5", "203.0.113.5"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("[2001:db8:1:2:ffff::9]", "2001:db8:1:2::/64"),  # as Sanic brackets it
        ("::ffff:203.0.113.5", "203.0.113.5"),
        ("fe80::1%eth0", "fe80::/64"),
        ("unknown", "unknown"),
        ("_hidden", "_hidden"),
    ],
)
def test_an_ipv6_client_counts_by_its_64_network(address, group):
    """One subscriber usually has a whole /64: each of its addresses is the same client."""
    assert client_group(address) == group


def test_one_ipv6_network_is_one_client():
    ids = ClientIds(b"server-key")
    assert ids.of_address("2001:db8:1:2::1") == ids.of_address("2001:db8:1:2:ffff:ffff:ffff:fffe")
    assert ids.of_address("2001:db8:1:2::1") != ids.of_address("2001:db8:1:3::1")
