"""One help desk for all the desk tests, with Telegram on (talking to the fake Bot API).

The tests use applicants, recruiters and chat ids of their own, so they can share it.
"""

from __future__ import annotations

import pytest

from tests.channels.fake_telegram import FakeTelegram
from tests.channels.test_telegram import SECRET
from tests.servers import RunningHelpdesk


@pytest.fixture(scope="package")
def fake():
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def helpdesk(tmp_path_factory, fake):
    running = RunningHelpdesk(
        tmp_path_factory.mktemp("desk"),
        extra_env=fake.environment(SECRET),
    ).start()
    yield running
    running.stop()
