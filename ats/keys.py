"""The help desk's secret key, and the keys derived from it for each purpose.

One secret (HELPDESK_SECRET_KEY, or a key generated once into var/secret_key on a single
machine) keys the hashes of one-time codes, links and sessions; each other secret is derived
from it, so that every process that shares the key (all Rasa servers and action servers of
one help desk) shares them too, with nothing more to configure.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from ats.settings import PROJECT_ROOT, Settings

KEY_FILE = PROJECT_ROOT / "var" / "secret_key"


def secret_key(settings: Settings) -> bytes:
    """HELPDESK_SECRET_KEY, or a key generated once into var/secret_key for a single machine."""
    return key_from(settings.secret_key)


def key_from(configured: str | None) -> bytes:
    """The configured secret key, or else the machine's own key file."""
    return configured.encode() if configured else _key_file(KEY_FILE).encode()


def _key_file(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process started at the same moment and wrote it
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
    for _ in range(50):  # the other process may still be writing it
        key = path.read_text().strip()
        if key:
            return key
        os.sched_yield()
    raise RuntimeError(f"{path} is empty: delete it, or set HELPDESK_SECRET_KEY")


def derived_key(key: bytes, purpose: str) -> str:
    """A secret for one purpose, derived from the secret key (hex)."""
    return hmac.new(key, f"helpdesk:{purpose}".encode(), hashlib.sha256).hexdigest()


def action_server_token(settings: Settings) -> str:
    """What the Rasa servers send the action server, and the action server requires:
    HELPDESK_ACTION_SERVER_TOKEN, or else derived from the secret key."""
    return settings.action_server_token or derived_key(secret_key(settings), "action-server")


def client_fingerprint(settings: Settings, client: str) -> str:
    """A keyed hash of a client's address, for limits: the address itself is never stored."""
    return hmac.new(secret_key(settings), f"client:{client}".encode(), hashlib.sha256).hexdigest()[
        :32
    ]
