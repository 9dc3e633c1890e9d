"""Bad input against the running help desk, over real HTTP, on every channel and endpoint.

Hypothesis makes the input: malformed JSON, wrong types, huge bodies, control characters,
other scripts, SQL and HTML injection. Whatever comes in, the help desk answers a 4xx with a
clear error or a normal reply, never a 5xx; forged Telegram updates are refused and leave no
trace; chat input adds nothing to the ATS's own records; HTML typed in the chat reaches the
desk escaped; and the bot still answers "hello" afterwards.

The tests share one help desk (tests/security/conftest.py) and run in file order.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import re
import sqlite3
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ats.models import Base
from tests.security.conftest import (
    API_TOKEN,
    MESSAGES_PER_MINUTE,
    SECRET_KEY,
    TELEGRAM_SECRET,
    ats_counts,
    base_url,
    new_client,
)
from tests.servers import HELPDESK, PROJECT, csrf_of
from tests.web.conftest import last_code

pytestmark = pytest.mark.server

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TIMEOUT = 30
TELEGRAM_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ADMIN = "security.admin@example.com"
PASSWORD = "a long and careful desk password"
JAMES = ("AP-4HD8-2MWR", "james.carter@example.com")  # demo: never acknowledged, Priya's
# Each message its own conversation, each update its own id and chat: nothing collides.
_numbers = itertools.count(1)

SQL_INJECTION = [
    "' OR 1=1 --",
    "Robert'); DROP TABLE applications;--",
    "AP-7K3M-9XQ2' OR '1'='1",
    "x@example.com' UNION SELECT email FROM candidates --",
    '"; DELETE FROM candidates; --',
]
HTML_INJECTION = [
    "<script>alert('xss')</script>",
    '<img src=x onerror="alert(1)">',
    "<iframe src=javascript:alert(1)></iframe>",
    '"><svg onload=alert(1)>',
    "</textarea><b>bold</b>",
]
ODD_TEXT = [
    *SQL_INJECTION,
    *HTML_INJECTION,
    "hello\x00world",
    "\x07\x1b[31mred\x1b[0m \x7f",
    "line one\r\nline two\ttab",
    "🙂👩🏽‍💻🇳🇱 where is my application? 🙏",
    "\u202eAP-7K3M-9XQ2\u202c",  # right-to-left override
    "مرحبا، أين طلبي؟",
    "שלום, איפה המועמדות שלי?",
    "我的申请怎么样了？",
    "応募状況を教えてください",
    "x" * 5000,
    "where is my application " * 210,  # 5,040 characters of words
    "\ufeff\u200b\u200d",
    "%s %d {0} {name} ${jndi:ldap://x}",
    "../../../../etc/passwd",
]


def url(helpdesk, path: str) -> str:
    return base_url(helpdesk) + path


def no_server_error(answer: requests.Response) -> requests.Response:
    assert answer.status_code < 500, (answer.status_code, answer.text[:500])
    return answer


def rest(
    helpdesk, data: bytes | str, client: dict[str, str] | None = None, **params: str
) -> requests.Response:
    """POST to the REST channel, as `client` (headers from new_client()), else as a new one:
    the channel's limit per client is tested on its own, below."""
    return no_server_error(
        requests.post(
            url(helpdesk, "/webhooks/rest/webhook"),
            data=data.encode() if isinstance(data, str) else data,
            params=params,
            headers={"Content-Type": "application/json", **(client or new_client())},
            timeout=TIMEOUT,
        )
    )


def say(
    helpdesk,
    sender: str,
    text: str,
    metadata: dict | None = None,
    client: dict[str, str] | None = None,
) -> list[dict]:
    body = {"sender": sender, "message": text}
    if metadata is not None:
        body["metadata"] = metadata
    answer = rest(helpdesk, json.dumps(body), client)
    assert answer.status_code == 200, answer.text
    return answer.json()


def assert_refused(answer: requests.Response, *statuses: int) -> None:
    """A 4xx (one of `statuses`) with a JSON {"error": "..."} that says what is wrong."""
    assert answer.status_code in statuses, (answer.status_code, answer.text[:300])
    error = answer.json()["error"]
    assert isinstance(error, str) and len(error) > 10


def assert_still_answers(helpdesk) -> None:
    replies = say(helpdesk, f"sec-alive-{next(_numbers)}", "hello")
    assert replies and "automated assistant" in replies[0]["text"]


