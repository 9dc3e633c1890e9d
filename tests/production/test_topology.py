"""The production topology under faults: two Rasa servers, shared stores, services taken away.

Each test leaves the topology as it found it (servers running, services reachable).
"""

from __future__ import annotations

import asyncio
import email
import itertools
import json
import re
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import pytest

from speech.catalogue import say
from tests.production.conftest import TOKEN, Production, drain_events
from tests.servers import get_text

pytestmark = pytest.mark.server

APOLOGY_EN = say("conversation.error", "en")
APOLOGY_NL = say("conversation.error", "nl")
AISHA = ("AP-6VFK-8RMB", "aisha.okafor@example.com")
SOPHIE = ("AP-H4NT-6KYD", "sophie.turner@example.com")  # an offer


def _verify(
    production: Production,
    sender: str,
    servers: list[int | None],
    applicant: tuple[str, str] = AISHA,
) -> str:
    """Greeting to status answer, each message to the next server in `servers`."""
    turn = itertools.cycle(servers)
    reference, email = applicant
    production.say(sender, "Hello", next(turn))
    production.say(sender, "Did you receive my application?", next(turn))
    production.say(sender, reference, next(turn))
    assert "6-digit code" in production.say(sender, email, next(turn))
    return production.say(sender, production.latest_code(email), next(turn))


def _handled_one_at_a_time(events: list[dict]) -> bool:
    """Every user message was answered (the bot listened again) before the next one began."""
    listening = True
    for event in events:
        if event["event"] == "user":
            if not listening:
                return False
            listening = False
        elif event["event"] == "action" and event.get("name") == "action_listen":
            listening = True
    return True


def test_every_server_reports_health_and_metrics(production: Production) -> None:
    for index in range(2):
        status, body = get_text(f"{production.url(index)}/health")
        assert status == 200
        checks = json.loads(body)["checks"]
        assert checks["tracker_store"] and checks["lock_store"] and checks["ats_store"]
        assert checks["event_broker"] is True
    for port in production.action_ports:
        assert get_text(f"http://127.0.0.1:{port}/health")[0] == 200
    production.wait_balanced()  # requests through nginx reach every server
    assert get_text(f"{production.url()}/nginx-health") == (200, "ok\n")

    production.say("metrics-probe", "Hello")
    status, metrics = get_text(f"{production.url()}/metrics")
    assert status == 200
    for name in (
        "helpdesk_escalations_open",
        "helpdesk_escalations_overdue",
        "helpdesk_applications_ack_overdue",
        "helpdesk_acknowledged_within_deadline_ratio",
    ):
        assert f"\n{name} " in metrics
    _status, actions = get_text(f"http://127.0.0.1:{production.action_ports[0]}/metrics")
    _status, other = get_text(f"http://127.0.0.1:{production.action_ports[1]}/metrics")
    assert 'helpdesk_actions_total{action="action_greet",outcome="ok"}' in actions + other


