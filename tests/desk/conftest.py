"""The desk's test fixtures: one running help desk for all the desk tests that need Rasa (with
Telegram on, talking to the fake Bot API), and the desk in process on both databases.

The tests of the running help desk use applicants, recruiters and chat ids of their own, so
they can share it.
"""

from __future__ import annotations

import dataclasses
import email
import email.message
import email.policy
import itertools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sanic import Sanic

from ats.mail import Mailer
from ats.settings import Settings
from ats.store import ATSStore
from desk.accounts import DeskAccounts
from desk.services import DeskServices, public_url
from desk.views import build_blueprint
from tests.channels.fake_telegram import FakeTelegram
from tests.channels.test_telegram import SECRET
from tests.servers import RunningHelpdesk, csrf_of, free_port


@pytest.fixture(scope="session")
def fake():
    server = FakeTelegram().start()
    yield server
    server.stop()


# Applicants' email answers come back through the help desk's own inbound SMTP server
# (`helpdesk mail receive`, started by `helpdesk run`) on a port of each help desk's own.
INBOUND_DOMAIN = "replies.example.com"


def desk_environment(fake: FakeTelegram) -> dict[str, str]:
    return {
        **fake.environment(SECRET),
        "HELPDESK_INBOUND_DOMAIN": INBOUND_DOMAIN,
        "HELPDESK_INBOUND_SMTP_PORT": str(free_port()),
    }


@pytest.fixture(scope="session")
def desk_env(fake) -> dict[str, str]:
    return desk_environment(fake)


@pytest.fixture(scope="package")
def helpdesk(running_helpdesk, desk_env) -> RunningHelpdesk:
    return running_helpdesk("desk", **desk_env)


# The desk in process: its blueprint in a Sanic server of this test's own, on the `store` of
# tests/conftest.py (SQLite and PostgreSQL), spoken to over real HTTP. Escalations made here
# have no conversation, so the hand-over needs no Rasa agent. The server trusts one proxy
# (SANIC_PROXIES_COUNT=1, as behind nginx), so each Browser is a client of its own by its
# X-Forwarded-For.

KEY = b"in-process-desk-key"
PASSWORD = "correct horse battery staple"


class Clock:
    """The desk's clock in these tests: waits run out when the test says, not in real time."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class InProcessDesk:
    url: str
    store: ATSStore
    accounts: DeskAccounts
    settings: Settings
    clock: Clock
    clients: itertools.count

    async def account(self, address: str, name: str, *, admin: bool = False) -> None:
        token = await self.accounts.add_recruiter(address, name, admin=admin)
        await self.accounts.set_password(token, PASSWORD)

    def browser(self, client: str | None = None) -> Browser:
        """A browser of its own (cookies), at its own client address unless one is given."""
        return Browser(self, client or f"198.51.100.{next(self.clients)}")

    def outbox(self) -> list[email.message.Message]:
        folder = self.settings.outbox_dir
        return [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(folder.glob("*.eml"))
        ]


class Browser:
    def __init__(self, desk: InProcessDesk, client: str) -> None:
        self.desk = desk
        self.client = client
        self.http = httpx.AsyncClient(
            base_url=desk.url, headers={"X-Forwarded-For": client}, timeout=120
        )

    async def get(self, path: str) -> httpx.Response:
        return await self.http.get(path)

    async def post(self, path: str, **data: str) -> httpx.Response:
        return await self.http.post(path, data=data)

    async def log_in(self, address: str, password: str = PASSWORD) -> httpx.Response:
        form = await self.http.get("/desk/login")
        return await self.http.post(
            "/desk/login",
            data={"csrf_token": csrf_of(form.text), "email": address, "password": password},
        )

    async def csrf(self, path: str = "/desk/") -> str:
        return csrf_of((await self.http.get(path)).text)

    async def close(self) -> None:
        await self.http.aclose()


@pytest.fixture
async def desk(store, db_settings, tmp_path, monkeypatch) -> AsyncIterator[InProcessDesk]:
    settings = dataclasses.replace(
        db_settings,
        smtp_host=None,
        outbox_dir=tmp_path / "outbox",
        public_url="https://desk.example.com",
    )
    clock = Clock()
    mailer = Mailer(store, settings)
    accounts = DeskAccounts(store, KEY, clock, mailer=mailer, base_url=public_url(settings))
    monkeypatch.setattr(DeskServices, "_current", DeskServices(settings, store, accounts, mailer))
    # Sanic rewrites its own methods at each start; test mode lets a second app start too
    monkeypatch.setattr(Sanic, "test_mode", True)
    app = Sanic(f"desk-{uuid.uuid4().hex}")
    app.config.PROXIES_COUNT = 1
    app.ctx.agent = None
    app.ctx.input_channels = []
    app.blueprint(build_blueprint(), url_prefix="/desk")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    try:
        yield InProcessDesk(
            f"http://127.0.0.1:{port}", store, accounts, settings, clock, itertools.count(1)
        )
    finally:
        await accounts.wait_for_mail()
        server.close()
        await server.wait_closed()
