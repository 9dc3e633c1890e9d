"""`helpdesk run` (what `make run` starts): a real Rasa server and action server, then stopped.

Before its banner it says what it does in a few lines, with no library's warnings unless asked
for with --verbose. Trains the model only when data, config or domain changed since the last
one in models/, so the whole suite trains at most once.
"""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import pytest

from ops.nginx import servers_answering
from tests.servers import RunningHelpdesk, port_open

BANNER = "The candidate help desk is running."
# Python's "path:line: SomeWarning: text", and TensorFlow's native log ("... I tensorflow/...",
# "W tensorflow/...: TF-TRT Warning: ...")
WARNING_LINE = re.compile(r"\w*Warning: |^\s*\d{4}-\d\d-\d\d [\d:.]+: [IWE] \w")


def assert_no_longer_served(helpdesk: RunningHelpdesk, after: str) -> None:
    """Both servers' ports closed within 10 s of the help desk's stop."""
    for port in (helpdesk.rasa_port, helpdesk.actions_port):
        deadline = time.monotonic() + 10
        while port_open(port) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not port_open(port), f"port {port} still served after {after}"


@pytest.mark.server
def test_run_starts_both_servers_answers_a_greeting_and_stops_on_sigterm(tmp_path):
    helpdesk = RunningHelpdesk(tmp_path, extra_env={"HELPDESK_SWEEP_MINUTES": "15"})
    try:
        helpdesk.start()
        output = helpdesk.log.read_text()
        assert "Seeded the empty ATS with 15 demo applications." in output
        assert f"http://localhost:{helpdesk.rasa_port}/webhooks/rest/webhook" in output
        assert f"http://localhost:{helpdesk.rasa_port}/careers/" in output
        assert f"http://localhost:{helpdesk.rasa_port}/desk/" in output
        assert "AP-7K3M-9XQ2" in output  # a demo reference to try
        assert port_open(helpdesk.actions_port)

        replies = helpdesk.send("test-greeting", "Hello there")
        text = " ".join(r.get("text", "") for r in replies)
        assert "automated assistant" in text
        assert "recruiter" in text

        # the deadline monitor runs beside the servers: the demo's overdue applicants are told
        deadline = time.monotonic() + 30
        while "Sweep:" not in helpdesk.log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert "Sweep:" in helpdesk.log.read_text()
        notices = [p for p in helpdesk.outbox.glob("*.eml") if "sanne.devries" in p.read_text()]
        assert notices and "Stopping" not in helpdesk.log.read_text()

        # what `docker stop`, systemd and `kill` send; Ctrl-C (SIGINT) takes the same way out
        assert helpdesk.interrupt(signal.SIGTERM) == 0
        assert "Stopping the help desk" in helpdesk.log.read_text()
        assert_no_longer_served(helpdesk, "SIGTERM")
    finally:
        helpdesk.stop()


@pytest.mark.server
def test_run_stops_on_ctrl_c_also_when_started_in_the_background_by_a_script(tmp_path):
    # `helpdesk run &` in a script: the shell starts it with SIGINT ignored
    helpdesk = RunningHelpdesk(tmp_path, sigint_ignored=True)
    try:
        helpdesk.start()
        assert helpdesk.interrupt(signal.SIGINT) == 0
        assert "Stopping the help desk" in helpdesk.log.read_text()
        assert_no_longer_served(helpdesk, "Ctrl-C")
    finally:
        helpdesk.stop()


@pytest.mark.server
def test_run_puts_nginx_in_front_of_several_action_servers_and_removes_it_on_stop(tmp_path):
    helpdesk = RunningHelpdesk(tmp_path, extra_env={"HELPDESK_ACTION_SERVERS": "2"})
    try:
        helpdesk.start()
        output = helpdesk.log.read_text()
        assert "2 action servers on ports" in output
        folder = Path(re.search(r"access log in\s+(\S+)/", output)[1])  # type: ignore[index]
        for n in range(4):
            replies = helpdesk.send(f"nginx-{n}", "Hello there")
            assert "automated assistant" in " ".join(r.get("text", "") for r in replies)
        # the Rasa server's action calls went through nginx, to both action servers
        ports = re.findall(r"action servers on ports ([\d, ]+) behind", output)[0].split(", ")
        log = (folder / "access.log").read_text()
        assert servers_answering(log) == {f"127.0.0.1:{port}" for port in ports}
        assert '"POST /webhook HTTP/1.1" 200' in log

        assert helpdesk.interrupt(signal.SIGTERM) == 0
        deadline = time.monotonic() + 10
        while port_open(helpdesk.actions_port) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not port_open(helpdesk.actions_port)
        assert not folder.exists()
    finally:
        helpdesk.stop()


def before_banner(helpdesk: RunningHelpdesk) -> list[str]:
    output = helpdesk.log.read_text()
    assert BANNER in output
    return output.split(BANNER)[0].strip().splitlines()


@pytest.mark.server
def test_run_says_what_it_does_in_a_few_lines_and_verbose_brings_the_libraries_warnings_back(
    tmp_path,
):
    quiet = RunningHelpdesk(tmp_path / "quiet")
    try:
        lines = before_banner(quiet.start())
    finally:
        quiet.stop()
    # the schema, the demo data, (the training,) Rasa starting and loading the model
    assert len(lines) <= 6, "\n".join(lines)
    assert not [line for line in lines if WARNING_LINE.search(line)], "\n".join(lines)
    assert "Seeded the empty ATS with 15 demo applications." in lines

    verbose = RunningHelpdesk(tmp_path / "verbose", arguments=("--verbose",))
    try:
        lines = before_banner(verbose.start())
    finally:
        verbose.stop()
    warnings = [line for line in lines if WARNING_LINE.search(line)]
    assert any("DeprecationWarning: " in line for line in warnings), "\n".join(lines)
    assert any(" tensorflow/" in line for line in warnings), "\n".join(lines)
