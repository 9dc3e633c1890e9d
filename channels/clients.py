"""Which client a message comes from: its network address, and the keyed hash that stands for it.

The address is what Sanic reports for the request: the client's own when no proxy is trusted,
else the one the trusted proxies pass on (SANIC_PROXIES_COUNT with X-Forwarded-For,
SANIC_REAL_IP_HEADER, or SANIC_FORWARDED_SECRET with Forwarded), the connection's peer when
they pass none. An IPv6 client counts by its /64 network, which one subscriber usually has
whole: otherwise every address in it would be a new client.

The address itself is kept nowhere. The REST and web chat channels put its keyed hash (HMAC-SHA256
with the help desk's secret key, 32 hex characters) on every message as the trusted metadata
key `helpdesk_client`, which the actions use to limit codes per client; the message limit
counts by it. Without the key, a hash cannot be turned back into an address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from functools import lru_cache

from sanic.request import Request

from ats.keys import secret_key
from ats.services import services
from ats.settings import Settings

HELPDESK_CLIENT = "helpdesk_client"  # the trusted metadata key; only the channels set it
MAX_ADDRESS = 100  # a proxy header can carry any text; nothing longer is an address


def client_address(request: Request) -> str:
    """The client's address as Sanic sees it, honouring the proxies it is told to trust."""
    return request.remote_addr or request.ip or "unknown"


def client_group(address: str) -> str:
    """The address a client is counted by: an IPv6 address's /64 network, an IPv4 address
    (also when written IPv4-mapped), or, for what is no IP address (a Unix socket, an
    obfuscated Forwarded identifier), the text itself."""
    text = address.strip().strip("[]")[:MAX_ADDRESS]
    try:
        parsed = ipaddress.ip_address(text.split("%")[0])  # without an IPv6 zone ("%eth0")
    except ValueError:
        return text
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


class ClientIds:
    """Keyed hashes of clients: the same client gives the same id on every server that shares
    HELPDESK_SECRET_KEY, and nobody without the key can tell which address an id stands for."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def of_settings(cls, settings: Settings) -> ClientIds:
        return cls(secret_key(settings))

    def hash(self, text: str) -> str:
        digest = hmac.new(self._key, text.encode(errors="surrogateescape"), hashlib.sha256)
        return digest.hexdigest()[:32]

    def of_address(self, address: str) -> str:
        """`helpdesk_client` for a network address."""
        return self.hash(client_group(address))

    def of_request(self, request: Request) -> str:
        return self.of_address(client_address(request))


@lru_cache(maxsize=1)
def client_ids() -> ClientIds:
    """The server's ClientIds, made once from its settings."""
    return ClientIds.of_settings(services().settings)