def tracker(helpdesk, sender: str) -> dict:
    answer = requests.get(
        url(helpdesk, f"/conversations/{quote(sender, safe='')}/tracker"),
        params={"token": API_TOKEN},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def user_messages(helpdesk, sender: str) -> list[dict]:
    return [e for e in tracker(helpdesk, sender)["events"] if e["event"] == "user"]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
not_a_string = json_values.filter(lambda value: not isinstance(value, str))
odd_text = st.sampled_from(ODD_TEXT) | st.text(min_size=1, max_size=300)


@pytest.fixture(scope="module")
def ats_before(helpdesk) -> dict[str, int]:
    return ats_counts(helpdesk)


# --- the REST channel -------------------------------------------------------------------------


@FUZZ
@given(raw=st.binary(max_size=2000))
@example(raw=b"")
@example(raw=b"{bad json")
@example(raw=b"[1, 2]")
@example(raw=b"null")
@example(raw=b'"just a string"')
@example(raw=b"\xff\xfe\x00garbage")
@example(raw=b"[" * 5000 + b"]" * 5000)  # nested deeper than any JSON parser recurses
def test_rest_refuses_a_body_that_is_not_a_message(helpdesk, ats_before, raw):
    answer = rest(helpdesk, raw)
    assert_refused(answer, 400)


@FUZZ
@given(
    field=st.sampled_from(["sender", "message", "metadata"]),
    value=json_values,
)
@example(field="sender", value=5)
@example(field="sender", value=None)
@example(field="sender", value="")
@example(field="sender", value="tab\there")
@example(field="sender", value="s" * 201)
@example(field="message", value=None)
@example(field="message", value={"text": "hello"})
@example(field="message", value=["hello"])
@example(field="message", value="   ")
@example(field="message", value="\x00")
@example(field="metadata", value=[1])
@example(field="metadata", value="nl")
@example(field="metadata", value={"language": 5})
def test_rest_refuses_wrong_types_with_a_clear_error(helpdesk, field, value):
    body = {"sender": f"sec-types-{next(_numbers)}", "message": "hello", field: value}
    valid = {
        "sender": isinstance(value, str)
        and bool(value.strip())
        and len(value) <= 200
        and value.isprintable(),
        "message": isinstance(value, str) and value.replace("\x00", "").strip(),
        "metadata": value is None
        or (isinstance(value, dict) and isinstance(value.get("language", ""), str | None)),
    }[field]
    answer = rest(helpdesk, json.dumps(body))
    if valid and answer.status_code == 403:  # a sender that names another channel's chat
        assert "another channel" in answer.json()["error"]
    elif valid:
        assert answer.status_code == 200 and answer.json()
    else:
        assert_refused(answer, 400)
        if field != "sender":  # refused before Rasa: no conversation was started
            assert user_messages(helpdesk, body["sender"]) == []


@FUZZ
@given(text=odd_text)
def test_odd_messages_get_a_normal_reply(helpdesk, ats_before, text):
    assume(text.replace("\x00", "").strip() and not text.strip().startswith("/"))
    sender = f"sec-odd-{next(_numbers)}"
    replies = say(helpdesk, sender, text)
    assert replies and all(r["recipient_id"] == sender for r in replies)
    assert all(r.get("text") for r in replies), replies
    sorry = "can't reach our application system"
    assert not any(sorry in r["text"] for r in replies), (text, replies)
    [stored] = user_messages(helpdesk, sender)
    assert len(stored["text"]) <= 2000  # longer messages are cut, as in the web chat


def test_a_1_mb_body_is_refused_before_it_is_read_as_a_message(helpdesk):
    body = json.dumps({"sender": "sec-huge", "message": "x" * 1_000_000})
    assert_refused(rest(helpdesk, body), 413)
    body = json.dumps({"sender": "sec-huge", "message": "hi", "metadata": {"x": "y" * 1_000_000}})
    assert_refused(rest(helpdesk, body), 413)
    assert user_messages(helpdesk, "sec-huge") == []
    # a long message within the limit: cut to 2,000 characters, answered in well under a second
    started = time.monotonic()
    say(helpdesk, "sec-long", "x" * 20_000)
    assert time.monotonic() - started < 5
    assert len(user_messages(helpdesk, "sec-long")[0]["text"]) == 2000


def test_a_streamed_reply_ends_even_for_a_bad_message(helpdesk):
    answer = rest(helpdesk, json.dumps({"sender": "sec-stream", "message": 5}), stream="true")
    assert_refused(answer, 400)
    answer = rest(helpdesk, json.dumps({"sender": "sec-stream", "message": "hello"}), stream="true")
    assert answer.status_code == 200 and "automated assistant" in answer.text


def test_a_rest_client_cannot_claim_another_channel_or_a_verified_login(helpdesk):
    # Rasa reads the channel from the body, and the actions trust the web chat's checked
    # login (metadata) and a linked Telegram chat: neither may come from a REST client.
    for channel in ("socketio", "telegram"):
        replies = say(
            helpdesk,
            f"sec-spoof-{channel}",
            "Where is my application?",
            {"webchat_identity": {"subject": "aisha.okafor@example.com"}, "language": "en"},
        )
        body = {"sender": f"sec-spoof2-{channel}", "message": "Where is my application?"}
        body |= {"input_channel": channel}
        replies += rest(helpdesk, json.dumps(body)).json()
        text = " ".join(r["text"] for r in replies)
        assert "Aisha" not in text and "Data Analyst" not in text
        assert "What is your application reference?" in text
        assert user_messages(helpdesk, f"sec-spoof2-{channel}")[0]["input_channel"] == "rest"


# --- Telegram ---------------------------------------------------------------------------------


def update(chat_id: int, text: str = "Where is my application?") -> dict:
    number = next(_numbers)
    return {
        "update_id": 10_000_000 + number,
        "message": {
            "message_id": number,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Sec", "language_code": "en"},
            "text": text,
        },
    }


def telegram(helpdesk, body: bytes | str, secret: str | None = TELEGRAM_SECRET):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[TELEGRAM_HEADER] = secret
    return no_server_error(
        requests.post(
            url(helpdesk, "/webhooks/telegram/webhook"),
            data=body.encode() if isinstance(body, str) else body,
            headers=headers,
            timeout=TIMEOUT,
        )
    )


# What an HTTP header can carry (latin-1, no line breaks); servers strip the edges.
header_values = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
    max_size=60,
).map(str.strip)


