"""The real Rasa server, as `helpdesk run` starts it, applies the help desk's patches when it
starts, whatever channels it loads, and closes everything they keep open when it stops: after
Ctrl-C its log has no "Unclosed client session", "Unclosed connector" or pending task."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from speech.catalogue import say
from tests.servers import RunningHelpdesk, free_port

pytestmark = pytest.mark.server

LEFT_OPEN = ("Unclosed client session", "Unclosed connector", "Task was destroyed", "closing the")


class Hanging(BaseHTTPRequestHandler):
    """An action server that takes every call and answers none in time."""

    def do_POST(self) -> None:
        time.sleep(20)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def hanging_action_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Hanging)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhook"
    server.shutdown()
    server.server_close()


def stopped_cleanly(helpdesk: RunningHelpdesk) -> str:
    """Ctrl-C, as an operator stops it; returns the log."""
    assert helpdesk.interrupt() == 0
    log = helpdesk.log.read_text()
    assert "Stopping the help desk..." in log
    for sign in LEFT_OPEN:
        assert sign not in log, log[log.find(sign) - 2000 :]
    return log


def test_a_silent_action_server_gets_an_apology_and_nothing_is_left_open(
    tmp_path: Path, hanging_action_server: str
) -> None:
    helpdesk = RunningHelpdesk(
        tmp_path,
        extra_env={
            "HELPDESK_ACTIONS_URL": hanging_action_server,
            "HELPDESK_ACTION_TIMEOUT_SECONDS": "1",
        },
    )
    try:
        helpdesk.start()
        started = time.monotonic()
        # the greeting is a custom action: the server's patches answer for the silent one
        replies = helpdesk.send(f"shutdown-{uuid.uuid4().hex}", "Hello")
        assert [reply["text"] for reply in replies] == [say("conversation.error", "en")]
        assert time.monotonic() - started < 10
        stopped_cleanly(helpdesk)
    finally:
        helpdesk.stop()
