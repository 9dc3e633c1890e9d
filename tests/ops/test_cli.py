"""The `helpdesk` console script as an operator uses it: real processes, real exit codes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ats.helpers import csv_row, write_csv
from tests.conftest import require_postgres

HELPDESK = str(Path(sys.executable).with_name("helpdesk"))


def helpdesk(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "ATS_DATABASE_URL": database_url}
    return subprocess.run(
        [HELPDESK, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ats.db'}"


def migrate_now(url: str) -> None:
    """What `helpdesk ats migrate` does, in this process (a subprocess less per test)."""
    from ats.db import create_engine
    from ats.migrate import migrate

    async def migrating() -> None:
        engine = create_engine(url)
        try:
            await migrate(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrating())


@pytest.fixture
def ats_url(sqlite_url: str) -> str:
    """A SQLite ATS an operator has migrated (every command but `ats migrate` wants one)."""
    migrate_now(sqlite_url)
    return sqlite_url


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["ats"],
        ["ats", "migrate"],
        ["ats", "import"],
        ["ats", "demo"],
        ["ats", "show"],
        ["run"],
        ["mail", "flush"],
        ["telegram", "set-webhook"],
        ["telegram", "poll"],
        ["sweep"],
        ["desk", "add-recruiter"],
        ["desk", "invite"],
    ],
)
def test_every_command_has_help(command, sqlite_url):
    result = helpdesk(*command, "--help", database_url=sqlite_url)
    assert result.returncode == 0, result.stderr
    assert "usage: helpdesk" in result.stdout


def test_migrate_creates_the_database(sqlite_url, tmp_path):
    result = helpdesk("ats", "migrate", database_url=sqlite_url)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    assert (tmp_path / "ats.db").exists()


def test_import_prints_a_summary_and_show_prints_the_application(ats_url, tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        [csv_row(reference="AP-7K3M-9XQ2"), csv_row(candidate_email="b@example.com")],
    )
    result = helpdesk("ats", "import", str(path), database_url=ats_url)
    assert result.returncode == 0, result.stderr
    assert "2 application(s): 2 created, 0 updated, 0 unchanged" in result.stdout

    again = helpdesk("ats", "import", str(path), database_url=ats_url)
    assert "0 created, 0 updated, 2 unchanged" in again.stdout

    shown = helpdesk("ats", "show", "ap 7k3m 9xq2", database_url=ats_url)
    assert shown.returncode == 0, shown.stderr
    assert "AP-7K3M-9XQ2  Data Analyst [DATA-1]" in shown.stdout
    assert "Sanne de Vries <sanne@example.nl>" in shown.stdout
    assert "Applied:          2026-11-02 10:00 CET" in shown.stdout
    assert "Acknowledge by:   2026-11-09 10:00 CET" in shown.stdout
    assert "OVERDUE" in shown.stdout
    assert "History:" in shown.stdout and "applied  by import export.csv via import" in shown.stdout


def test_a_bad_file_lists_every_bad_row_and_exits_non_zero(ats_url, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [
            csv_row(),
            csv_row(candidate_email="nope", status="lost"),
            csv_row(candidate_email="c@example.com", applied_at="yesterday"),
        ],
    )
    result = helpdesk("ats", "import", str(path), database_url=ats_url)
    assert result.returncode == 1
    assert "3 problem(s); nothing was imported" in result.stderr
    assert "line 3: candidate_email: 'nope' is not an email address" in result.stderr
    assert "line 3: status: 'lost' is not one of" in result.stderr
    assert "line 4: applied_at: 'yesterday' is not an ISO 8601" in result.stderr
    shown = helpdesk("ats", "overdue", database_url=ats_url)
    assert "0 overdue application(s)." in shown.stdout


def test_missing_and_unreadable_files_are_clear_errors(ats_url, tmp_path):
    missing = helpdesk("ats", "import", str(tmp_path / "nope.csv"), database_url=ats_url)
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    assert "Traceback" not in missing.stderr
    (tmp_path / "wrong.csv").write_text("name;email\nx;y\n")
    wrong = helpdesk("ats", "import", str(tmp_path / "wrong.csv"), database_url=ats_url)
    assert wrong.returncode == 1
    assert "lacks the column(s) candidate_name" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_show_explains_unknown_and_malformed_references(ats_url):
    unknown = helpdesk("ats", "show", "AP-0000-0000", database_url=ats_url)
    assert unknown.returncode == 1
    assert "no application with reference AP-0000-0000" in unknown.stderr
    malformed = helpdesk("ats", "show", "12345", database_url=ats_url)
    assert malformed.returncode == 2
    assert "is not a reference" in malformed.stderr


def test_demo_seeds_once_and_prints_what_to_try(ats_url):
    result = helpdesk("ats", "demo", database_url=ats_url)
    assert result.returncode == 0, result.stderr
    assert "Try these applicants:" in result.stdout
    assert "AP-7K3M-9XQ2" in result.stdout
    second = helpdesk("ats", "demo", "--if-empty", database_url=ats_url)
    assert "already holds applications" in second.stdout
    overdue = helpdesk("ats", "overdue", database_url=ats_url)
    assert "ack_overdue" in overdue.stdout and "update_overdue" in overdue.stdout


def test_bad_configuration_is_reported_without_a_traceback(tmp_path):
    result = helpdesk("ats", "migrate", database_url="mysql://root@localhost/ats")
    assert result.returncode == 2
    assert "must be a sqlite:/// or postgresql:// URL" in result.stderr
    env = {**os.environ, "HELPDESK_TIMEZONE": "Mars/Olympus"}
    result = subprocess.run(
        [HELPDESK, "ats", "migrate"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 2
    assert "HELPDESK_TIMEZONE='Mars/Olympus' is not a time zone" in result.stderr


def test_an_unreachable_database_is_a_clear_error():
    result = helpdesk("ats", "migrate", database_url="postgresql://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert "cannot reach the ATS database" in result.stderr
    assert "Traceback" not in result.stderr


def test_import_and_show_on_postgresql(tmp_path):
    url = require_postgres()
    path = write_csv(tmp_path / "export.csv", [csv_row(reference="AP-PG00-0001")])
    helpdesk("ats", "migrate", database_url=url)
    result = helpdesk("ats", "import", str(path), database_url=url)
    assert result.returncode == 0, result.stderr
    shown = helpdesk("ats", "show", "AP-PG00-0001", database_url=url)
    assert "Sanne de Vries" in shown.stdout


def test_no_python310_gets_a_message_that_says_how_to_get_it(tmp_path):
    script = Path(__file__).parents[2] / "scripts" / "find-python.sh"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path)}
    result = subprocess.run(
        ["sh", str(script)], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode == 0:
        pytest.skip(f"this machine has a system Python 3.10 at {result.stdout.strip()}")
    assert result.returncode == 1
    assert "needs Python 3.10" in result.stderr
    assert "pyenv install 3.10" in result.stderr


def test_a_distribution_s_python310_is_preferred_and_another_comes_with_a_note(tmp_path):
    script = Path(__file__).parents[2] / "scripts" / "find-python.sh"
    pyenvs = tmp_path / "versions" / "3.10.99" / "bin" / "python3.10"
    pyenvs.parent.mkdir(parents=True)
    pyenvs.symlink_to(sys.executable)  # this test's own 3.10
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path)}
    result = subprocess.run(
        ["sh", str(script)], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    system = Path("/usr/bin/python3.10")
    if system.exists() and "lacks its venv module" not in result.stderr:
        assert result.stdout.strip() == str(system)
        assert "no security fixes" not in result.stderr
    else:
        assert result.stdout.strip() == str(pyenvs)
        assert "not a distribution's python3.10" in result.stderr
        assert "no security fixes" in result.stderr


def test_mail_flush_sends_what_is_queued(sqlite_url, tmp_path):
    import asyncio

    from ats.db import create_engine
    from ats.migrate import upgrade
    from ats.outbox import queue_mail
    from ats.records import Mail
    from ats.store import ATSStore

    async def queue() -> None:
        store = ATSStore(create_engine(sqlite_url))
        await upgrade(store.engine)
        async with store.session() as session, session.begin():
            await queue_mail(session, [Mail("a@example.com", "Hello", "Body", "test")])
        await store.close()

    asyncio.run(queue())
    env = {
        **os.environ,
        "ATS_DATABASE_URL": sqlite_url,
        "HELPDESK_OUTBOX_DIR": str(tmp_path / "out"),
    }
    env.pop("SMTP_HOST", None)
    result = subprocess.run(
        [HELPDESK, "mail", "flush"], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "1 queued mail(s) sent." in result.stdout
    assert len(list((tmp_path / "out").glob("*.eml"))) == 1


def test_sweep_escalates_the_overdue_demo_applications_once(ats_url, tmp_path):
    env = {
        **os.environ,
        "ATS_DATABASE_URL": ats_url,
        "HELPDESK_OUTBOX_DIR": str(tmp_path / "out"),
        "HELPDESK_SECRET_KEY": "k",
        "TELEGRAM_BOT_TOKEN": "",
    }
    env.pop("SMTP_HOST", None)
    assert helpdesk("ats", "demo", database_url=ats_url).returncode == 0

    def sweep() -> str:
        result = subprocess.run(
            [HELPDESK, "sweep"], capture_output=True, text=True, env=env, check=False
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    first = sweep()
    escalated = int(first.split("Sweep: ")[1].split()[0])
    assert escalated >= 2 and "digest(s)" in first
    mails = list((tmp_path / "out").glob("*.eml"))
    assert any("sanne.devries@example.nl" in p.read_text() for p in mails)
    assert "Sweep: 0 escalated" in sweep()
    assert len(list((tmp_path / "out").glob("*.eml"))) == len(mails)


def test_sweep_on_an_empty_ats_says_so_without_a_traceback(sqlite_url):
    assert helpdesk("ats", "migrate", database_url=sqlite_url).returncode == 0
    result = helpdesk("sweep", database_url=sqlite_url)
    assert result.returncode == 0, result.stderr
    assert "Sweep: 0 escalated" in result.stdout
    bad = helpdesk("sweep", "--loop", "--every", "0", database_url=sqlite_url)
    assert bad.returncode == 2 and "every minute" in bad.stderr and "Traceback" not in bad.stderr
