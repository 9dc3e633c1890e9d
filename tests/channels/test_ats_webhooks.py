"""POST /ats/<ats> in process: what the ATS hears when the help desk cannot keep a delivery yet.

The running help desk's side (signatures, duplicates, junk) is in tests/security/.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sanic import Sanic

from actions.ats.db import create_engine
from actions.ats.store import ATSStore
from actions.settings import Settings
from channels.ats_webhooks import AtsWebhooks
from desk.services import DeskServices
from tests.ats.sync.test_greenhouse import STAGE_CHANGE
from tests.servers import free_port

SECRET = "in-process-greenhouse-secret"


@pytest.fixture
def use_store(monkeypatch):
    """Puts the desk services (which the channel uses) on this store."""
    monkeypatch.setenv("GREENHOUSE_WEBHOOK_SECRET", SECRET)

    def use(store: ATSStore, settings: Settings) -> None:
        monkeypatch.setattr(DeskServices, "_current", DeskServices(settings, store, None, None))

    return use


@pytest.fixture
async def client(monkeypatch) -> AsyncIterator[httpx.AsyncClient]:
    """The channel in a Sanic server of its own, on a free port of this machine."""
    # Sanic rewrites its own methods at each start; test mode lets a second app start too
    monkeypatch.setattr(Sanic, "test_mode", True)
    app = Sanic(f"ats-webhooks-{uuid.uuid4().hex}")
    app.blueprint(AtsWebhooks().blueprint(lambda message: None), url_prefix="/ats")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            yield http
    finally:
        server.close()
        await server.wait_closed()


async def deliver(client: httpx.AsyncClient) -> httpx.Response:
    body = json.dumps(STAGE_CHANGE).encode()
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Signature": f"sha256 {digest}", "Greenhouse-Event-ID": uuid.uuid4().hex}
    return await client.post("/ats/greenhouse", content=body, headers=headers)


async def test_a_delivery_is_applied(client, use_store, store, settings) -> None:
    use_store(store, settings)
    answer = await deliver(client)
    assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
    assert await store.find_applications_by_email("giuseppe.hurley@example.com")


async def test_while_the_store_is_away_the_ats_hears_to_deliver_again(
    client, use_store, settings
) -> None:
    away = ATSStore(create_engine("postgresql://postgres@127.0.0.1:9/nowhere"))
    use_store(away, settings)
    answer = await deliver(client)
    assert answer.status_code == 503
    assert "deliver again" in answer.json()["error"]
    await away.close()


async def test_an_invalid_mapping_is_a_503_not_a_crash(
    client, use_store, store, settings, tmp_path, monkeypatch
) -> None:
    use_store(store, settings)
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"greenhouse": {"stages": {"Phone Screen": "maybe"}}}')
    monkeypatch.setenv("HELPDESK_ATS_MAPPING", str(mapping))
    answer = await deliver(client)
    assert answer.status_code == 503
    assert "mapping" in answer.json()["error"]
    assert not await store.find_applications_by_email("giuseppe.hurley@example.com")