@FUZZ
@given(secret=st.none() | header_values)
@example(secret=None)
@example(secret="")
@example(secret=TELEGRAM_SECRET.upper())
@example(secret=TELEGRAM_SECRET[:-1])
@example(secret=TELEGRAM_SECRET + "x")
@example(secret="sécret-with-latin-1")
@example(secret="' OR 1=1 --")
def test_a_forged_telegram_update_is_refused_and_leaves_no_trace(helpdesk, fake_telegram, secret):
    assume(secret != TELEGRAM_SECRET)
    chat_id = 880_000_000 + next(_numbers)
    answer = telegram(helpdesk, json.dumps(update(chat_id)), secret)
    assert_refused(answer, 401, 403)
    assert user_messages(helpdesk, str(chat_id)) == []
    assert not [m for m in fake_telegram.sent() if str(m.get("chat_id")) == str(chat_id)]


telegram_like = st.fixed_dictionaries(
    {"update_id": st.integers(min_value=-5, max_value=2**70) | json_values},
    optional={
        "message": json_values
        | st.fixed_dictionaries(
            {
                "message_id": json_values,
                "date": st.integers(min_value=-(2**40), max_value=2**40) | json_values,
                "chat": json_values
                | st.fixed_dictionaries(
                    {"id": st.integers(-(2**70), 2**70) | json_values, "type": json_values}
                ),
            },
            optional={"text": odd_text | json_values, "from": json_values, "entities": json_values},
        ),
        "callback_query": json_values,
        "edited_message": json_values,
        "channel_post": json_values,
    },
)


@FUZZ
@given(body=telegram_like | json_values)
def test_malformed_telegram_updates_are_refused_or_ignored_never_a_500(helpdesk, body):
    answer = telegram(helpdesk, json.dumps(body))
    if answer.status_code == 200:
        assert answer.json()["status"] in ("ok", "duplicate")
    else:
        assert_refused(answer, 400)


@FUZZ
@given(raw=st.binary(max_size=500))
@example(raw=b"")
@example(raw=b'{"update_id": 1e400}')
def test_telegram_bodies_that_are_not_json_are_refused(helpdesk, raw):
    assert_refused(telegram(helpdesk, raw), 400)


@FUZZ
@given(text=odd_text)
def test_odd_telegram_messages_get_a_normal_reply(helpdesk, fake_telegram, text):
    assume(text.strip())
    chat_id = 890_000_000 + next(_numbers)
    answer = telegram(helpdesk, json.dumps(update(chat_id, text)))
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    sent = [m for m in fake_telegram.sent() if str(m.get("chat_id")) == str(chat_id)]
    assert sent and all(m["text"] for m in sent)


def test_a_rest_client_cannot_continue_a_telegram_chat(helpdesk):
    """Conversation ids are shared by the channels, and a chat id is no secret."""
    chat_id = 870_000_001
    assert telegram(helpdesk, json.dumps(update(chat_id, "hello"))).json()["status"] == "ok"
    before = tracker(helpdesk, str(chat_id))["events"]
    for stream in ("false", "true"):
        answer = rest(
            helpdesk, json.dumps({"sender": str(chat_id), "message": "hi"}), stream=stream
        )
        assert_refused(answer, 403)
        assert "another channel (telegram)" in answer.json()["error"]
    # nothing added: no message, no session start, no reply
    assert tracker(helpdesk, str(chat_id))["events"] == before
    assert_still_answers(helpdesk)


