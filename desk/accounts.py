"""Recruiters' desk accounts: invitations, passwords, and who may log in (throttling, device
cookies, login links).

Passwords are argon2id hashes (desk/passwords.py, in a thread pool of their own). Sessions and
the tokens behind them (sessions, device tokens, set-password and login links) are
desk/sessions.py, which this class extends.

Guessing is slowed down per client and per client and address (desk/throttle.py), never by
locking the account: a stranger must not be able to keep a recruiter out. Against guessing one
address from many clients, the desk remembers the browsers each recruiter has logged in from
(a device cookie, after OWASP's "Slow Down Online Guessing Attacks with Device Cookies"): while
an address is under attack, a browser it does not recognise learns nothing from a login form,
right password or wrong; if the password was right, the recruiter is mailed a one-time link
that logs that browser in (and only that browser: the link is bound to a cookie the login
answer set there). So the real recruiter always gets in: at once from a browser they used
before, through their mailbox from a new one; the attacker, without the mailbox, gains nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from ats.models import DeskAccount, DeskToken, Recruiter
from ats.records import Mail, real_name
from ats.store import ATSStore
from ats.store_basics import normalise_email, utcnow
from desk.passwords import hash_password, needs_rehash, password_matches
from desk.sessions import DeskSessions, Login
from desk.throttle import (
    ATTACK_AFTER,
    FREE_PER_CLIENT,
    FREE_PER_DEVICE,
    FREE_PER_PAIR,
    LoginThrottle,
)
from speech.catalogue import say

logger = logging.getLogger(__name__)

PASSWORD_LINK_HOURS = 72
LOGIN_LINK_MINUTES = 15
MIN_PASSWORD = 12
MAX_DEVICES = 5  # device tokens one browser keeps (recruiters sharing a computer)
NAME_CHARS = 200  # recruiters.name


def clean_name(typed: str | None) -> str:
    """A display name as typed, printable and trimmed; NameRejected when there is none."""
    name = " ".join("".join(c for c in (typed or "") if c.isprintable()).split())
    if not name or "@" in name or len(name) > NAME_CHARS:
        raise NameRejected(name)
    return name


class LoginRefused(Exception):
    """No session. `wait_until`: this client (or this client for this address) must wait until
    then. `unrecognised_browser`: the address is under attack and this browser is not one the
    recruiter logged in from; if the password was right, a login link is on its way by mail.
    Otherwise: a wrong address or password (the same for both)."""

    def __init__(
        self,
        wait_until: datetime | None = None,
        *,
        wait: timedelta | None = None,
        unrecognised_browser: bool = False,
    ) -> None:
        super().__init__("login refused")
        self.wait_until = wait_until
        self.wait = wait  # how long from now (by the desk's clock)
        self.unrecognised_browser = unrecognised_browser


class PasswordRejected(ValueError):
    """A new password the desk does not accept, or a set-password link that does not work."""


class NameRejected(ValueError):
    """A display name the desk does not accept: empty, too long, or an email address."""


class DeskAccounts(DeskSessions):
    def __init__(
        self,
        store: ATSStore,
        key: bytes,
        clock: Callable[[], datetime] = utcnow,
        *,
        mailer: Any = None,  # ats.mail.Mailer: sends the login links
        base_url: str | None = None,  # the desk's public address, for those links
    ) -> None:
        super().__init__(store, key, clock)
        self.mailer = mailer
        self.base_url = (base_url or "").rstrip("/")
        self._mailing: set[asyncio.Task] = set()

    async def add_recruiter(
        self, email: str, name: str | None = None, *, admin: bool = False
    ) -> str:
        """Make (or renew) a desk account for this address; returns a set-password token."""
        email = normalise_email(email)
        if "@" not in email:
            raise ValueError(f"{email!r} is not an email address")
        now = self.clock()
        async with self.store.session() as session, session.begin():
            recruiter = await session.scalar(select(Recruiter).where(Recruiter.email == email))
            if recruiter is None:
                # without a name, the address: the desk shows it and asks for the name at
                # set-password; applicants are told "a recruiter" (real_name)
                recruiter = Recruiter(email=email, name=name or email)
                session.add(recruiter)
                await session.flush()
            elif name:
                recruiter.name = name
            account = await session.scalar(
                select(DeskAccount).where(DeskAccount.recruiter_id == recruiter.id)
            )
            if account is None:
                account = DeskAccount(recruiter_id=recruiter.id, is_admin=admin, created_at=now)
                session.add(account)
                await session.flush()
            elif admin:
                account.is_admin = True
            return self._new_token(session, account.id, "password", PASSWORD_LINK_HOURS)

    async def invite_all(self) -> dict[str, str]:
        """Set-password tokens for every recruiter in the ATS without a password yet."""
        async with self.store.session() as session:
            rows = await session.execute(
                select(Recruiter.email)
                .outerjoin(DeskAccount, DeskAccount.recruiter_id == Recruiter.id)
                .where(DeskAccount.password_hash.is_(None))
                .order_by(Recruiter.email)
            )
            emails = [email for (email,) in rows]
        return {email: await self.add_recruiter(email) for email in emails}

    async def invited(self, token: str) -> tuple[str, str | None] | None:
        """Whose set-password link this is, without using it: their address and their name
        when they have a real one (to fill in the form); None when the link does not work."""
        async with self.store.session() as session:
            row = (
                await session.execute(
                    select(Recruiter.email, Recruiter.name)
                    .join(DeskAccount, DeskAccount.recruiter_id == Recruiter.id)
                    .join(DeskToken, DeskToken.account_id == DeskAccount.id)
                    .where(
                        DeskToken.token_hash == self._hash(token),
                        DeskToken.purpose == "password",
                        DeskToken.used_at.is_(None),
                        DeskToken.expires_at > self.clock(),
                    )
                )
            ).first()
        return (row.email, real_name(row.name, row.email)) if row else None

    async def set_name(self, recruiter_id: int, typed: str) -> str:
        """Change a recruiter's display name (NameRejected if none); returns it."""
        name = clean_name(typed)
        async with self.store.session() as session, session.begin():
            await session.execute(
                update(Recruiter).where(Recruiter.id == recruiter_id).values(name=name)
            )
        return name

    async def set_password(self, token: str, password: str, name: str | None = None) -> str:
        """Use a set-password link; returns the account's email address. `name`: the display
        name asked on the same form (NameRejected if given but empty)."""
        if len(password) < MIN_PASSWORD:
            raise PasswordRejected(f"at least {MIN_PASSWORD} characters")
        display = clean_name(name) if name is not None else None
        # hashed before the transaction: no write lock is held while argon2 works
        new_hash = await hash_password(password)
        now = self.clock()
        async with self.store.session() as session, session.begin():
            account_id = await self._use_token(session, token, "password", now)
            if account_id is None:
                raise PasswordRejected("this link has expired or has been used")
            account = await session.get(DeskAccount, account_id)
            account.password_hash = new_hash
            account.password_set_at = now
            if display is not None:
                await session.execute(
                    update(Recruiter)
                    .where(Recruiter.id == account.recruiter_id)
                    .values(name=display)
                )
            # A new password ends every session of the old one, and the browsers recognised
            # with it are recognised again only after a login with the new one.
            await session.execute(
                delete(DeskToken).where(
                    DeskToken.account_id == account.id,
                    DeskToken.purpose.in_(("session", "device", "login-link")),
                )
            )
            return await session.scalar(
                select(Recruiter.email).where(Recruiter.id == account.recruiter_id)
            )

    async def log_in(
        self,
        email: str,
        password: str,
        client: str,
        *,
        devices: Sequence[str] = (),
        browser: str = "",
        language: str = "en",
    ) -> Login:
        """A new session, or LoginRefused (see there).

        `client` is the client's address; `devices` the device tokens this browser holds (its
        device cookie); `browser` a random value kept in a cookie of this browser, which a
        login link mailed for this attempt will require."""
        email = normalise_email(email)
        now = self.clock()
        throttle = LoginThrottle(self.key, client, email)
        account_id, stored, device = await self._account(email, devices, now)

        # Counted before the password is checked, so that parallel attempts cannot all pass
        # a limit that none of them has counted yet (desk/throttle.py).
        wait_until: datetime | None = None
        under_attack = False
        async with self.store.session() as session, session.begin():
            trusted = False
            if device is not None:
                counted = await throttle.count(session, throttle.device(device), now, None)
                trusted = counted.failures <= FREE_PER_DEVICE
                if not trusted:
                    # too many wrong passwords with it (a stolen cookie?): it is recognised no
                    # more, for anyone who holds it
                    await session.execute(delete(DeskToken).where(DeskToken.token_hash == device))
                    await throttle.forget(session, throttle.device(device))
                    device = None
            if not trusted:
                for subject, free in (
                    (throttle.client, FREE_PER_CLIENT),
                    (throttle.pair, FREE_PER_PAIR),
                ):
                    counted = await throttle.count(session, subject, now, free)
                    if counted.refused_until:
                        wait_until = counted.refused_until
                        break
                else:
                    counted = await throttle.count(session, throttle.address, now, None)
                    under_attack = counted.failures > ATTACK_AFTER
        if wait_until is not None:
            raise LoginRefused(wait_until, wait=wait_until - now)

        matches = await password_matches(stored, password)
        if under_attack:
            # The same answer, in the same time, whether the password was right or not: the
            # mail is written afterwards, and only the recruiter's mailbox sees it.
            if matches and account_id is not None and browser:
                self._later(self._mail_login_link(account_id, email, browser, language))
            raise LoginRefused(unrecognised_browser=True)
        if not matches:
            raise LoginRefused()
        assert account_id is not None and stored is not None  # only an account's hash matches

        new_hash = await hash_password(password) if needs_rehash(stored) else None
        async with self.store.session() as session, session.begin():
            if device is not None:  # its token is renewed below: a new count with it
                await throttle.forget(session, throttle.device(device))
            if not trusted:
                await throttle.give_back(session, throttle.client)
                await throttle.forget(session, throttle.pair)
                await throttle.give_back(session, throttle.address)
            if new_hash:
                await session.execute(
                    update(DeskAccount)
                    .where(DeskAccount.id == account_id)
                    .values(password_hash=new_hash)
                )
            login = await self._open_session(session, account_id, device, now)
        replaced = next((t for t in devices if device and self._hash(t) == device), None)
        return dataclasses.replace(login, replaced_device=replaced)

    async def _account(
        self, email: str, devices: Sequence[str], now: datetime
    ) -> tuple[int | None, str | None, str | None]:
        """The account of this address (id, password hash), and the hash of the device token
        by which this browser is recognised for it, if any."""
        hashes = [self._hash(token) for token in devices[:MAX_DEVICES] if token]
        async with self.store.session() as session:
            row = (
                await session.execute(
                    select(DeskAccount.id, DeskAccount.password_hash)
                    .join(Recruiter, Recruiter.id == DeskAccount.recruiter_id)
                    .where(Recruiter.email == email)
                )
            ).first()
            if row is None:
                return None, None, None
            device = None
            if hashes and row.password_hash:
                device = await session.scalar(
                    select(DeskToken.token_hash)
                    .where(
                        DeskToken.token_hash.in_(hashes),
                        DeskToken.purpose == "device",
                        DeskToken.account_id == row.id,
                        DeskToken.expires_at > now,
                    )
                    .order_by(DeskToken.created_at.desc(), DeskToken.id.desc())
                    .limit(1)
                )
        return row.id, row.password_hash, device

    def _later(self, work) -> None:
        task = asyncio.create_task(work)
        self._mailing.add(task)
        task.add_done_callback(self._mailing.discard)

    async def wait_for_mail(self) -> None:
        """Until the login links being written now are queued (for tests and shutdown)."""
        if self._mailing:
            await asyncio.gather(*self._mailing, return_exceptions=True)

    async def _mail_login_link(
        self, account_id: int, email: str, browser: str, language: str
    ) -> None:
        try:
            async with self.store.session() as session, session.begin():
                token = self._new_token(
                    session,
                    account_id,
                    "login-link",
                    LOGIN_LINK_MINUTES / 60,
                    self._browser_binding(browser),
                )
            if self.mailer is None:
                logger.warning("a desk login link could not be sent: no mailer")
                return
            link = f"{self.base_url}/desk/login/link/{token}"
            values = {"link": link, "minutes": LOGIN_LINK_MINUTES}
            mail = Mail(
                email,
                say("mail.desk_login_link.subject", language),
                say("mail.desk_login_link.body", language, **values),
                "desk_login_link",
            )
            await self.mailer.send([mail])
        except Exception:  # the answer has gone; a failure here must not go unnoticed
            logger.exception("a desk login link could not be sent")

    async def log_in_with_link(self, token: str, browser: str) -> Login | None:
        """Use a mailed login link in the browser that asked for it; None if it does not work
        (expired, used, or another browser)."""
        if not token or not browser:
            return None
        now = self.clock()
        async with self.store.session() as session, session.begin():
            account_id = await self._use_token(
                session,
                token,
                "login-link",
                now,
                DeskToken.csrf_token == self._browser_binding(browser),
            )
            if account_id is None:
                return None
            return await self._open_session(session, account_id, None, now)
