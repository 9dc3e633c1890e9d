"""`helpdesk privacy` as an operator uses it from cron or by hand: real processes, real exit
codes, an ATS with a closed application past its period and an open one."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.ats.helpers import csv_row, write_csv
from tests.ops.test_cli import HELPDESK, ats_url, migrate_now, sqlite_url  # noqa: F401

TEN_WEEKS_AGO = datetime.now(timezone.utc) - timedelta(weeks=10)
LONG_AGO = TEN_WEEKS_AGO.strftime("%Y-%m-%d")
STORED_LONG_AGO = TEN_WEEKS_AGO.strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLite holds UTC times


def helpdesk(*args: str, url: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "ATS_DATABASE_URL": url,
        "HELPDESK_OUTBOX_DIR": str(tmp_path / "outbox"),
        "HELPDESK_SECRET_KEY": "cli-privacy-test",
    }
    return subprocess.run(
        [HELPDESK, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def imported(url: str, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "export.csv",
        [
            csv_row(applied_at=LONG_AGO, status="rejected"),
            csv_row(
                candidate_name="James Carter",
                candidate_email="james@example.com",
                candidate_language="en",
                vacancy_code="DEV-2",
                vacancy_title="Developer",
            ),
        ],
    )
    result = helpdesk("ats", "import", str(path), url=url, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr


def test_export_then_erase_on_request(ats_url, tmp_path):  # noqa: F811
    imported(ats_url, tmp_path)
    out = tmp_path / "james.json"
    result = helpdesk(
        "privacy", "export", "james@example.com", "--out", str(out), url=ats_url, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["name"] == "James Carter" and len(data["applications"]) == 1
    assert "Sanne" not in out.read_text()

    refused = helpdesk("privacy", "erase", "james@example.com", url=ats_url, tmp_path=tmp_path)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    erased = helpdesk(
        "privacy", "erase", "james@example.com", "--yes", url=ats_url, tmp_path=tmp_path
    )
    assert erased.returncode == 0, erased.stderr
    assert "1 application(s), 1 applicant(s)" in erased.stdout and "ATS" in erased.stdout
    gone = helpdesk("privacy", "export", "james@example.com", url=ats_url, tmp_path=tmp_path)
    assert gone.returncode == 1 and "no applicant" in gone.stderr


def test_the_purge_for_cron_counts_first_then_erases(ats_url, tmp_path):  # noqa: F811
    imported(ats_url, tmp_path)
    # the import learnt of the rejection only now: the period runs from the import
    dry = helpdesk("privacy", "purge", "--dry-run", url=ats_url, tmp_path=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "would erase 0 closed application(s)" in dry.stdout
    # five weeks later (the clock moved by moving the closing date back)
    with sqlite3.connect(ats_url.removeprefix("sqlite:///")) as db:
        db.execute(
            "UPDATE applications SET closed_at = ? WHERE status = 'rejected'", (STORED_LONG_AGO,)
        )
    dry = helpdesk("privacy", "purge", "--dry-run", url=ats_url, tmp_path=tmp_path)
    assert (
        "would erase 1 closed application(s) past their retention period (1 applicant(s)"
        in dry.stdout
    )
    assert (
        helpdesk("privacy", "export", "sanne@example.nl", url=ats_url, tmp_path=tmp_path).returncode
        == 0
    )
    purged = helpdesk("privacy", "purge", url=ats_url, tmp_path=tmp_path)
    assert purged.returncode == 0, purged.stderr
    assert "erased 1 closed application(s)" in purged.stdout
    assert (
        helpdesk("privacy", "export", "sanne@example.nl", url=ats_url, tmp_path=tmp_path).returncode
        == 1
    )
    assert (
        helpdesk(
            "privacy", "export", "james@example.com", url=ats_url, tmp_path=tmp_path
        ).returncode
        == 0
    )
