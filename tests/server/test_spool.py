"""The spools on disk (events for RabbitMQ, hand-overs) are readable by the help desk only.

A spooled hand-over names the conversation (a web chat session id is a bearer secret) and
events carry what applicants typed, so another user of the machine must not read them: files
0600 and folders 0700 whatever the umask, also when a file of a stopped process is taken over.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ats.services import Services, services, use_services
from server import handovers
from server.spool import Spool


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most careless umask an operator could run the help desk with."""
    before = os.umask(0)
    yield
    os.umask(before)


def test_a_spool_file_and_its_folder_are_private_whatever_the_umask(tmp_path, open_umask):
    folder = tmp_path / "spool" / "handovers"
    spool = Spool(folder)
    try:
        spool.add({"conversation_id": "web-chat-session-secret", "action": "action_hand_to_human"})
        assert mode(folder) == 0o700
        assert mode(spool.path) == 0o600
    finally:
        spool.close()


def test_a_file_taken_over_from_a_stopped_process_is_private(tmp_path, open_umask):
    folder = tmp_path / "events"
    folder.mkdir(mode=0o755)
    # left by an older version, or by hand: readable by everyone
    stopped = folder / "old-host-1.jsonl"
    stopped.write_text('{"event": {"text": "mijn code is 123456"}}\n{"event": {}}\n')
    stopped.chmod(0o644)
    spool = Spool(folder)
    try:
        assert mode(folder) == 0o700  # the folder is closed as soon as a spool opens it
        assert spool.take_over(stopped)
        assert mode(stopped) == 0o600
        spool.rewrite(stopped, ['{"event": {}}\n'])  # what is left after a partial replay
        assert mode(stopped) == 0o600 and stopped.read_text() == '{"event": {}}\n'
    finally:
        spool.close()


async def test_a_deferred_hand_over_is_spooled_privately_and_logged_without_its_session_id(
    tmp_path, open_umask, settings, caplog
):
    # the spool folder comes from the process's settings (HELPDESK_SPOOL_DIR)
    servers = dataclasses.replace(settings.servers, spool_dir=tmp_path / "spool")
    use_services(Services.create(dataclasses.replace(settings, servers=servers)))
    session_id = "3f6c0d2e9b8a4c1d"  # a web chat session id: whoever has it reads the chat
    with caplog.at_level(logging.INFO):
        handovers.defer(session_id, "action_hand_to_human", "socketio")
    try:
        [path] = (tmp_path / "spool" / "handovers").glob("*.jsonl")
        assert mode(path) == 0o600 and mode(path.parent) == 0o700
        assert session_id in path.read_text()  # kept, to run the hand-over again
        assert "action_hand_to_human" in caplog.text and session_id not in caplog.text
    finally:
        await handovers.stop_replaying()  # as the server does when it stops
        await services().close()
        use_services(None)
    assert session_id in path.read_text()  # still there for the next server