def test_a_telegram_chat_in_a_session_without_messages_yet_is_still_the_chats(helpdesk):
    """Rasa loads only a conversation's latest session: one begun from Rasa's API holds no
    message yet, and the sessions before it tell whose conversation it is."""
    chat_id = 870_000_005
    assert telegram(helpdesk, json.dumps(update(chat_id, "hello"))).json()["status"] == "ok"
    new_session = [
        {"event": "action", "name": "action_session_start"},
        {"event": "session_started"},
        {"event": "action", "name": "action_listen"},
    ]
    answer = requests.post(
        url(helpdesk, f"/conversations/{chat_id}/tracker/events"),
        params={"token": API_TOKEN},
        json=new_session,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    answer = rest(helpdesk, json.dumps({"sender": str(chat_id), "message": "hello"}))
    assert_refused(answer, 403)
    assert len(user_messages(helpdesk, str(chat_id))) == 1


def test_a_rest_conversation_goes_on_and_a_new_one_begins(helpdesk):
    sender = f"sec-rest-{uuid.uuid4().hex}"
    for text in ("hello", "where is my application?"):
        answer = rest(helpdesk, json.dumps({"sender": sender, "message": text}))
        assert answer.status_code == 200 and answer.json(), answer.text
    assert [m["text"] for m in user_messages(helpdesk, sender)] == [
        "hello",
        "where is my application?",
    ]


# --- the web chat's Socket.IO endpoint -------------------------------------------------------


def confirmed_session(helpdesk, sid: str, asked: str) -> str:
    """The session id the server confirms when a page asks for `asked`."""
    packet = "42" + json.dumps(["session_request", {"session_id": asked}])
    assert polling(helpdesk, sid, packet).status_code == 200
    received = ""
    deadline = time.monotonic() + 10
    while "session_confirm" not in received and time.monotonic() < deadline:
        received += requests.get(
            url(helpdesk, "/socket.io/"),
            params={"EIO": "4", "transport": "polling", "sid": sid},
            timeout=30,
        ).text
    return json.loads(received[received.index("[") :].split("\x1e")[0])[1]


def test_a_web_chat_cannot_continue_another_channels_conversation(helpdesk):
    """A page choosing a Telegram chat's id or a REST client's id as its session gets a new
    session, and messages for a session this connection was not given are ignored."""
    chat_id = 870_000_002
    assert telegram(helpdesk, json.dumps(update(chat_id, "hello"))).json()["status"] == "ok"
    rest_sender = uuid.uuid4().hex
    say(helpdesk, rest_sender, "hello")
    for taken in (str(chat_id), rest_sender):
        sid = engineio_session(helpdesk)
        given = confirmed_session(helpdesk, sid, taken)
        assert given != taken
        packet = "42" + json.dumps(["user_uttered", {"session_id": taken, "message": "status?"}])
        assert polling(helpdesk, sid, packet).status_code == 200
    time.sleep(2)
    assert len(user_messages(helpdesk, str(chat_id))) == 1
    assert len(user_messages(helpdesk, rest_sender)) == 1


def engineio_session(helpdesk, client: dict[str, str] | None = None) -> str:
    """A new Engine.IO session over long-polling (as the widget starts), connected to '/', as
    `client` (else a new one: the channel knows its client by the request that opened it)."""
    answer = requests.get(
        url(helpdesk, "/socket.io/"),
        params={"EIO": "4", "transport": "polling"},
        headers=client or new_client(),
        timeout=10,
    )
    assert answer.status_code == 200 and answer.text.startswith("0"), answer.text
    sid = json.loads(answer.text[1:])["sid"]
    post = requests.post(
        url(helpdesk, "/socket.io/"),
        params={"EIO": "4", "transport": "polling", "sid": sid},
        data="40",
        timeout=10,
    )
    assert post.status_code == 200
    return sid


def polling(helpdesk, sid: str, data: bytes | str, timeout: float = 10) -> requests.Response:
    return no_server_error(
        requests.post(
            url(helpdesk, "/socket.io/"),
            params={"EIO": "4", "transport": "polling", "sid": sid},
            data=data,
            timeout=timeout,
        )
    )


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(["EIO", "transport", "sid", "t", "j", "b64"]) | st.text(max_size=8),
        st.text(max_size=30),
        max_size=4,
    ),
    body=st.none() | st.binary(max_size=300),
)
@example(query={"EIO": "4", "transport": "polling", "sid": "nonexistent"}, body=b"42[]")
@example(query={"EIO": "99", "transport": "polling"}, body=None)
@example(query={"EIO": "4", "transport": "websocket"}, body=None)
@example(query={"EIO": "3", "transport": "polling", "j": "x"}, body=None)
def test_socketio_junk_requests_are_refused_never_a_500(helpdesk, query, body):
    method = requests.get if body is None else requests.post
    answer = no_server_error(
        method(url(helpdesk, "/socket.io/"), params=query, data=body, timeout=10)
    )
    assert answer.status_code in (200, 400, 404, 405)


@FUZZ
@given(
    packet=st.binary(max_size=200)
    | st.builds(
        lambda event, data: "42" + json.dumps([event, data]),
        st.sampled_from(["user_uttered", "session_request", "bot_uttered"]) | st.text(max_size=10),
        json_values
        | st.fixed_dictionaries(
            {
                "session_id": st.sampled_from(["secsession01", "x", ""]) | json_values,
                "message": odd_text | json_values,
            },
            optional={"customData": json_values, "metadata": json_values},
        ),
    )
)
@example(packet="42[")
@example(packet='42["user_uttered", {"session_id": "secsession01", "message": {"x": 1}}]')
@example(packet='42["session_request", "not an object"]')
@example(packet="4" * 5000)
def test_socketio_junk_packets_are_refused_or_ignored(helpdesk, packet):
    assume(not hangs(packet))
    sid = engineio_session(helpdesk)
    answer = polling(helpdesk, sid, packet)
    assert answer.status_code in (200, 400)


def hangs(packet: bytes | str) -> bool:
    """Engine.IO packets only a server sends (open, ping, noop): python-engineio 4.15 then
    waits for the session's queue to drain while closing it, and never answers the POST."""
    raw = packet.encode() if isinstance(packet, str) else packet
    return any(part[:1] in (b"0", b"2", b"6") for part in raw.split(b"\x1e"))


@pytest.mark.xfail(
    strict=True,
    raises=requests.exceptions.ReadTimeout,
    reason="python-engineio 4.15 never answers these (see hangs()); channels/webchat.py",
)
@pytest.mark.parametrize("packet", ["0", "2", "6"])
def test_a_server_only_engineio_packet_is_answered(helpdesk, packet):
    sid = engineio_session(helpdesk)
    answer = polling(helpdesk, sid, packet, timeout=2)
    assert answer.status_code in (200, 400)


def test_the_web_chat_still_answers_after_the_junk(helpdesk):
    sid = engineio_session(helpdesk)
    session = uuid.uuid4().hex
    for event, data in (
        ("session_request", {"session_id": session}),
        ("user_uttered", {"session_id": session, "message": "hello"}),
    ):
        packet = "42" + json.dumps([event, data])
        assert polling(helpdesk, sid, packet).status_code == 200
    received = ""
    deadline = time.monotonic() + 20
    while "automated assistant" not in received and time.monotonic() < deadline:
        received += requests.get(
            url(helpdesk, "/socket.io/"),
            params={"EIO": "4", "transport": "polling", "sid": sid},
            timeout=30,
        ).text
    assert "bot_uttered" in received and "automated assistant" in received


