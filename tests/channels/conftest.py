"""The channels' shared fixtures: one fake of Meta's Graph API for the session, and the running
help desk with WhatsApp on that the WhatsApp modules share (started once, by whichever asks
first)."""

from __future__ import annotations

import pytest

from tests.channels.fake_whatsapp import FakeWhatsApp
from tests.servers import RunningHelpdesk

WHATSAPP_API_TOKEN = "rasa-api-token"  # Rasa's own HTTP API, for output_channel=latest
DISPLAY_NUMBER = "+31 20 123 4567"  # the business number as applicants see it (wa.me links)


@pytest.fixture(scope="session")
def whatsapp_api():
    server = FakeWhatsApp().start()
    yield server
    server.stop()


@pytest.fixture
def fake(whatsapp_api):
    """One fake Graph API for the session, a fresh record per test."""
    whatsapp_api.reset()
    return whatsapp_api


@pytest.fixture(scope="package")
def whatsapp_desk(running_helpdesk, whatsapp_api) -> RunningHelpdesk:
    return running_helpdesk(
        "whatsapp",
        **whatsapp_api.environment(),
        HELPDESK_RASA_API_TOKEN=WHATSAPP_API_TOKEN,
        WHATSAPP_DISPLAY_NUMBER=DISPLAY_NUMBER,
    )