def test_one_conversation_alternating_between_servers_keeps_one_tracker(
    production: Production,
) -> None:
    sender = "alternating"
    assert "screening" in _verify(production, sender, [0, 1])

    # the applicant types fast, and the messages land on both servers at once
    texts = [f"thanks {n}" for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        replies = list(
            pool.map(lambda n: production.send(sender, texts[n], n % 2), range(len(texts)))
        )
    assert all(reply for reply in replies), "every message is answered"

    events = production.tracker(sender)["events"]
    said = [e["text"] for e in events if e["event"] == "user"]
    assert len(said) == 5 + len(texts)
    assert sorted(said[5:]) == sorted(texts)
    assert _handled_one_at_a_time(events)


def _append_events(production: Production, sender: str, events: list[dict]) -> None:
    request = urllib.request.Request(
        f"{production.url(0)}/conversations/{sender}/tracker/events?token={TOKEN}",
        data=json.dumps(events).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200


def test_a_rest_client_cannot_continue_another_channels_conversation_on_either_server(
    production: Production,
) -> None:
    """Refused from the conversation loaded under the lock, on PostgreSQL: also when its latest
    session holds no message yet (the sessions before it are asked)."""
    sender = "870000101"  # a Telegram chat's id is a number anyone in the group can see
    said = {"event": "user", "text": "hello", "input_channel": "telegram", "parse_data": {}}
    _append_events(production, sender, [said])
    for with_new_session in (False, True):
        if with_new_session:
            _append_events(
                production,
                sender,
                [
                    {"event": "action", "name": "action_session_start"},
                    {"event": "session_started"},
                    {"event": "action", "name": "action_listen"},
                ],
            )
        before = production.tracker(sender)["events"]
        for server in (0, 1, None):
            with pytest.raises(urllib.error.HTTPError) as refused:
                production.send(sender, "hello", server)
            assert refused.value.code == 403
            assert "another channel (telegram)" in json.loads(refused.value.read())["error"]
        assert production.tracker(sender)["events"] == before
    assert production.say("870000101-rest", "hello")  # a REST conversation of its own goes on


def test_a_rasa_server_restarted_mid_conversation_changes_nothing(
    production: Production,
) -> None:
    sender = "restarted"
    production.say(sender, "Hello")
    production.say(sender, "Did you receive my application?")
    production.say(sender, AISHA[0])
    production.kill("rasa0")
    try:
        assert "6-digit code" in production.say(sender, AISHA[1])  # nginx's other one
        production.start_rasa(0)
        # the restarted server takes the conversation where the other left it
        assert "screening" in production.say(sender, production.latest_code(AISHA[1]), 0)
    finally:
        if "rasa0" not in production.processes:
            production.start_rasa(0)
        production.wait_balanced()


def _timed_say(production: Production, sender: str, text: str) -> tuple[str, float]:
    started = time.monotonic()
    reply = production.say(sender, text)
    return reply, time.monotonic() - started


def test_a_slow_or_stopped_action_server_gets_an_apology_within_five_seconds(
    production: Production,
) -> None:
    sender = "actions-away"
    production.actions_proxy.delay = 8
    try:
        reply, took = _timed_say(production, sender, "Where is my application?")
    finally:
        production.actions_proxy.delay = 0
    assert reply == APOLOGY_EN
    assert took < 5

    for index in range(2):
        production.kill(f"actions{index}")
    try:
        reply, took = _timed_say(production, sender, "Hoe staat het met mijn sollicitatie?")
        assert reply == APOLOGY_NL
        assert took < 5
    finally:
        for index in range(2):
            production.start_actions(index)
    production.wait_balanced()

    assert "reference" in production.say(sender, "Did you receive my application?")
    said = [e["text"] for e in production.tracker(sender)["events"] if e["event"] == "user"]
    assert said == [
        "Where is my application?",
        "Hoe staat het met mijn sollicitatie?",
        "Did you receive my application?",
    ]


def _handed_over_once_back(production: Production, sender: str) -> None:
    deadline = time.monotonic() + 60
    while not production.escalations(sender):
        assert time.monotonic() < deadline, "the kept request for a person was never handed over"
        time.sleep(1)
    assert production.escalations(sender) == [("applicant_request", "open")]
    bot = [e["text"] for e in production.tracker(sender)["events"] if e["event"] == "bot"]
    assert bot[-1].startswith("I've passed your question to ")  # the applicant is told who
    # the mail names the escalation (a link into the desk), never the conversation's id
    [(escalation_id, _, _)] = production.escalation_rows(sender)
    link = re.compile(rf"/desk/escalations/{escalation_id}\b")

    def recruiter_mails() -> list[str]:
        mails = [
            email.message_from_bytes(p.read_bytes()).get_payload(decode=True).decode()
            for p in production.outbox.glob("*.eml")
        ]
        assert not [m for m in mails if sender in m]
        return [m for m in mails if link.search(m)]

    # a request the replay could not tie to the proof is an unverified one: its alert waits for
    # the contact details the bot asks, and goes out once they are in
    for answer in ("Sophie Turner", "sophie.turner@example.com", "no"):
        if recruiter_mails():
            break
        production.say(sender, answer)
    assert len(recruiter_mails()) == 1


@pytest.mark.parametrize("away", ["action servers", "ATS store"])
def test_a_request_for_a_person_while_a_service_is_away_is_handed_over_when_it_is_back(
    production: Production, away: str
) -> None:
    sender = f"person-while-{away.split()[0].lower()}-away"
    # one applicant each: the store keeps one open escalation per application and reason
    applicant = AISHA if away == "action servers" else SOPHIE
    assert "Thanks" in _verify(production, sender, [None], applicant)
    if away == "action servers":
        for index in range(2):
            production.kill(f"actions{index}")
    else:
        production.ats_postgres.cut()
    try:
        reply, took = _timed_say(production, sender, "I want to talk to a person")
        assert reply == say("conversation.handover_deferred", "en")
        assert took < 5
        assert production.escalations(sender) == []
    finally:
        if away == "action servers":
            for index in range(2):
                production.start_actions(index)
            production.wait_balanced()
        else:
            production.ats_postgres.restore()
    _handed_over_once_back(production, sender)


def test_postgres_unreachable_gets_apologies_and_the_servers_recover(
    production: Production,
) -> None:
    sender = "postgres-away"
    production.say(sender, "Hello")
    production.postgres.cut()
    try:
        for text in ("Did you receive my application?", "Hello?"):
            reply, took = _timed_say(production, sender, text)
            assert reply == APOLOGY_EN
            assert took < 5
        assert get_text(f"{production.url(0)}/health")[0] == 503
    finally:
        production.postgres.restore()
    assert all(p.poll() is None for p in production.processes.values()), "no server stopped"

    deadline = time.monotonic() + 30
    while "reference" not in production.say(sender, "Did you receive my application?"):
        assert time.monotonic() < deadline, "the help desk did not recover"
        time.sleep(1)
    assert get_text(f"{production.url(0)}/health")[0] == 200


def test_a_slow_tracker_store_holds_up_only_its_own_conversation(
    production: Production,
) -> None:
    """While one message waits on the database, the same server goes on answering."""
    sender = "tracker-store-slow"
    production.say(sender, "Hello", 0)
    production.postgres.delay = 2  # seconds before each answer of the tracker store's database
    try:
        with ThreadPoolExecutor(1) as pool:
            waiting = pool.submit(production.say, sender, "Did you receive my application?", 0)
            time.sleep(0.5)
            started = time.monotonic()
            status, _ = get_text(f"{production.url(0)}/")
            took = time.monotonic() - started
            assert not waiting.done()
            production.postgres.delay = 0
            reply = waiting.result(timeout=60)
    finally:
        production.postgres.delay = 0
    # a server stalled by the database would answer when its next reply came, 1.5 s on
    assert status == 200 and took < 1, took
    assert "reference" in reply


def test_rabbitmq_down_conversations_go_on_and_no_event_is_lost(
    production: Production,
) -> None:
    sender = "rabbitmq-away"
    drain_events(production.queue)
    production.rabbitmq.cut()
    try:
        assert "Northwind" in production.say(sender, "Hello", 0)
        assert "reference" in production.say(sender, "Did you receive my application?", 1)
        spooled = 0
        deadline = time.monotonic() + 20
        while spooled == 0 and time.monotonic() < deadline:
            time.sleep(1)
            spooled = sum(
                json.loads(get_text(f"{production.url(i)}/health")[1])["checks"]["events_spooled"]
                for i in range(2)
            )
        assert spooled > 0
    finally:
        production.rabbitmq.restore()

    tracked = [e for e in production.tracker(sender)["events"]]
    published: list[dict] = []
    deadline = time.monotonic() + 90
    while len(published) < len(tracked) and time.monotonic() < deadline:
        time.sleep(2)
        published += [e for e in drain_events(production.queue) if e["sender_id"] == sender]
    assert len(published) == len(tracked)
    assert sorted(e["timestamp"] for e in published) == sorted(e["timestamp"] for e in tracked)


async def _web_chat_on_one_server_reached_from_the_other(production: Production) -> None:
    import socketio
    from redis import asyncio as aioredis

    from tests.production.conftest import REDIS_DB, TOKEN

    client = socketio.AsyncClient()
    said: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", lambda data: said.put_nowait(data.get("text")))
    client.on("session_confirm", lambda session: confirmed.put_nowait(session))
    # long-polling: the websocket client of this python-engineio needs a newer aiohttp
    await client.connect(production.url(0), transports=["polling"])
    redis = aioredis.Redis(db=REDIS_DB)
    try:
        await client.emit("session_request", {"session_id": "c0ffee00c0ffee00c0ffee00c0ffee00"})
        session = await asyncio.wait_for(confirmed.get(), 10)
        assert session == "c0ffee00c0ffee00c0ffee00c0ffee00"
        assert await redis.scard(f"helpdesk:webchat-open:{session}") == 1  # the desk asks this

        await client.emit("user_uttered", {"message": "Hello", "session_id": session})
        assert "Northwind" in await asyncio.wait_for(said.get(), 20)

        # a recruiter's reply, written through the other server
        url = (
            f"{production.url(1)}/conversations/{session}/tracker/events"
            f"?output_channel=latest&execute_side_effects=true&token={TOKEN}"
        )
        reply = {"event": "bot", "text": "Hi, this is Eva from recruitment.", "timestamp": None}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, json=reply) as answer:
                assert answer.status == 200
        assert await asyncio.wait_for(said.get(), 20) == "Hi, this is Eva from recruitment."
    finally:
        await client.disconnect()
    await asyncio.sleep(1)
    assert await redis.scard("helpdesk:webchat-open:c0ffee00c0ffee00c0ffee00c0ffee00") == 0
    await redis.close()


def test_a_web_chat_on_one_server_gets_a_reply_sent_through_the_other(
    production: Production,
) -> None:
    asyncio.run(_web_chat_on_one_server_reached_from_the_other(production))


async def _web_chat_through_nginx(production: Production) -> None:
    import socketio

    client = socketio.AsyncClient()
    said: asyncio.Queue = asyncio.Queue()
    confirmed: asyncio.Queue = asyncio.Queue()
    client.on("bot_uttered", lambda data: said.put_nowait(data.get("text")))
    client.on("session_confirm", lambda session: confirmed.put_nowait(session))
    # long-polling: many requests of one session, which must all reach the server holding it
    await client.connect(production.url(), transports=["polling"])
    try:
        await client.emit("session_request", {"session_id": "feed0000feed0000feed0000feed0000"})
        session = await asyncio.wait_for(confirmed.get(), 10)
        for text in ("Hello", "Did you receive my application?"):
            await client.emit("user_uttered", {"message": text, "session_id": session})
            assert await asyncio.wait_for(said.get(), 20)
    finally:
        await client.disconnect()

    # the WebSocket upgrade reaches a Rasa server, which opens an Engine.IO session over it
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{production.url()}/socket.io/?EIO=4&transport=websocket") as socket,
    ):
        opened = await socket.receive(timeout=10)
        assert opened.data.startswith('0{"sid":')


def test_a_web_chat_through_nginx_polls_and_upgrades_to_a_websocket(
    production: Production,
) -> None:
    asyncio.run(_web_chat_through_nginx(production))


def test_nginx_keeps_the_rasa_api_from_public_addresses(production: Production) -> None:
    from tests.production.conftest import TOKEN

    url = f"{production.url()}/conversations/public-probe/tracker?token={TOKEN}"
    # a TLS proxy on this machine (which nginx trusts) names a client on the internet
    public = urllib.request.Request(url, headers={"X-Forwarded-For": "203.0.113.9"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(public, timeout=10)
    assert refused.value.code == 404
    assert get_text(url)[0] == 200  # from this machine