def test_the_widget_renders_messages_as_text_only():
    """What the bot repeats of the applicant's words is plain text: the widget never parses
    it as HTML (Telegram gets no parse_mode, and the desk escapes it, tested below)."""
    script = (PROJECT / "web" / "chat" / "helpdesk-chat.js").read_text()
    assert "textContent" in script
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"):
        assert sink not in script


# --- limits: messages per client, metadata kept -----------------------------------------------


def helpdesk_client(client: dict[str, str]) -> str:
    """What the channels must say the client is: the keyed hash of its address (the contract
    with the actions, which limit codes per client)."""
    address = client["X-Forwarded-For"].encode()
    return hmac.new(SECRET_KEY.encode(), address, hashlib.sha256).hexdigest()[:32]


def stored_metadata(helpdesk, sender: str) -> list[dict]:
    """Each user message's metadata as the tracker keeps it, less what Rasa adds itself."""
    return [
        {
            k: v
            for k, v in (e.get("metadata") or {}).items()
            if k not in ("model_id", "assistant_id")
        }
        for e in user_messages(helpdesk, sender)
    ]


def web_chat(helpdesk, client: dict[str, str]) -> tuple[str, str]:
    """A web chat connection as `client`, with a session of its own: (sid, session id)."""
    sid = engineio_session(helpdesk, client)
    return sid, confirmed_session(helpdesk, sid, uuid.uuid4().hex)


def web_chat_messages(sid: str, session: str, texts: list[str], metadata: dict) -> str:
    """The web chat's messages, as the widget sends them, in one long-polling POST."""
    return "\x1e".join(
        "42"
        + json.dumps(["user_uttered", {"session_id": session, "message": t, "metadata": metadata}])
        for t in texts
    )


def bot_texts(helpdesk, sid: str, count: int, timeout: float = 60) -> list[str]:
    """What the server sends this connection (bot_uttered), until `count` texts have come or
    `timeout`; the long-poll waits at most a few seconds each time."""
    texts: list[str] = []
    deadline = time.monotonic() + timeout
    while len(texts) < count and time.monotonic() < deadline:
        try:
            # an empty long-poll is held until the ping interval (25 s): wait no longer than
            # the caller does
            polled = requests.get(
                url(helpdesk, "/socket.io/"),
                params={"EIO": "4", "transport": "polling", "sid": sid},
                timeout=max(0.5, deadline - time.monotonic()),
            )
        except requests.exceptions.ReadTimeout:
            break
        assert polled.status_code == 200, polled.text
        for packet in polled.text.split("\x1e"):
            if packet.startswith("42"):
                event, *data = json.loads(packet[2:])
                if event == "bot_uttered":
                    texts.append(data[0].get("text", ""))
    return texts


