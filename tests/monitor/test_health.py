"""`helpdesk sweep --loop --port N`: the deadline monitor's /health and /metrics."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
from pathlib import Path

from tests.servers import HELPDESK, PROJECT, free_port, get_text


def test_the_sweep_loop_reports_its_health_and_the_deadline_figures(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ATS_DATABASE_URL": f"sqlite:///{tmp_path / 'ats.db'}",
        "HELPDESK_OUTBOX_DIR": str(tmp_path / "outbox"),
        "HELPDESK_SECRET_KEY": "test",
    }
    env.pop("SMTP_HOST", None)
    for step in (["ats", "migrate"], ["ats", "demo"]):
        subprocess.run([HELPDESK, *step], env=env, check=True, capture_output=True)
    port = free_port()
    sweep = subprocess.Popen(
        [HELPDESK, "sweep", "--loop", "--port", str(port)],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body = get_text(f"http://127.0.0.1:{port}/metrics")
                if 'helpdesk_sweeps_total{outcome="ok"} 1.0' in body:
                    break
            except OSError:
                pass
            assert sweep.poll() is None, sweep.stdout.read().decode()
            assert time.monotonic() < deadline, "no sweep was reported"
            time.sleep(0.5)
        assert status == 200
        # the demo data has three applications past their acknowledgement deadline and two past
        # a promised update, which the sweep has just escalated
        with sqlite3.connect(tmp_path / "ats.db") as db:
            (open_escalations,) = db.execute(
                "SELECT count(*) FROM escalations WHERE state != 'resolved'"
            ).fetchone()
        assert open_escalations == 5
        assert "\nhelpdesk_applications_ack_overdue 3.0" in body
        assert f"\nhelpdesk_escalations_open {open_escalations}.0" in body
        assert get_text(f"http://127.0.0.1:{port}/health")[0] == 200
    finally:
        sweep.terminate()
        sweep.wait(10)
