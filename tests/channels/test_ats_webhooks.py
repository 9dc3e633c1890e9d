"""POST /ats/<ats> in process, over real HTTP: what the ATS hears when the help desk cannot keep a
delivery yet, and the replays and forgeries a captured delivery allows (both databases).

Lever's API is a local fake (tests/ats/sync/fake_lever.py). The running help desk's side
(signatures, junk, the same attacks) is in tests/security/.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sanic import Sanic

from ats import desk_changes
from ats.db import create_engine
from ats.models import Status
from ats.settings import ConfigurationError, Settings
from ats.store import ATSStore
from channels.ats_webhooks import AtsWebhooks
from desk.services import DeskServices
from tests.ats.helpers import add, row
from tests.ats.sync import fake_lever, test_lever
from tests.ats.sync.configured import configured
from tests.ats.sync.fake_lever import FakeLever
from tests.ats.sync.test_greenhouse import STAGE_CHANGE
from tests.ats.sync.test_recruitee import MOVED as RECRUITEE_MOVED
from tests.ats.sync.test_workable import MOVED as WORKABLE_MOVED
from tests.ats.sync.test_writeback import desk_sets
from tests.servers import free_port

SECRET = "in-process-greenhouse-secret"
SECRETS = {
    "greenhouse": SECRET,
    "lever": f"another-event-type-token,{test_lever.SECRET}",
    "recruitee": "in-process-recruitee-secret",
    "workable": "in-process-workable-secret",
}
GREENHOUSE_EMAIL = "giuseppe.hurley@example.com"
VICTIM = "opp-victim-0001"


def now() -> datetime:
    return datetime.now(timezone.utc)


class Reconfigured(DeskServices):
    """The desk services with the ATS sync's settings read from the environment the test has
    set at each use (as a process restarted with that environment would read them)."""

    @property  # type: ignore[override]
    def settings(self) -> Settings:
        return configured(self.__dict__["base"])

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.__dict__["base"] = value


@pytest.fixture
def use_store(monkeypatch, settings: Settings) -> Callable[[ATSStore, Settings], None]:
    """Puts the desk services (which the channel uses) on this store; every receiver on."""
    for ats, secret in SECRETS.items():
        monkeypatch.setenv(f"{ats.upper()}_WEBHOOK_SECRET", secret)
    monkeypatch.delenv("HELPDESK_WEBHOOK_MAX_AGE_SECONDS", raising=False)
    monkeypatch.delenv("LEVER_API_KEY", raising=False)

    def use(store: ATSStore, settings: Settings = settings) -> None:
        services = Reconfigured(settings, store, None, None)
        monkeypatch.setattr(DeskServices, "_current", services)

    return use


@pytest.fixture
def start(monkeypatch) -> Callable[[], contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]:
    """Starts the channel in a Sanic server of its own, on a free port of this machine, with
    the environment as it is then (the freshness window is read when the channel starts)."""
    # Sanic rewrites its own methods at each start; test mode lets a second app start too
    monkeypatch.setattr(Sanic, "test_mode", True)

    @contextlib.asynccontextmanager
    async def started() -> AsyncIterator[httpx.AsyncClient]:
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

    return started


@pytest.fixture
async def client(start) -> AsyncIterator[httpx.AsyncClient]:
    async with start() as http:
        yield http


@pytest.fixture
async def lever_api(monkeypatch) -> AsyncIterator[FakeLever]:
    """Lever's API holding test_lever's opportunity (at Phone Screen) and the victim's."""
    victim = test_lever.held_opportunity("Phone Screen")
    victim["id"], victim["emails"] = VICTIM, ["victim@example.com"]
    fake = FakeLever([test_lever.held_opportunity("Phone Screen"), victim])
    async with fake_lever.serving(fake) as url:
        monkeypatch.setenv("LEVER_API_KEY", fake_lever.API_KEY)
        monkeypatch.setenv("LEVER_API_URL", url)
        yield fake


def greenhouse_body(at: datetime | None = None, stage: str = "Phone Screen") -> bytes:
    body = copy.deepcopy(STAGE_CHANGE)
    application = body["payload"]["application"]
    application["last_activity_at"] = (at or now()).isoformat()
    application["current_stage"]["name"] = stage
    return json.dumps(body).encode()


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def deliver(
    client: httpx.AsyncClient, body: bytes | None = None, event_id: str | None = None
) -> httpx.Response:
    """A Greenhouse delivery, signed as Greenhouse signs it."""
    body = greenhouse_body() if body is None else body
    headers = {
        "Signature": f"sha256 {hex_hmac(SECRET, body)}",
        "Greenhouse-Event-ID": event_id or uuid.uuid4().hex,
    }
    return await client.post("/ats/greenhouse", content=body, headers=headers)