def test_a_client_gets_its_messages_a_minute_over_rest_and_the_web_chat_together(helpdesk):
    """A guesser at full speed from one address: half the minute's messages over REST, half
    over the web chat (they count together), then REST answers 429 with Retry-After and the
    web chat says once, politely and in the conversation's language, that it is too fast."""
    client = new_client()
    # most of the minute over REST (conversations of their own, answered in parallel); a few
    # in one web chat session, whose messages wait for each other
    half = MESSAGES_PER_MINUTE - 3
    senders = [f"sec-flood-{next(_numbers)}" for _ in range(half + 1)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda sender: rest(
                    helpdesk, json.dumps({"sender": sender, "message": "hello"}), client
                ),
                senders[:half],
            )
        )
    assert [a.status_code for a in answers] == [200] * half

    sid, session = web_chat(helpdesk, client)
    dutch = {"language": "nl"}
    packets = web_chat_messages(sid, session, ["hallo"] * (MESSAGES_PER_MINUTE - half), dutch)
    assert polling(helpdesk, sid, packets).status_code == 200
    greetings = bot_texts(helpdesk, sid, MESSAGES_PER_MINUTE - half)
    assert len(greetings) == MESSAGES_PER_MINUTE - half
    assert all("digitale assistent" in text for text in greetings)

    # the minute's messages are used up: the web chat says so once, in Dutch, and what
    # follows that minute is dropped quietly
    packets = web_chat_messages(sid, session, ["hallo", "hallo", "hallo"], dutch)
    assert polling(helpdesk, sid, packets).status_code == 200
    told = bot_texts(helpdesk, sid, 2, timeout=3)
    assert len(told) == 1 and "sneller berichten" in told[0], told
    stored = [e["text"] for e in user_messages(helpdesk, session)]
    assert stored == ["hallo"] * (MESSAGES_PER_MINUTE - half)
    # and REST refuses, before Rasa sees the message
    refused = rest(helpdesk, json.dumps({"sender": senders[-1], "message": "hello"}), client)
    assert_refused(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "too many messages" in refused.json()["error"]
    assert user_messages(helpdesk, senders[-1]) == []

    # another client is not held up by this one
    assert "automated assistant" in say(helpdesk, f"sec-flood-{next(_numbers)}", "hello")[0]["text"]


def test_only_what_the_help_desk_reads_is_stored_of_a_messages_metadata(helpdesk):
    """Rasa keeps a message's metadata for good: a client sends a language code and nothing
    else gets in, however big; the channel, not the client, says who the client is."""
    forged = {
        "language": "nl",
        "helpdesk_client": "0" * 32,  # another client, to escape a limit per client
        "webchat_identity": {"subject": "aisha.okafor@example.com", "expires_at": 2**40},
        "customData": {"junk": "x" * 8000},
    }
    client = new_client()
    sender = f"sec-meta-{next(_numbers)}"
    say(helpdesk, sender, "hallo", forged, client)
    assert stored_metadata(helpdesk, sender) == [
        {"language": "nl", "helpdesk_client": helpdesk_client(client)}
    ]

    sid, session = web_chat(helpdesk, client)
    assert (
        polling(helpdesk, sid, web_chat_messages(sid, session, ["hallo"], forged)).status_code
        == 200
    )
    assert bot_texts(helpdesk, sid, 1)
    assert stored_metadata(helpdesk, session) == [
        {"language": "nl", "helpdesk_client": helpdesk_client(client)}
    ]
    # a Socket.IO message over 16 KB is refused whole (python-socketio's default took 1 MB),
    # and the connection closed; sent while a long-poll is open, as a browser has one (without
    # it, python-engineio 4.15 waits for one before answering: see hangs())
    huge = {"language": "nl", "customData": "x" * 20_000}
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(
            requests.get,
            url(helpdesk, "/socket.io/"),
            params={"EIO": "4", "transport": "polling", "sid": sid},
            timeout=40,
        )
        time.sleep(0.5)
        answer = polling(helpdesk, sid, web_chat_messages(sid, session, ["hallo again"], huge))
        assert answer.status_code == 400
        waiting.result()
    time.sleep(1)
    assert [e["text"] for e in user_messages(helpdesk, session)] == ["hallo"]


# --- the recruiters' desk ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin(helpdesk) -> requests.Session:
    """An admin's logged-in desk session (before the junk logins lock this client out)."""
    env = {
        **os.environ,
        "ATS_DATABASE_URL": f"sqlite:///{helpdesk.home / 'ats.db'}",
        "HELPDESK_SECRET_KEY": "test-secret",
        "HELPDESK_PUBLIC_URL": base_url(helpdesk),
    }
    result = subprocess.run(
        [HELPDESK, "desk", "add-recruiter", ADMIN, "--name", "Sec Admin", "--admin"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    link = re.search(r"(http://\S+/desk/password/\S+)", result.stdout).group(1)
    browser = requests.Session()
    form = browser.get(link, timeout=TIMEOUT)
    done = browser.post(link, data={"csrf_token": csrf_of(form.text), "password": PASSWORD})
    assert done.status_code == 200, done.text
    form = browser.get(url(helpdesk, "/desk/login"), timeout=TIMEOUT)
    queue = browser.post(
        url(helpdesk, "/desk/login"),
        data={"csrf_token": csrf_of(form.text), "email": ADMIN, "password": PASSWORD},
        timeout=TIMEOUT,
    )
    assert queue.status_code == 200 and "Sec Admin" in queue.text, queue.text[:500]
    browser.csrf = csrf_of(queue.text)  # type: ignore[attr-defined]
    return browser


def escalation_of(helpdesk, admin, text: str) -> int:
    """The id of the escalation whose page shows `text`."""
    queue = admin.get(url(helpdesk, "/desk/?state=all"), timeout=TIMEOUT)
    for number in sorted(
        {int(i) for i in re.findall(r'href="/desk/escalations/(\d+)"', queue.text)}
    ):
        page = admin.get(url(helpdesk, f"/desk/escalations/{number}"), timeout=TIMEOUT)
        if text in unescape(page.text):
            return number
    raise AssertionError(f"no escalation shows {text!r}")


@pytest.fixture(scope="module")
def escalation(helpdesk, admin) -> int:
    """An escalation whose applicant typed HTML for a name and a vacancy."""
    sender = "sec-xss-applicant"
    say(helpdesk, sender, "I want to talk to a person")
    say(helpdesk, sender, HTML_INJECTION[0])  # the name
    say(helpdesk, sender, "no")  # no email address: answer here
    say(helpdesk, sender, HTML_INJECTION[2])  # the vacancy
    say(helpdesk, sender, HTML_INJECTION[1])  # and once more, for the transcript
    return escalation_of(helpdesk, admin, HTML_INJECTION[0])


@pytest.fixture(scope="module")
def james(helpdesk, admin) -> int:
    """The escalation of a verified applicant (James Carter's application is overdue)."""
    sender = "sec-james"
    say(helpdesk, sender, "Where is my application?")
    say(helpdesk, sender, JAMES[0])
    say(helpdesk, sender, JAMES[1])
    replies = say(helpdesk, sender, last_code(helpdesk, JAMES[1]))
    assert "Priya Sharma" in replies[0]["text"]
    return escalation_of(helpdesk, admin, JAMES[0])


def test_html_typed_in_the_chat_reaches_the_desk_escaped(helpdesk, admin, escalation):
    # and in the login form: the audit log shows it
    browser = requests.Session()
    form = browser.get(url(helpdesk, "/desk/login"), timeout=TIMEOUT)
    refused = browser.post(
        url(helpdesk, "/desk/login"),
        data={"csrf_token": csrf_of(form.text), "email": HTML_INJECTION[3], "password": "x"},
        timeout=TIMEOUT,
    )
    assert refused.status_code == 401
    pages = {
        path: admin.get(url(helpdesk, path), timeout=TIMEOUT)
        for path in (
            "/desk/?state=all",
            f"/desk/escalations/{escalation}",
            "/desk/dashboard",
            "/desk/audit",
        )
    }
    for path, page in pages.items():
        assert page.status_code == 200, path
        assert page.headers["Content-Type"].startswith("text/html")
        for payload in HTML_INJECTION:
            assert payload not in page.text, (path, payload)
    # shown, as text: the name, the vacancy, the transcript; the failed login in the audit log
    escalation_page = unescape(pages[f"/desk/escalations/{escalation}"].text)
    assert all(payload in escalation_page for payload in HTML_INJECTION[:3])
    assert HTML_INJECTION[3] in unescape(pages["/desk/audit"].text)
    transcript = admin.get(
        url(helpdesk, f"/desk/escalations/{escalation}/transcript.json"), timeout=TIMEOUT
    )
    assert transcript.headers["Content-Type"].startswith("application/json")


path_text = st.text(max_size=60) | st.sampled_from(
    ["-1", "0", "99999999999999999999999", "1e3", "%00", "..%2f..%2f", "<script>", "' OR 1=1"]
)


@FUZZ
@given(junk=path_text)
def test_unknown_escalations_are_404_never_a_500(helpdesk, admin, junk):
    assume(junk not in (".", ".."))
    path = "/desk/escalations/" + quote(junk, safe="")
    answer = no_server_error(admin.get(url(helpdesk, path), timeout=TIMEOUT))
    assert answer.status_code in (200, 404)
    if not (junk.isascii() and junk.isdigit() and int(junk) < 1000):  # not an escalation
        assert answer.status_code == 404
    for action in ("claim", "status", "reply"):
        posted = no_server_error(
            admin.post(
                url(helpdesk, f"{path}/{action}"),
                data={"csrf_token": admin.csrf, "status": junk, "text": junk},
                allow_redirects=False,
                timeout=TIMEOUT,
            )
        )
        assert posted.status_code in (302, 400, 403, 404, 405)


@FUZZ
@given(
    args=st.dictionaries(
        st.sampled_from(["state", "reason", "vacancy", "channel", "mine", "lang"]),
        path_text | st.sampled_from(SQL_INJECTION + HTML_INJECTION),
        max_size=6,
    )
)
def test_queue_filters_take_any_text(helpdesk, admin, args):
    answer = no_server_error(admin.get(url(helpdesk, "/desk/"), params=args, timeout=TIMEOUT))
    assert answer.status_code == 200
    for payload in HTML_INJECTION:
        assert payload not in answer.text


@FUZZ
@given(
    status=st.text(max_size=30) | st.sampled_from(["applied", "hired", "", "APPLIED"]),
    stage=st.text(max_size=300) | st.sampled_from(["x" * 5000, *SQL_INJECTION, *HTML_INJECTION]),
)
def test_a_status_change_with_junk_is_refused_or_kept_within_bounds(
    helpdesk, admin, james, status, stage
):
    answer = no_server_error(
        admin.post(
            url(helpdesk, f"/desk/escalations/{james}/status"),
            data={"csrf_token": admin.csrf, "status": status, "stage": stage},
            allow_redirects=False,
            timeout=TIMEOUT,
        )
    )
    if status in ("applied", "hired"):
        assert answer.status_code == 302
    else:
        assert answer.status_code in (302, 400)
    with sqlite3.connect(helpdesk.home / "ats.db") as db:
        [(stored,)] = db.execute(
            "SELECT stage FROM applications WHERE reference = ?", (JAMES[0],)
        ).fetchall()
    assert stored is None or len(stored) <= 200  # the column's size (PostgreSQL enforces it)


@FUZZ
@given(
    path=st.sampled_from(["claim", "reply", "resolve", "acknowledge", "status"]),
    token=st.none() | st.text(max_size=50),
)
def test_desk_posts_without_the_csrf_token_are_refused(helpdesk, admin, escalation, path, token):
    assume(token != admin.csrf)
    data = {"text": "hi"} if token is None else {"csrf_token": token, "text": "hi"}
    answer = no_server_error(
        admin.post(
            url(helpdesk, f"/desk/escalations/{escalation}/{path}"),
            data=data,
            allow_redirects=False,
            timeout=TIMEOUT,
        )
    )
    assert answer.status_code == 403


# What a Cookie header can carry (RFC 6265 cookie-octets, and latin-1 that browsers send).
cookie_values = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0xFF, blacklist_characters='\x7f";\\,'),
    max_size=80,
)


@FUZZ
@given(session=cookie_values, login_csrf=cookie_values, token=st.text(max_size=50))
def test_junk_cookies_are_no_session(helpdesk, session, login_csrf, token):
    cookies = {"desk_session": session, "desk_login_csrf": login_csrf}
    page = no_server_error(
        requests.get(url(helpdesk, "/desk/"), cookies=cookies, allow_redirects=False)
    )
    assert page.status_code == 302 and page.headers["Location"] == "/desk/login"
    assume(token != login_csrf)
    for path in ("/desk/login", "/desk/password/x", "/desk/escalations/1/claim"):
        answer = no_server_error(
            requests.post(
                url(helpdesk, path),
                cookies=cookies,
                data={"csrf_token": token, "email": ADMIN, "password": PASSWORD},
                allow_redirects=False,
            )
        )
        assert answer.status_code in (401, 403)
        assert "desk_session" not in answer.cookies


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(["email", "password", "csrf_token"]) | st.text(max_size=10),
        st.text(max_size=100) | st.sampled_from(["x" * 5000, *SQL_INJECTION, *HTML_INJECTION]),
        max_size=4,
    ),
    with_csrf=st.booleans(),
)
def test_junk_logins_are_refused_never_a_500(helpdesk, admin, fields, with_csrf):
    browser = requests.Session()
    if with_csrf:
        form = browser.get(url(helpdesk, "/desk/login"), timeout=TIMEOUT)
        fields = {**fields, "csrf_token": csrf_of(form.text)}
    answer = no_server_error(
        browser.post(
            url(helpdesk, "/desk/login"), data=fields, allow_redirects=False, timeout=TIMEOUT
        )
    )
    assert answer.status_code in (401, 403)
    assert "desk_session" not in answer.cookies
    for payload in HTML_INJECTION:
        assert payload not in answer.text


