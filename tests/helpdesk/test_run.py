"""`helpdesk run` (what `make run` starts): a real Rasa server and action server, then Ctrl-C.

Trains the model only when data, config or domain changed since the last one in models/, so the
whole suite trains at most once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

HELPDESK = str(Path(sys.executable).with_name("helpdesk"))
PROJECT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _post(url: str, payload: dict) -> list[dict]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.server
def test_run_starts_both_servers_answers_a_greeting_and_stops_on_ctrl_c(tmp_path):
    rasa_port, actions_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "ATS_DATABASE_URL": f"sqlite:///{tmp_path / 'ats.db'}",
        "HELPDESK_RASA_PORT": str(rasa_port),
        "HELPDESK_ACTIONS_PORT": str(actions_port),
    }
    log = (tmp_path / "run.log").open("w+")
    process = subprocess.Popen(
        [HELPDESK, "run"], cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
    )
    try:
        deadline = time.monotonic() + 480  # may include training the model once
        while "Press Ctrl-C to stop." not in (tmp_path / "run.log").read_text():
            assert process.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "helpdesk run did not come up"
            time.sleep(1)
        output = (tmp_path / "run.log").read_text()
        assert "Seeded the empty ATS with 15 demo applications." in output
        assert f"http://localhost:{rasa_port}/webhooks/rest/webhook" in output
        assert "AP-7K3M-9XQ2" in output  # a demo reference to try
        assert _port_open(actions_port)

        replies = _post(
            f"http://localhost:{rasa_port}/webhooks/rest/webhook",
            {"sender": "test-greeting", "message": "Hello there"},
        )
        text = " ".join(r.get("text", "") for r in replies)
        assert "automated assistant" in text
        assert "recruiter" in text

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
        assert "Stopping the help desk" in (tmp_path / "run.log").read_text()
        for port in (rasa_port, actions_port):
            deadline = time.monotonic() + 10
            while _port_open(port) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert not _port_open(port), f"port {port} still served after Ctrl-C"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