def signed_body(ats: str, at: datetime) -> tuple[bytes, dict[str, str]]:
    """A delivery of each ATS signed at `at`, and its headers."""
    if ats == "greenhouse":
        body = greenhouse_body(at)
        return body, {"Signature": f"sha256 {hex_hmac(SECRET, body)}"}
    if ats == "recruitee":
        event = dict(copy.deepcopy(RECRUITEE_MOVED), created_at=at.isoformat())
        body = json.dumps(event).encode()
        return body, {"X-Recruitee-Signature": hex_hmac(SECRETS["recruitee"], body)}
    if ats == "workable":
        event = dict(copy.deepcopy(WORKABLE_MOVED), fired_at=at.isoformat())
        event["data"]["updated_at"] = at.isoformat()
        body = json.dumps(event).encode()
        return body, {"X-Workable-Signature": hex_hmac(SECRETS["workable"], body)}
    return lever_body("candidateStageChange", test_lever.OPPORTUNITY, at), {}


def lever_body(name: str, opportunity: str, at: datetime, token: str | None = None) -> bytes:
    body = test_lever.payload(name, at=int(at.timestamp() * 1000), opportunityId=opportunity)
    if token:
        body["token"] = token
    return json.dumps(test_lever.sign(body)).encode()


def replayed(captured: bytes, name: str, opportunity: str) -> bytes:
    """A captured Lever delivery with its signed envelope kept and the rest rewritten."""
    envelope = json.loads(captured)
    envelope["event"] = name
    envelope["data"] = {"opportunityId": opportunity, "candidateId": "c", "contactId": "c"}
    return json.dumps(envelope).encode()


async def lever_applications(store: ATSStore, settings: Settings) -> None:
    await test_lever.imported(store, settings)
    victim = row(
        line=3,
        candidate_email="victim@example.com",
        candidate_name="Vic Tim",
        ats_system="lever",
        ats_id=VICTIM,
    )
    await add(store, settings, victim)


async def status_of(store: ATSStore, email: str) -> Status:
    [found] = await store.find_applications_by_email(email)
    return found.status


async def test_a_delivery_is_applied(client, use_store, store, settings) -> None:
    use_store(store)
    answer = await deliver(client)
    assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
    assert await store.find_applications_by_email(GREENHOUSE_EMAIL)


async def test_while_the_store_is_away_the_ats_hears_to_deliver_again(
    client, use_store, settings
) -> None:
    away = ATSStore(create_engine("postgresql://postgres@127.0.0.1:9/nowhere"))
    use_store(away)
    answer = await deliver(client)
    assert answer.status_code == 503
    assert "deliver again" in answer.json()["error"]
    await away.close()


async def test_an_invalid_mapping_is_a_503_not_a_crash(
    client, use_store, store, settings, tmp_path, monkeypatch
) -> None:
    use_store(store)
    mapping = tmp_path / "mapping.json"
    mapping.write_text('{"greenhouse": {"stages": {"Phone Screen": "maybe"}}}')
    monkeypatch.setenv("HELPDESK_ATS_MAPPING", str(mapping))
    answer = await deliver(client)
    assert answer.status_code == 503
    assert "mapping" in answer.json()["error"]
    assert not await store.find_applications_by_email(GREENHOUSE_EMAIL)


async def test_a_captured_body_under_a_new_delivery_id_is_a_duplicate(
    client, use_store, store, settings
) -> None:
    use_store(store)
    captured = greenhouse_body()
    assert (await deliver(client, captured, "gh-1")).json() == {"status": "applied"}
    [app] = await store.find_applications_by_email(GREENHOUSE_EMAIL)
    # the applicant withdraws through the help desk; the attacker sends the captured body again
    await store.record_status_change(app.reference, Status.WITHDRAWN, actor="a", source="chat")
    answer = await deliver(client, captured, "gh-2-new-id")
    assert (answer.status_code, answer.json()) == (200, {"status": "duplicate"})
    assert await status_of(store, GREENHOUSE_EMAIL) is Status.WITHDRAWN


async def test_an_event_of_the_time_already_applied_does_not_apply_again(
    client, use_store, store, settings
) -> None:
    use_store(store)
    at = now()
    assert (await deliver(client, greenhouse_body(at, "Offer"))).json() == {"status": "applied"}
    answer = await deliver(client, greenhouse_body(at, "Phone Screen"))
    assert (answer.status_code, answer.json()) == (200, {"status": "stale"})
    assert await status_of(store, GREENHOUSE_EMAIL) is Status.OFFER