@FUZZ
@given(token=path_text, password=st.text(max_size=100))
def test_set_password_links_that_do_not_exist_are_refused(helpdesk, token, password):
    assume(token.strip("/."))
    link = url(helpdesk, "/desk/password/" + quote(token, safe=""))
    browser = requests.Session()
    form = no_server_error(browser.get(link, timeout=TIMEOUT))
    if form.status_code != 200:
        assert form.status_code == 404
        return
    answer = no_server_error(
        browser.post(link, data={"csrf_token": csrf_of(form.text), "password": password})
    )
    assert answer.status_code == 400


# --- the widget's files, the careers page, Rasa's API, unknown routes -------------------------


@FUZZ
@given(prefix=st.sampled_from(["/chat/", "/careers/", "/desk/static/"]), junk=path_text)
@example(prefix="/chat/", junk="../../credentials.yml")
@example(prefix="/desk/static/", junk="../../../credentials.yml")
@example(prefix="/careers/", junk="nl/../../../endpoints.yml")
def test_files_that_do_not_exist_are_404(helpdesk, prefix, junk):
    answer = no_server_error(
        requests.get(url(helpdesk, prefix + quote(junk, safe="/")), timeout=TIMEOUT)
    )
    assert answer.status_code in (200, 302, 404)
    assert "channels.rest.RestInput" not in answer.text  # credentials.yml
    assert "action_endpoint" not in answer.text  # endpoints.yml


