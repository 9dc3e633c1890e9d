"""Shared fixtures: the ATS store on SQLite and on PostgreSQL, and the settings it runs with.

The PostgreSQL half uses ATS_TEST_POSTGRES_URL (default: the local server's `test` database).
When it cannot be reached those tests are skipped with the reason, unless
HELPDESK_REQUIRE_POSTGRES=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email
import os
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from ats.db import create_engine
from ats.migrate import upgrade
from ats.settings import Settings
from ats.store import ATSStore
from tests.servers import RunningHelpdesk, free_port

BASE_POSTGRES_URL = os.environ.get(
    "ATS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# `make test` runs in two processes (pytest-xdist): each has a database of its own, made from the
# one named, because the tests empty their tables.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
POSTGRES_URL = (
    f"{BASE_POSTGRES_URL}_{WORKER}"
    if WORKER and BASE_POSTGRES_URL.rsplit("/", 1)[-1].isidentifier()
    else BASE_POSTGRES_URL
)
REQUIRE_POSTGRES = os.environ.get("HELPDESK_REQUIRE_POSTGRES") == "1"
TABLES = (
    "candidate_feedback",
    "review_messages",
    "spooled_work",
    "ats_writebacks",
    "canned_replies",
    "escalation_copies",
    "escalation_messages",
    "applicant_conversations",
    "erasure_tombstones",
    "tracker_erasures",
    "erasure_announcements",
    "conversation_proofs",
    "rate_counters",
    "ats_webhook_events",
    "audit_log",
    "desk_tokens",
    "desk_accounts",
    "undelivered_messages",
    "linked_chats",
    "link_tokens",
    "telegram_updates",
    "whatsapp_messages_seen",
    "whatsapp_sent",
    "whatsapp_windows",
    "outgoing_mail",
    "verification_challenges",
    "lockouts",
    "escalations",
    "status_events",
    "applications",
    "candidates",
    "vacancies",
    "recruiters",
)

_postgres_state: dict[str, object] = {}


def _postgres_problem() -> str | None:
    """None when the test PostgreSQL is reachable and migrated; else why not (checked once)."""
    if "problem" not in _postgres_state:

        async def prepare() -> None:
            if POSTGRES_URL != BASE_POSTGRES_URL:
                await create_database(POSTGRES_URL)
            engine = create_engine(POSTGRES_URL)
            try:
                async with engine.begin() as connection:
                    await connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
                    await connection.exec_driver_sql("CREATE SCHEMA public")
                await upgrade(engine)
            finally:
                await engine.dispose()

        try:
            # A thread of its own, so this works from async tests with a loop already running.
            with ThreadPoolExecutor(1) as thread:
                thread.submit(asyncio.run, asyncio.wait_for(prepare(), timeout=20)).result()
            _postgres_state["problem"] = None
        except Exception as exc:  # any failure to connect or migrate means "not available"
            _postgres_state["problem"] = f"{type(exc).__name__}: {exc}"
    return _postgres_state["problem"]  # type: ignore[return-value]


async def create_database(url: str) -> None:
    """A test database, made when missing (PostgreSQL creates none on its own)."""
    base, _, name = url.rpartition("/")
    engine = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            # the name is the test database's and a worker id ("gw0"): an identifier
            exists = await connection.exec_driver_sql(
                f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
            )
            if exists.first() is None:
                await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        await engine.dispose()


def require_postgres() -> str:
    problem = _postgres_problem()
    if problem:
        message = f"PostgreSQL at {POSTGRES_URL} is not reachable ({problem})"
        if REQUIRE_POSTGRES:
            pytest.fail(message + " and HELPDESK_REQUIRE_POSTGRES=1", pytrace=False)
        pytest.skip(message + "; the PostgreSQL half of the ATS tests is skipped")
    return POSTGRES_URL


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        ats_database_url=f"sqlite:///{tmp_path / 'ats.db'}",
        timezone=ZoneInfo("Europe/Amsterdam"),
        ack_working_days=5,
        holiday_country="NL",
        code_answer_ms=0,  # the wait is tested on its own; thousands of answers need not pay it
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ats.db'}"
    return require_postgres()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[ATSStore]:
    """A migrated, empty ATS store on each database."""
    engine = create_engine(database_url)
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            await connection.exec_driver_sql(
                f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"
            )
    else:
        await upgrade(engine)
    ats = ATSStore(engine)
    yield ats
    await ats.close()


@pytest.fixture
def db_settings(settings: Settings, database_url: str) -> Settings:
    """Settings pointing at the database under test."""
    return dataclasses.replace(settings, ats_database_url=database_url)


# Browser tests: Playwright drives Debian's Chromium, headless. Chromium is never downloaded:
# it is /usr/bin/chromium (or HELPDESK_CHROMIUM), which `make test` installs when it can.
# Without it the browser tests skip with a message saying so, unless HELPDESK_REQUIRE_BROWSER=1
# (CI) makes that a failure.
CHROMIUM = os.environ.get("HELPDESK_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("HELPDESK_REQUIRE_BROWSER") == "1"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium():
    """Per module: Playwright's sync API keeps an event loop running in this thread while it
    is open, which the async tests of later modules could not start under."""
    if not Path(CHROMIUM).exists():
        message = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message + " and HELPDESK_REQUIRE_BROWSER=1", pytrace=False)
        pytest.skip(message + "; the browser tests are skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield browser
        browser.close()


# Mail over a real SMTP conversation: an aiosmtpd server on loopback that keeps what it gets.
class Inbox:
    """An SMTP server's handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


