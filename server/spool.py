"""Work that must not be lost while a service is away, kept on local disk until it can be done.

One folder per kind of work (`events` for RabbitMQ, `handovers` for hand-overs to a recruiter)
under HELPDESK_SPOOL_DIR (the settings' `servers.spool_dir`); in it one JSON-lines file per
process, locked while that process lives. A process replays its own file and takes over the
file of a process that has stopped (its lock is free), so nothing waits for a server that will
not come back.

Whoever reads a file and rewrites it after awaiting other work (a replay, the erasure check of
server/erasures.py) holds the spool's `rewriting` lock meanwhile: a rewrite from stale text
would bring back lines another removed, or drop lines added in between.

What is spooled names conversations and carries what applicants said, so only the help desk's
own user can read it: every file is created 0600 (the mode is given at creation, so there is
no moment with wider permissions, whatever the umask) and the folders are 0700.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO, cast

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_folder(folder: Path) -> None:
    """The folder, 0700 (mkdir's mode is narrowed by the umask, never widened)."""
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    status = folder.stat()
    if status.st_mode & 0o077 and status.st_uid == os.getuid():
        folder.chmod(PRIVATE_FOLDER)  # made by an older version, or by hand, open to others


def open_private(path: Path, mode: str, *, truncate: bool = False) -> TextIO:
    """Open `path` for appending ("a") or writing ("w", with truncate), created 0600."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    flags |= os.O_TRUNC if truncate else os.O_APPEND
    descriptor = os.open(path, flags, PRIVATE_FILE)
    try:
        if os.fstat(descriptor).st_uid == os.getuid():
            os.fchmod(descriptor, PRIVATE_FILE)  # a file an older version left readable
        return cast(TextIO, os.fdopen(descriptor, mode, encoding="utf-8"))
    except BaseException:
        os.close(descriptor)
        raise


class Spool:
    """Append-only JSON lines; read and rewritten only while replaying."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        private_folder(folder)
        self.path = folder / f"{socket.gethostname()}-{os.getpid()}.jsonl"
        self._handle = open_private(self.path, "a")
        fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.rewriting = asyncio.Lock()

    def add(self, item: dict[str, Any]) -> None:
        self._handle.write(json.dumps(item) + "\n")
        self._handle.flush()

    def count(self) -> int:
        total = 0
        for path in self.files():
            with path.open(encoding="utf-8") as handle:
                total += sum(1 for _line in handle)
        return total

    def files(self) -> list[Path]:
        return sorted(self.folder.glob("*.jsonl"), key=lambda p: p.stat().st_mtime)

    def take_over(self, path: Path) -> bool:
        """True when `path` is ours or its process is gone (its lock is free)."""
        if path == self.path:
            return True
        with open_private(path, "a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(handle, fcntl.LOCK_UN)
            return True

    def read(self, path: Path) -> str:
        # a local file of work kept during an outage: small, and read only while replaying
        return path.read_text(encoding="utf-8")

    def rewrite(self, path: Path, remaining: list[str]) -> None:
        if path == self.path:
            self._handle.seek(0)
            self._handle.truncate()
            self._handle.writelines(remaining)
            self._handle.flush()
        elif remaining:
            with open_private(path, "w", truncate=True) as handle:
                handle.write("".join(remaining))
        else:
            path.unlink(missing_ok=True)

    def close(self) -> None:
        self._handle.close()
        if self.path.exists() and self.path.stat().st_size == 0:
            self.path.unlink()


# what names a spooled line's conversation, and when it was spooled (epoch seconds): for the
# erasure of a conversation (server/erasures.py) and the shared spool (server/shared_spool.py)
Conversation = Callable[[dict[str, Any]], tuple[str | None, float | None]]


def spooled_event(item: dict[str, Any]) -> tuple[str | None, float | None]:
    """An event for RabbitMQ (server/broker.py): Rasa's event with the conversation's sender id."""
    event = item.get("event") or {}
    return text(event.get("sender_id")), number(event.get("timestamp"))


def spooled_handover(item: dict[str, Any]) -> tuple[str | None, float | None]:
    """A request for a person (server/handovers.py)."""
    return text(item.get("conversation_id")), number(item.get("at"))


def text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