def test_very_long_paths_are_refused(helpdesk):
    for prefix in ("/desk/", "/chat/", "/careers/", "/webhooks/rest/", "/x/"):
        for length in (1000, 7000, 100_000):
            answer = requests.get(url(helpdesk, prefix + "a" * length), timeout=TIMEOUT)
            assert answer.status_code in (404, 413, 414), (prefix, length, answer.status_code)


API_CALLS = [
    ("GET", "/conversations/sec-alive-1/tracker"),
    ("POST", "/conversations/sec-alive-1/messages"),
    ("POST", "/conversations/sec-alive-1/trigger_intent"),
    ("POST", "/conversations/sec-alive-1/tracker/events"),
    ("PUT", "/conversations/sec-alive-1/tracker/events"),
    ("GET", "/conversations/sec-alive-1/story"),
    ("POST", "/conversations/sec-alive-1/predict"),
    ("POST", "/model/parse"),
    ("PUT", "/model"),
    ("DELETE", "/model"),
    ("POST", "/model/train"),
    ("GET", "/status"),
    ("GET", "/domain"),
]


@FUZZ
@given(call=st.sampled_from(API_CALLS), token=st.none() | st.text(max_size=40))
@example(call=("GET", "/conversations/sec-alive-1/tracker"), token=API_TOKEN.upper())
@example(call=("POST", "/model/parse"), token=API_TOKEN[:-1])
def test_rasas_api_needs_the_token(helpdesk, call, token):
    assume(token != API_TOKEN)
    method, path = call
    params = {} if token is None else {"token": token}
    answer = no_server_error(
        requests.request(
            method,
            url(helpdesk, path),
            params=params,
            json={"text": "hi", "name": "greet", "event": "slot", "value": "x"},
            timeout=TIMEOUT,
        )
    )
    assert answer.status_code in (401, 403)


@FUZZ
@given(path=st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=4))
def test_unknown_routes_are_404(helpdesk, path):
    assume(not {".", ".."} & set(path))  # a client resolves those before sending
    route = "/zz-" + "/".join(quote(p, safe="") for p in path)
    for method in (requests.get, requests.post):
        answer = no_server_error(method(url(helpdesk, route), timeout=TIMEOUT))
        assert answer.status_code in (404, 405)


# --- afterwards -------------------------------------------------------------------------------


def column_limits() -> dict[tuple[str, str], int]:
    return {
        (table.name, column.name): column.type.length
        for table in Base.metadata.tables.values()
        for column in table.columns
        if getattr(column.type, "length", None)
    }


def test_nothing_was_stored_that_should_not_be(helpdesk, ats_before):
    # Chat input never creates applications, candidates, vacancies or recruiters (the admin
    # made above is the one recruiter added).
    after = ats_counts(helpdesk)
    assert after == {**ats_before, "recruiters": ats_before["recruiters"] + 1}
    # SQLite keeps longer text than a column declares; PostgreSQL refuses it: nothing the
    # input reached may exceed what the production database would take.
    with sqlite3.connect(Path(helpdesk.home) / "ats.db") as db:
        for (table, column), limit in column_limits().items():
            [(longest,)] = db.execute(f"SELECT MAX(LENGTH({column})) FROM {table}").fetchall()
            assert (longest or 0) <= limit, (table, column, longest, limit)
    assert_still_answers(helpdesk)