# `make test` runs the suite in two processes (pytest-xdist, --dist loadgroup). The tests that
# share a running help desk, or a Redis database, stay in one process: a group each. Listed
# longest first: they run first, so that the short modules fill in beside them at the end
# instead of one process finishing a long group alone.
GROUPS = {
    "tests/security/": "security",
    "tests/web/": "plain",
    "tests/test_conversations.py": "plain",
    "tests/production/": "production",
    "tests/desk/": "desk",
    "tests/channels/test_telegram.py": "telegram",
    "tests/channels/test_whatsapp": "whatsapp",  # the three WhatsApp modules' help desk
    "tests/server/": "server",
    "tests/ops/test_run.py": "run",
    "tests/channels/test_message_limit.py": "redis",
}
ORDER = list(dict.fromkeys(GROUPS.values()))


# tryfirst: pytest-xdist reads the marks in its own collection hook, which must come after this.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test in a group (`make test` runs with --dist loadgroup): the modules that share a
    running help desk together, every other module as one group of its own, so that a worker
    runs a module's tests one after the other and sets its module fixtures up once. The
    groups of GROUPS first, in its order; then the rest as collected."""
    groups: dict[str, str] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        group = next((g for prefix, g in GROUPS.items() if module.startswith(prefix)), module)
        item.add_marker(pytest.mark.xdist_group(group))
        groups[item.nodeid] = group
    rank = {group: place for place, group in enumerate(ORDER)}
    items.sort(key=lambda item: rank.get(groups[item.nodeid], len(ORDER)))


# The running help desks: `helpdesk run` in a folder of its own, one per configuration, started
# when a test first asks for it and shared by every module that asks for the same one, stopped
# at the end of the session (a start costs a Rasa server's 15 seconds).
@pytest.fixture(scope="session")
def running_helpdesk(tmp_path_factory) -> Iterator[Callable[..., RunningHelpdesk]]:
    started: dict[tuple[str, tuple[tuple[str, str], ...]], RunningHelpdesk] = {}

    def start(name: str, **env: str) -> RunningHelpdesk:
        key = (name, tuple(sorted(env.items())))
        if key not in started:
            started[key] = RunningHelpdesk(tmp_path_factory.mktemp(name), extra_env=env).start()
        return started[key]

    yield start
    for running in started.values():
        running.stop()