@pytest.mark.parametrize("ats", ["greenhouse", "recruitee", "workable", "lever"])
@pytest.mark.parametrize(
    ("age", "taken"),
    [
        (timedelta(hours=1), False),
        (timedelta(seconds=301), False),
        (timedelta(minutes=-10), False),  # signed in the future
        (timedelta(seconds=240), True),
    ],
)
async def test_a_delivery_signed_too_long_ago_or_in_the_future_is_refused(
    client, use_store, store, settings, lever_api, ats, age, taken, caplog
) -> None:
    use_store(store, dataclasses.replace(settings, default_recruiter_email="desk@example.com"))
    await test_lever.imported(store, settings)
    body, headers = signed_body(ats, now() - age)
    with caplog.at_level(logging.WARNING):
        answer = await client.post(f"/ats/{ats}", content=body, headers=headers)
    if taken:
        assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
        return
    assert answer.status_code == 400
    assert "refused" in answer.json()["error"]
    assert "refused" in caplog.text
    assert await store.count_applications() == 1  # Lever's, imported; nothing added
    assert await status_of(store, test_lever.EMAIL) is Status.APPLIED
    assert lever_api.requests == []


async def test_the_freshness_window_is_the_operator_s_to_set(
    start, use_store, store, settings, monkeypatch
) -> None:
    use_store(store)
    monkeypatch.setenv("HELPDESK_WEBHOOK_MAX_AGE_SECONDS", "60")
    async with start() as client:
        answer = await deliver(client, greenhouse_body(now() - timedelta(seconds=120)))
        assert answer.status_code == 400 and "60 s" in answer.json()["error"]
    for invalid in ("soon", "0", "-5", "1e9", "86401"):
        # read with the other settings: a process does not start with it (nor take deliveries)
        monkeypatch.setenv("HELPDESK_WEBHOOK_MAX_AGE_SECONDS", invalid)
        with pytest.raises(ConfigurationError, match="HELPDESK_WEBHOOK_MAX_AGE_SECONDS"):
            Settings.from_env()
    assert not await store.find_applications_by_email(GREENHOUSE_EMAIL)


async def test_a_lever_envelope_replayed_with_other_data_is_the_same_delivery(
    client, use_store, store, settings, lever_api
) -> None:
    use_store(store)
    await lever_applications(store, settings)
    captured = lever_body("candidateStageChange", test_lever.OPPORTUNITY, now())
    answer = await client.post("/ats/lever", content=captured)
    assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
    asked = len(lever_api.requests)
    for name in ("candidateHired", "candidateArchiveChange", "candidateStageChange"):
        for opportunity in (VICTIM, test_lever.OPPORTUNITY):
            replay = replayed(captured, name, opportunity)
            answer = await client.post("/ats/lever", content=replay)
            assert (answer.status_code, answer.json()) == (200, {"status": "duplicate"})
    assert len(lever_api.requests) == asked  # a replay costs no call to Lever's API
    assert await status_of(store, "victim@example.com") is Status.APPLIED
    assert await status_of(store, test_lever.EMAIL) is Status.SCREENING


async def test_a_lever_delivery_claiming_a_hire_changes_only_what_lever_says(
    client, use_store, store, settings, lever_api
) -> None:
    use_store(store)
    await lever_applications(store, settings)
    # the attacker is first with a captured envelope, rewritten as the victim's hire
    captured = lever_body("candidateStageChange", test_lever.OPPORTUNITY, now())
    answer = await client.post("/ats/lever", content=replayed(captured, "candidateHired", VICTIM))
    assert answer.status_code == 200
    assert await status_of(store, "victim@example.com") is Status.SCREENING  # Lever's stage
    assert lever_api.requests[-1].startswith(f"/v1/opportunities/{VICTIM}?")


async def test_an_old_lever_delivery_is_refused(
    client, use_store, store, settings, lever_api
) -> None:
    use_store(store)
    await lever_applications(store, settings)
    old = lever_body("candidateHired", VICTIM, now() - timedelta(hours=2))
    answer = await client.post("/ats/lever", content=old)
    assert answer.status_code == 400 and "refused" in answer.json()["error"]
    assert await status_of(store, "victim@example.com") is Status.APPLIED
    assert lever_api.requests == []


