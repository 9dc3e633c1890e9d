"""Rasa's endpoints (tracker store, lock store, event broker, action server) from the settings.

The defaults need no services: in-memory tracker and lock stores, no event broker, the action
server on this machine. Production sets URLs instead of editing YAML:

    HELPDESK_TRACKER_STORE_URL=postgresql://rasa:secret@db:5432/helpdesk   SQL tracker store
    HELPDESK_REDIS_URL=redis://redis:6379/0                                Redis lock store
    HELPDESK_EVENT_BROKER_URL=amqp://rasa:secret@rabbitmq:5672/            RabbitMQ event broker

`write_endpoints()` turns them into an endpoints file for `rasa run`. Passwords never go into
that file: it names internal environment variables (`${...}`, which Rasa expands when it reads
the file) that the caller passes to the Rasa process.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import yaml

from ats.keys import action_server_token
from ats.settings import PROJECT_ROOT, ConfigurationError, Settings

# the action server's (server/action_server.py), which imports rasa_sdk: not imported here
TOKEN_HEADER = "X-Helpdesk-Action-Token"

# A driver waits for the operating system's TCP timeout (minutes) on an unreachable host: a
# short connect timeout keeps the server answering (with an apology) while the database is away
# (asyncpg takes it as `timeout`, psycopg2 for Rasa's own uses of the database as it is).
TRACKER_STORE_CONNECT_TIMEOUT = "3"
# libpq options that the tracker store's driver (asyncpg) does not take: it would send them to
# PostgreSQL as settings, which refuses them at every connection
LIBPQ_ONLY_OPTIONS = frozenset(
    {
        "options",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "hostaddr",
        "gssencmode",
        "channel_binding",
        "requirepeer",
        "replication",
        "sslcompression",
        "sslsni",
        "fallback_application_name",
    }
)


@dataclass(frozen=True)
class ServiceURL:
    """A service URL taken apart: scheme, host, port, user, password, path, query."""

    scheme: str
    host: str
    port: int | None
    username: str | None
    password: str | None
    path: str
    query: dict[str, str]

    @classmethod
    def parse(cls, variable: str, raw: str, schemes: tuple[str, ...]) -> ServiceURL:
        parts = urlsplit(raw)
        scheme = parts.scheme.split("+")[0]
        if scheme not in schemes or not parts.hostname:
            raise ConfigurationError(
                f"{variable} must look like {schemes[0]}://user:password@host:port/..., "
                f"not {without_password(raw)!r}"
            )
        try:
            port = parts.port
        except ValueError:
            raise ConfigurationError(f"{variable} has a port that is not a number") from None
        return cls(
            scheme=scheme,
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            path=parts.path.lstrip("/"),
            query=dict(parse_qsl(parts.query)),
        )


def without_password(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.password:
        return raw.replace(f":{parts.password}@", ":***@", 1)
    return raw


def endpoints(help_desk: Settings) -> tuple[dict[str, Any], dict[str, str]]:
    """The endpoints configuration, and the secrets it refers to by environment variable."""
    settings = help_desk.servers
    # the token by reference, like the passwords: never written into the file
    config: dict[str, Any] = {
        "action_endpoint": {
            "url": settings.actions_url,
            "headers": {TOKEN_HEADER: "${HELPDESK_ACTION_TOKEN_}"},
        }
    }
    secrets: dict[str, str] = {"HELPDESK_ACTION_TOKEN_": action_server_token(help_desk)}

    if settings.tracker_store_url:
        url = ServiceURL.parse(
            "HELPDESK_TRACKER_STORE_URL", settings.tracker_store_url, ("postgresql", "postgres")
        )
        refused = sorted(LIBPQ_ONLY_OPTIONS & set(url.query))
        if refused:
            raise ConfigurationError(
                f"HELPDESK_TRACKER_STORE_URL has {', '.join(refused)}: libpq options the "
                "tracker store's driver (asyncpg) does not take; leave them out"
            )
        store: dict[str, Any] = {
            # Rasa's SQL store made cheaper per message (see server/tracker_store.py)
            "type": "server.tracker_store.LeanSQLTrackerStore",
            "dialect": "postgresql",
            "url": url.host,  # Rasa passes `url` on as the host
            "port": url.port or 5432,
            "db": url.path or "rasa",
            "query": {"connect_timeout": TRACKER_STORE_CONNECT_TIMEOUT, **url.query},
            "max_connections": settings.tracker_store_connections,
        }
        if url.username:
            store["username"] = url.username
        if url.password:
            secrets["HELPDESK_TRACKER_STORE_PASSWORD_"] = url.password
            store["password"] = "${HELPDESK_TRACKER_STORE_PASSWORD_}"
        config["tracker_store"] = store
    else:
        # Rasa's in-memory store that answers the channel check without loading the
        # conversation again (see server/tracker_store.py)
        config["tracker_store"] = {"type": "server.tracker_store.LeanInMemoryTrackerStore"}

    if settings.redis_url:
        url = ServiceURL.parse("HELPDESK_REDIS_URL", settings.redis_url, ("redis", "rediss"))
        lock: dict[str, Any] = {
            # atomic, unlike Rasa's own `redis` type (see server/locks.py)
            "type": "server.locks.AtomicRedisLockStore",
            "url": url.host,
            "port": url.port or 6379,
            "db": int(url.path) if url.path.isdigit() else 0,
            "key_prefix": "helpdesk",
            "use_ssl": url.scheme == "rediss",
        }
        if url.password:
            secrets["HELPDESK_REDIS_PASSWORD_"] = url.password
            lock["password"] = "${HELPDESK_REDIS_PASSWORD_}"
        config["lock_store"] = lock

    if settings.event_broker_url:
        url = ServiceURL.parse(
            "HELPDESK_EVENT_BROKER_URL", settings.event_broker_url, ("amqp", "amqps")
        )
        secrets["HELPDESK_EVENT_BROKER_PASSWORD_"] = url.password or "guest"
        broker: dict[str, Any] = {
            # Rasa's Pika broker, with a local spool so that no event is lost while RabbitMQ
            # is away (see server/broker.py)
            "type": "server.broker.SpoolingPikaEventBroker",
            "url": url.host,
            "port": url.port or 5672,
            "username": url.username or "guest",
            "password": "${HELPDESK_EVENT_BROKER_PASSWORD_}",
            "queues": [settings.event_queue],
            # an exchange of its own, so that another Rasa on the same RabbitMQ does not feed
            # its events into this queue (Rasa's default exchange is shared)
            "exchange_name": f"{settings.event_queue}-exchange",
            # the queue declared bounded (server/broker.py)
            "queue_max_length": settings.event_queue_max_length,
        }
        if url.path or url.scheme == "amqps":
            # a virtual host (amqp://user:pw@host/helpdesk) or TLS: Rasa then connects by URL
            broker["url"] = f"{url.scheme}://{url.host}:{url.port or 5672}/{url.path}"
        config["event_broker"] = broker
    return config, secrets


def write_endpoints(settings: Settings, folder: Path | None = None) -> tuple[Path, dict[str, str]]:
    """Writes the endpoints file (named by its content) and returns it with its secrets."""
    config, secrets = endpoints(settings)
    text = (
        "# Written by the help desk from HELPDESK_* environment variables; do not edit.\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    folder = folder or PROJECT_ROOT / "var"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"endpoints-{hashlib.sha256(text.encode()).hexdigest()[:12]}.yml"
    if not path.exists() or path.read_text() != text:
        staging = path.with_suffix(f".{os.getpid()}.tmp")
        staging.write_text(text)
        staging.replace(path)
    return path, secrets
