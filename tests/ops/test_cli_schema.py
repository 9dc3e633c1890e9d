"""Only `helpdesk ats migrate` changes the ATS schema. Every other command checks it first: behind
(or empty) is one line saying to run `helpdesk ats migrate`, exit 1, nothing changed; ahead (a
newer release migrated it) is a warning, and reading and sweeping go on. A read-only database
user can run the commands that only read."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from ats.db import create_engine
from ats.migrate import current_revision, head_revision, migrate, upgrade
from tests.conftest import require_postgres
from tests.servers import HELPDESK, PROJECT, free_port

REFERENCE = "AP-7K3M-9XQ2"  # a demo applicant
FUTURE = "f00dfeedbeef"  # a revision a newer release made, unknown to this one


def helpdesk(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ATS_DATABASE_URL": database_url,
        "HELPDESK_SECRET_KEY": "test-secret",
        "TELEGRAM_BOT_TOKEN": "",
    }
    env.pop("SMTP_HOST", None)
    return subprocess.run(
        [HELPDESK, *args], cwd=PROJECT, capture_output=True, text=True, env=env, timeout=120
    )


def sql(url: str, *statements: str, autocommit: bool = False) -> list[tuple]:
    """Runs the statements on the database; the last one's rows."""

    async def running() -> list[tuple]:
        options = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
        engine = create_engine(url, **options)
        try:
            async with engine.begin() as connection:
                rows: list[tuple] = []
                for statement in statements:
                    result = await connection.exec_driver_sql(statement)
                    rows = [tuple(row) for row in result] if result.returns_rows else []
                return rows
        finally:
            await engine.dispose()

    return asyncio.run(running())


def schema(url: str, revision: str = "head") -> str | None:
    """Migrates to the revision (all the way: as `helpdesk ats migrate` does); the one now."""

    async def migrating() -> str | None:
        engine = create_engine(url)
        try:
            if revision == "head":
                await migrate(engine)
            else:
                await upgrade(engine, revision)
            return await current_revision(engine)
        finally:
            await engine.dispose()

    return asyncio.run(migrating())


def revision_of(url: str) -> str | None:
    return sql(url, "SELECT version_num FROM alembic_version")[0][0]


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ats.db'}"


@pytest.mark.parametrize(
    "command",
    [
        ["ats", "show", REFERENCE],
        ["sweep"],
        ["serve", "actions", "--port", str(free_port())],
        ["run", "--no-train"],
    ],
    ids=["show", "sweep", "serve-actions", "run"],
)
def test_on_an_empty_database_commands_and_servers_say_to_migrate_and_create_nothing(
    command, sqlite_url, tmp_path
):
    result = helpdesk(*command, database_url=sqlite_url)
    assert result.returncode == 1, result.stdout + result.stderr
    line = one_line(result.stderr)
    assert line.startswith("helpdesk: the ATS database sqlite")
    assert line.endswith("has no schema yet: run helpdesk ats migrate")
    assert sql(sqlite_url, "SELECT name FROM sqlite_master") == []


def test_on_an_older_schema_a_command_changes_nothing_until_migrated(sqlite_url):
    schema(sqlite_url, "0008")
    demo = helpdesk("ats", "demo", database_url=sqlite_url)
    assert demo.returncode == 1
    assert one_line(demo.stderr).endswith(
        f"is behind this help desk (schema revision 0008, needs {head_revision()}): "
        "run helpdesk ats migrate"
    )
    assert revision_of(sqlite_url) == "0008"
    assert sql(sqlite_url, "SELECT count(*) FROM applications") == [(0,)]

    migrated = helpdesk("ats", "migrate", database_url=sqlite_url)
    assert migrated.returncode == 0, migrated.stderr
    assert revision_of(sqlite_url) == head_revision()
    assert helpdesk("ats", "demo", database_url=sqlite_url).returncode == 0


def test_on_a_newer_schema_show_and_sweep_work_and_migrate_refuses(sqlite_url, tmp_path):
    schema(sqlite_url)
    assert helpdesk("ats", "demo", database_url=sqlite_url).returncode == 0
    # what a newer release's migration might have done: a column more, its revision
    sql(
        sqlite_url,
        "ALTER TABLE applications ADD COLUMN next_release_note TEXT",
        f"UPDATE alembic_version SET version_num = '{FUTURE}'",
    )

    shown = helpdesk("ats", "show", REFERENCE, database_url=sqlite_url)
    assert shown.returncode == 0, shown.stderr
    assert REFERENCE in shown.stdout
    warning = one_line(shown.stderr)
    assert warning.startswith("helpdesk: warning: ") and FUTURE in warning
    assert "newer than this help desk knows" in warning

    swept = helpdesk("sweep", database_url=sqlite_url)
    assert swept.returncode == 0, swept.stderr
    assert "Sweep: " in swept.stdout and "escalated" in swept.stdout

    refused = helpdesk("ats", "migrate", database_url=sqlite_url)
    assert refused.returncode == 1
    line = one_line(refused.stderr)
    assert f"has schema revision {FUTURE}, which this help desk does not know" in line
    assert "Nothing was changed" in line and "does not downgrade" in line
    assert revision_of(sqlite_url) == FUTURE


# -- a read-only database user, on PostgreSQL --------------------------------------------------


@pytest.fixture
def read_only_url() -> Iterator[str]:
    """A scratch database, migrated and seeded by its owner, and the URL of a role that may only
    SELECT from it; both dropped after."""
    base = make_url(require_postgres())
    name = f"reno_m_{uuid.uuid4().hex[:8]}"
    admin = base.set(database="postgres").render_as_string(hide_password=False)
    owner = base.set(database=name).render_as_string(hide_password=False)
    reader = base.set(database=name, username=name, password=None)
    sql(admin, f'CREATE DATABASE "{name}"', autocommit=True)
    try:
        sql(admin, f'CREATE ROLE "{name}" LOGIN', autocommit=True)
        schema(owner)
        seeded = helpdesk("ats", "demo", database_url=owner)
        assert seeded.returncode == 0, seeded.stderr
        sql(
            owner,
            f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC',
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            f'GRANT CONNECT ON DATABASE "{name}" TO "{name}"',
            f'GRANT USAGE ON SCHEMA public TO "{name}"',
            f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{name}"',
        )
        yield reader.render_as_string(hide_password=False)
    finally:
        sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', autocommit=True)
        sql(admin, f'DROP ROLE IF EXISTS "{name}"', autocommit=True)


def test_a_read_only_user_can_show_and_list_and_is_told_when_a_command_writes(read_only_url):
    shown = helpdesk("ats", "show", REFERENCE, database_url=read_only_url)
    assert shown.returncode == 0, shown.stderr
    assert REFERENCE in shown.stdout and "History:" in shown.stdout
    overdue = helpdesk("ats", "overdue", database_url=read_only_url)
    assert overdue.returncode == 0, overdue.stderr
    assert "overdue application(s)." in overdue.stdout
    # an up-to-date schema: the migration has nothing to write either
    migrated = helpdesk("ats", "migrate", database_url=read_only_url)
    assert migrated.returncode == 0, migrated.stderr

    for writing in (["desk", "add-recruiter", "new@example.com", "--name", "New"], ["ats", "demo"]):
        refused = helpdesk(*writing, database_url=read_only_url)
        assert refused.returncode == 1
        line = one_line(refused.stderr)
        assert line.startswith("helpdesk: the ATS database") and "permission denied" in line
        assert line.endswith("(this command writes; the database user may only read)")
