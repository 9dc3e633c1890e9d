"""Recruiters' passwords: argon2id hashes, computed in a small thread pool of their own.

argon2 is slow and memory-hard on purpose (tens of milliseconds and 64 MiB a hash). Run in
asyncio's default executor it would share that pool with Rasa's tracker store, which reads and
writes conversations in worker threads: a flood of desk logins would then hold up every chat.
Here at most HASH_WORKERS hashes run at once, in threads named "desk-argon2…"; more logins
wait their turn in this pool's queue, and the default executor stays free for conversations.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

HASH_WORKERS = 2
THREAD_NAME = "desk-argon2"

_Result = TypeVar("_Result")

# One pool for the whole process (every DeskAccounts shares it), started lazily by the
# executor itself: a thread is made only when a hash is first asked for.
_pool = ThreadPoolExecutor(max_workers=HASH_WORKERS, thread_name_prefix=THREAD_NAME)
_hasher = PasswordHasher()  # argon2id with the library's memory-hard defaults


async def _in_pool(work: Callable[..., _Result], *args: object) -> _Result:
    return await asyncio.get_running_loop().run_in_executor(_pool, work, *args)


async def hash_password(password: str) -> str:
    return await _in_pool(_hasher.hash, password)


async def password_matches(stored: str | None, password: str) -> bool:
    """Whether `password` is the one `stored` was made from; with nothing stored (no account,
    or no password set yet) the same work is done, so the answer takes as long."""
    return await _in_pool(_matches, stored, password)


def needs_rehash(stored: str) -> bool:
    """True when the hash was made with weaker parameters than the library's current ones."""
    return _hasher.check_needs_rehash(stored)


def _matches(stored: str | None, password: str) -> bool:
    if not stored:
        _hasher.hash(password)  # the same work as a real check: no timing tell
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
