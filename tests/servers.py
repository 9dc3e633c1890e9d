"""Starting the real help desk (`helpdesk run`: Rasa server + action server) for tests."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HELPDESK = str(Path(sys.executable).with_name("helpdesk"))
PROJECT = Path(__file__).parents[1]


# Limits per client address, raised for help desks that all tests reach from 127.0.0.1.
TEST_CLIENT_LIMITS = {
    "HELPDESK_MESSAGES_PER_MINUTE": "1000",
    "HELPDESK_CODE_MAILS_PER_HOUR": "1000",
    "HELPDESK_CODE_REQUESTS_PER_CLIENT_PER_HOUR": "1000",
    "HELPDESK_WRONG_CODES_PER_CLIENT": "1000",
    "HELPDESK_UNVERIFIED_ESCALATIONS_PER_CLIENT": "1000",
}


def csrf_of(page: str) -> str:
    """The CSRF token of a desk page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def get_text(url: str, timeout: float = 10) -> tuple[int, str]:
    """GET: the status and the body, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def post_json(url: str, payload: dict, timeout: float = 30) -> list[dict]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class RunningHelpdesk:
    """`helpdesk run` in a folder of its own: its ATS, outbox and log live in `home`."""

    home: Path
    rasa_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    arguments: tuple[str, ...] = ()  # `helpdesk run`'s
    # started as a script's background command is: with SIGINT ignored
    sigint_ignored: bool = False
    process: subprocess.Popen | None = None

    @property
    def log(self) -> Path:
        return self.home / "run.log"

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    @property
    def webhook(self) -> str:
        return f"http://localhost:{self.rasa_port}/webhooks/rest/webhook"

    def start(self, timeout: float = 600) -> RunningHelpdesk:
        env = {
            **os.environ,
            "ATS_DATABASE_URL": f"sqlite:///{self.home / 'ats.db'}",
            "HELPDESK_OUTBOX_DIR": str(self.outbox),
            "HELPDESK_SECRET_KEY": "test-secret",
            "HELPDESK_RASA_PORT": str(self.rasa_port),
            "HELPDESK_ACTIONS_PORT": str(self.actions_port),
            # no deadline monitor unless a test asks for one: it would mail the demo applicants
            "HELPDESK_SWEEP_MINUTES": "0",
            # two test processes share two cores: a busy moment is no broken action server
            # (the tests of the timeout itself set theirs)
            "HELPDESK_ACTION_TIMEOUT_SECONDS": "10",
            # every test talks from 127.0.0.1, one client to the help desk: the limits per
            # client address are tested where a test sets them (tests/security/, tests/ats/)
            **TEST_CLIENT_LIMITS,
            **self.extra_env,
        }
        env.pop("SMTP_HOST", None)
        self.home.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("w")
        # as `make run` does: the schema first (`helpdesk run` only checks it)
        migrated = subprocess.run(
            [HELPDESK, "ats", "migrate"], cwd=PROJECT, env=env, stdout=handle, stderr=handle
        )
        if migrated.returncode:
            handle.close()
            raise RuntimeError(f"helpdesk ats migrate failed:\n{self.log.read_text()[-4000:]}")
        self.process = subprocess.Popen(
            [HELPDESK, "run", *self.arguments],
            cwd=PROJECT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            preexec_fn=_ignore_sigint if self.sigint_ignored else None,
        )
        handle.close()
        deadline = time.monotonic() + timeout  # may include training the model once
        while "Press Ctrl-C to stop." not in self.log.read_text():
            if self.process.poll() is not None:
                raise RuntimeError(f"helpdesk run stopped:\n{self.log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"helpdesk run did not come up:\n{self.log.read_text()[-4000:]}")
            time.sleep(1)
        return self

    def interrupt(self, how: signal.Signals = signal.SIGINT) -> int:
        """Ctrl-C, as an operator would (or `kill`, with SIGTERM); returns the exit code."""
        assert self.process is not None
        self.process.send_signal(how)
        return self.process.wait(timeout=60)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.interrupt()
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def send(self, sender: str, message: str, metadata: dict | None = None) -> list[dict]:
        payload = {"sender": sender, "message": message}
        if metadata:
            payload["metadata"] = metadata
        return post_json(self.webhook, payload)