async def test_without_lever_s_api_key_a_lever_delivery_changes_nothing_and_says_why(
    client, use_store, store, settings, caplog
) -> None:
    use_store(store)
    await lever_applications(store, settings)
    with caplog.at_level(logging.WARNING):
        answer = await client.post(
            "/ats/lever", content=lever_body("candidateHired", VICTIM, now())
        )
    assert answer.status_code == 503 and "LEVER_API_KEY" in answer.json()["error"]
    assert "LEVER_API_KEY" in caplog.text
    assert await status_of(store, "victim@example.com") is Status.APPLIED
    # an event of no concern needs no confirming
    created = lever_body("applicationCreated", VICTIM, now())
    assert (await client.post("/ats/lever", content=created)).json() == {"status": "ignored"}


async def test_while_lever_s_api_is_away_lever_hears_to_deliver_again(
    client, use_store, store, settings, lever_api, monkeypatch
) -> None:
    use_store(store)
    await lever_applications(store, settings)
    monkeypatch.setenv("LEVER_API_URL", f"http://127.0.0.1:{free_port()}/v1")
    delivery = lever_body("candidateHired", VICTIM, now())
    answer = await client.post("/ats/lever", content=delivery)
    assert answer.status_code == 503 and "deliver again" in answer.json()["error"]
    assert await status_of(store, "victim@example.com") is Status.APPLIED
    # Lever delivers again once its API answers: not a duplicate, and what Lever says applies
    monkeypatch.setenv("LEVER_API_URL", lever_api.url)
    assert (await client.post("/ats/lever", content=delivery)).json() == {"status": "applied"}
    assert await status_of(store, "victim@example.com") is Status.SCREENING


@pytest.fixture
def parses(monkeypatch) -> list[int]:
    """Every json.loads call, by the size of what it parsed."""
    calls: list[int] = []
    real = json.loads

    def counted(text, *args, **kwargs):
        calls.append(len(text))
        return real(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counted)
    return calls


@pytest.mark.parametrize("ats", ["greenhouse", "lever", "recruitee", "workable"])
async def test_a_forged_or_oversized_body_costs_no_parsing(
    client, use_store, store, settings, ats, parses
) -> None:
    use_store(store)
    body, _ = signed_body(ats, now())
    forged_event = {**json.loads(body), "padding": "x" * 60_000}
    if ats == "lever":  # Lever's signature is in the body
        forged_event["signature"] = "0" * 64
    forged = json.dumps(forged_event).encode()
    oversized = json.dumps({**json.loads(body), "padding": "x" * (1024 * 1024)}).encode()
    if ats == "lever":  # Lever's bodies are a few hundred bytes: over 64 KiB is not Lever's
        oversized = json.dumps({**json.loads(body), "padding": "x" * 70_000}).encode()
    parses.clear()
    headers = {"Signature": "sha256 " + "0" * 64, "X-Recruitee-Signature": "0" * 64}
    headers["X-Workable-Signature"] = "0" * 64
    answer = await client.post(f"/ats/{ats}", content=forged, headers=headers)
    assert answer.status_code == 401
    answer = await client.post(f"/ats/{ats}", content=oversized, headers=headers)
    assert answer.status_code == 413
    assert parses == []


async def test_a_lever_delivery_is_parsed_once_whatever_the_number_of_secrets(
    client, use_store, store, settings, parses
) -> None:
    use_store(store)
    created = lever_body("applicationCreated", VICTIM, now())
    parses.clear()
    answer = await client.post("/ats/lever", content=created)
    parsed = list(parses)  # before the answer itself is read
    assert answer.json() == {"status": "ignored"}
    assert parsed == [len(created)]


async def test_a_status_set_in_the_desk_survives_the_next_delivery(
    client, use_store, store, settings
) -> None:
    """A delivery signed after the desk's change, still saying what Greenhouse said before it,
    is taken (200) but does not undo it: the desk shows what Greenhouse said
    (tests/ats/test_desk_changes.py has the rules, for every ATS and the pull)."""
    use_store(store)
    await deliver(client, greenhouse_body(now() - timedelta(minutes=2)))
    [app] = await store.find_applications_by_email(GREENHOUSE_EMAIL)
    assert app.status is Status.SCREENING
    await desk_sets(store, settings, app.reference, Status.REJECTED)
    answer = await deliver(client, greenhouse_body(now()))
    assert (answer.status_code, answer.json()) == (200, {"status": "applied"})
    assert await status_of(store, GREENHOUSE_EMAIL) is Status.REJECTED
    shown = await desk_changes.latest(store, app.reference)
    assert shown is not None and (shown.seen_status, shown.seen_source) == (
        "screening",
        "greenhouse",
    )
