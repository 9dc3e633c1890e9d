"""The action server's own Sanic settings (server/action_server.py)."""

from __future__ import annotations

import aiohttp

from ats.settings import Settings
from server.action_server import build_app


async def test_idle_connections_stay_open_longer_than_the_rasa_servers_keep_them(
    settings: Settings,
):
    # Rasa's client (aiohttp) reuses an idle connection for its keep-alive time; a server that
    # closes it sooner races the next call, which then fails with the applicant's apology.
    connector = aiohttp.TCPConnector()  # as Rasa's sessions make it (rasa/utils/endpoints.py)
    client_keeps = connector._keepalive_timeout
    await connector.close()
    app = build_app(settings)
    assert app.config.KEEP_ALIVE_TIMEOUT > client_keeps
