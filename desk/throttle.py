"""Slowing down password guessing at the desk's login without letting strangers lock anyone out.

Who guesses: anyone who can reach /desk/login, from one address or from many, knowing (or
guessing) a recruiter's email address. What must hold: the recruiter with the right password
always gets in, whatever others typed for their address. So nothing here locks an account;
what is slowed down is a client, a client's attempts at one address, and unrecognised browsers
while an address is under attack:

- per client (its address as the desk sees it: behind nginx, SANIC_PROXIES_COUNT; IPv6
  clients by their /64, which one household or server gets whole): FREE_PER_CLIENT failed
  logins (an office shares one address), then a growing wait before the next attempt;
- per client and address: FREE_PER_PAIR, then a growing wait;
- per address, counting only browsers the recruiter has not logged in from (no valid device
  cookie, see desk/accounts.py): after ATTACK_AFTER such failures within MEMORY the address is
  under attack, and an unrecognised browser gets no answer about the password any more (the
  recruiter with the right password is mailed a link to log in on that browser); recognised
  browsers, the recruiter's own, are not slowed by it;
- per device cookie: FREE_PER_DEVICE failures, then the cookie is revoked (a stolen one buys
  no more guesses than that) and the browser is unrecognised until it logs in again.

The wait doubles with each failure beyond the free ones, from FIRST_WAIT to at most LONGEST_WAIT;
a count is forgotten after MEMORY without failures. Counts live in the `lockouts` table
(subjects `desk-ip:`, `desk-pair:`, `desk-address:`, `desk-device:`), shared by every server.

Every attempt is counted before its password is checked, and counted atomically: an UPDATE
that adds one to what is stored, then a read of the result in the same transaction, which holds
the row (PostgreSQL) or the database's write lock (SQLite) until it commits. N parallel attempts
therefore count N, and the one that crosses a limit sees that it did. A successful login gives
back what it was counted.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.db import dialect_insert
from ats.models import Lockout

FREE_PER_CLIENT = 20
FREE_PER_PAIR = 5
FREE_PER_DEVICE = 5
ATTACK_AFTER = 10
FIRST_WAIT = timedelta(seconds=2)
LONGEST_WAIT = timedelta(minutes=15)
MEMORY = timedelta(hours=1)


@dataclass(frozen=True)
class Counted:
    """One attempt counted against a subject: the failures now, or the wait that refused it."""

    failures: int
    refused_until: datetime | None = None


def client_key(client: str) -> str:
    """The client as the throttle knows it: an IPv4 address, an IPv6 /64, or the raw text."""
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return client[:100]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class LoginThrottle:
    """The counters of one login attempt: client, client and address, address, device."""

    def __init__(self, key: bytes, client: str, email: str) -> None:
        self.key = key
        self.client = f"desk-ip:{client_key(client)}"
        # Addresses are kept as keyed hashes: whatever was typed fits the subject column, and
        # the table does not collect the addresses strangers tried.
        self.pair = f"desk-pair:{self._keyed(client_key(client), email)}"
        self.address = f"desk-address:{self._keyed(email)}"

    def _keyed(self, *parts: str) -> str:
        text = "\n".join(parts).encode(errors="surrogatepass")  # a form can hold anything
        return hmac.new(self.key, text, hashlib.sha256).hexdigest()

    @staticmethod
    def device(device_hash: str) -> str:
        return f"desk-device:{device_hash}"

    async def count(
        self, session: AsyncSession, subject: str, now: datetime, free: int | None
    ) -> Counted:
        """Count one attempt against `subject`, unless a wait is running (then it is refused
        and not counted). Past `free` failures the subject must wait before the next one;
        `free` None: never a wait, only the count (an address, a device)."""
        # A write first: on SQLite it takes the write lock before anything is read.
        await session.execute(
            dialect_insert(session.bind)(Lockout)
            .values(subject=subject, failures=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["subject"])
        )
        counted = await session.execute(
            update(Lockout)
            .where(
                Lockout.subject == subject,
                or_(Lockout.locked_until.is_(None), Lockout.locked_until <= now),
            )
            .values(
                failures=case((Lockout.updated_at < now - MEMORY, 1), else_=Lockout.failures + 1),
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        failures, locked_until = (
            await session.execute(
                select(Lockout.failures, Lockout.locked_until).where(Lockout.subject == subject)
            )
        ).one()
        if counted.rowcount != 1:
            return Counted(failures, refused_until=locked_until)
        if free is not None and failures > free:
            wait = min(LONGEST_WAIT, FIRST_WAIT * 2 ** min(failures - free - 1, 20))
            await session.execute(
                update(Lockout)
                .where(Lockout.subject == subject)
                .values(locked_until=now + wait)
                .execution_options(synchronize_session=False)
            )
        return Counted(failures)

    @staticmethod
    async def give_back(session: AsyncSession, subject: str) -> None:
        """Uncount the attempt that succeeded (the failures before it still count)."""
        await session.execute(
            update(Lockout)
            .where(Lockout.subject == subject, Lockout.failures > 0)
            .values(failures=Lockout.failures - 1)
            .execution_options(synchronize_session=False)
        )

    @staticmethod
    async def forget(session: AsyncSession, subject: str) -> None:
        await session.execute(delete(Lockout).where(Lockout.subject == subject))
