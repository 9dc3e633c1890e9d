"""The Telegram channel: real python-telegram-bot against a faithful fake Bot API, end to end."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest
from telegram import Bot
from telegram.error import NetworkError

from ats.telegram_api import split_text
from channels.telegram import TelegramOutput, as_intent
from tests.channels.fake_telegram import FakeTelegram
from tests.servers import RunningHelpdesk, post_json
from tests.web.conftest import last_code

SECRET = "s3cret-token"
API_TOKEN = "rasa-api-token"


@pytest.fixture(scope="session")
def telegram_api():
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture
def fake(telegram_api):
    """The fake Bot API with a clean record: one server for the module, a fresh log per test."""
    telegram_api.reset()
    return telegram_api


@pytest.fixture
def quick_retries(monkeypatch):
    """Retry without the production pauses, where only the number of attempts matters."""
    import ats.telegram_api

    monkeypatch.setattr(ats.telegram_api, "RETRY_DELAYS", (0.01, 0.01, 0.01, 0.01))


def test_long_messages_are_split_at_word_ends():
    text = ("word " * 2000).strip()
    pieces = split_text(text)
    assert all(len(p) <= 4096 for p in pieces)
    assert " ".join(pieces) == text
    assert split_text("short") == ["short"]


def _ready(bot: Bot):
    async def get() -> Bot:
        return bot

    return get


async def test_429_and_5xx_are_retried(fake):
    bot = Bot(fake.token, base_url=f"{fake.base_url}/bot")
    await bot.initialize()
    fake.fail_next(429, retry_after=1)
    fake.fail_next(502)
    output = TelegramOutput(_ready(bot))
    await output.send_text_message("777", "Hello after waiting")
    sends = fake.sent()
    assert len(sends) == 3  # 429, 502, then delivered
    assert sends[-1]["text"] == "Hello after waiting"
    assert str(sends[-1]["chat_id"]) == "777"
    await bot.shutdown()


async def test_a_delivery_that_keeps_failing_raises(fake, quick_retries):
    bot = Bot(fake.token, base_url=f"{fake.base_url}/bot")
    await bot.initialize()
    for _ in range(5):
        fake.fail_next(502)
    with pytest.raises(NetworkError):  # after every retry
        await TelegramOutput(_ready(bot)).send_text_message("777", "lost")
    await bot.shutdown()


async def test_a_reply_outside_a_conversation_that_keeps_failing_is_recorded(
    fake, store, quick_retries
):
    from ats.undelivered import list_undelivered, record_undelivered

    bot = Bot(fake.token, base_url=f"{fake.base_url}/bot")
    await bot.initialize()
    for _ in range(5):
        fake.fail_next(502)

    async def undelivered(chat_id: str, text: str, error: str) -> None:
        await record_undelivered(store, "telegram", chat_id, text, error)

    output = TelegramOutput(_ready(bot), undelivered)
    await output.send_text_message("777", "Eva here: could you call me tomorrow?")
    [kept] = await list_undelivered(store)
    assert (kept.channel, kept.recipient_id) == ("telegram", "777")
    assert kept.text == "Eva here: could you call me tomorrow?"
    assert "fake error 502" in kept.error or "Bad Gateway" in kept.error
    assert len(fake.sent()) == 5  # tried, and retried four times, before giving up
    await bot.shutdown()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Hello", "Hello"),
        ("/start", "/greet"),
        ("/start@hd_bot", "/greet"),
        ("/start " + "A" * 32, '/greet{"link_token": "' + "A" * 32 + '"}'),
        ('/start x"}{"reference": "AP-1"', "/greet"),  # not a token: no JSON smuggled in
        ("/help", "/out_of_scope"),
        ("/human", "/request_human"),
        ("/forget", "/forget_chat"),
        ("/language", "/switch_language"),
        ("/language Nederlands", '/switch_language{"language_choice": "nl"}'),
        ("/language en", '/switch_language{"language_choice": "en"}'),
        ("/check_status", "/out_of_scope"),  # typed intents are not commands
        ("/whatever", "/out_of_scope"),
    ],
)
def test_commands_become_intents(typed, meant):
    assert as_intent(typed) == meant


def _update(
    update_id: int, text: str, chat_id: int = 9001, language: str = "en", kind: str = "private"
) -> dict:
    """A text message as Telegram sends it; `kind` is the chat's type (in a group the chat id
    is negative and the sender is a member, not the chat)."""
    user_id = chat_id if kind == "private" else 7_000_000 + update_id
    user = {"id": user_id, "is_bot": False, "first_name": "Sanne", "language_code": language}
    chat = {"id": chat_id, "type": kind, "first_name": "Sanne"}
    if kind != "private":
        chat = {"id": chat_id, "type": kind, "title": "Job seekers Utrecht"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1764000000,
            "chat": chat,
            "from": user,
            "text": text,
        },
    }


def callback_update(
    update_id: int,
    chat_id: int,
    data: str,
    text: str,
    name: str,
    callback_id: str = "",
    language: str = "en",
) -> dict:
    """A button pressed under the bot's message `text` in a private chat, as Telegram sends it."""
    return {
        "update_id": update_id,
        "callback_query": {
            "id": callback_id or f"cb-{update_id}",
            "chat_instance": "ci",
            "from": {"id": chat_id, "is_bot": False, "first_name": name, "language_code": language},
            "message": {
                "message_id": 99,
                "date": 1764000000,
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": 4242, "is_bot": True, "first_name": "Help desk"},
                "text": text,
            },
            "data": data,
        },
    }


def _post(url: str, body: bytes, secret: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


@pytest.fixture(scope="module")
def desk(running_helpdesk, telegram_api) -> RunningHelpdesk:
    """The help desk with Telegram on, talking to the fake Bot API; shared by the module's
    end-to-end tests, which use chat and update ids of their own."""
    return running_helpdesk(
        "telegram",
        **telegram_api.environment(SECRET),
        HELPDESK_RASA_API_TOKEN=API_TOKEN,
        HELPDESK_MESSAGES_PER_MINUTE="30",  # the default: each chat gets 30 a minute
    )


@pytest.mark.server
def test_webhook_end_to_end(desk, fake):
    url = f"http://localhost:{desk.rasa_port}/webhooks/telegram/webhook"
    hello = json.dumps(_update(1, "Hello")).encode()

    # without the secret, or with a wrong one: refused, nothing processed
    assert _post(url, hello, None)[0] == 401
    assert _post(url, hello, "wrong")[0] == 401
    assert _post(url, b"not json", SECRET)[0] == 400
    assert fake.sent() == []

    status, body = _post(url, hello, SECRET)
    assert (status, body["status"]) == (200, "ok")
    [reply] = fake.wait_for(1)
    assert str(reply["chat_id"]) == "9001"
    assert "automated assistant" in reply["text"]

    # Telegram redelivers: the same update id is processed once
    assert _post(url, hello, SECRET)[1]["status"] == "duplicate"

    # a Dutch user is answered in Dutch
    _post(url, json.dumps(_update(2, "hoi", chat_id=9002, language="nl")).encode(), SECRET)
    replies = fake.wait_for(2)
    dutch = [r for r in replies if str(r["chat_id"]) == "9002"]
    assert dutch and "digitale assistent" in dutch[0]["text"]

    # /human asks for a person at once
    _post(url, json.dumps(_update(3, "/human", chat_id=9003)).encode(), SECRET)
    replies = fake.wait_for(3)
    person = [r for r in replies if str(r["chat_id"]) == "9003"]
    assert person and "Eva Jansen" in person[0]["text"]

    # a sticker gets a polite word, not a 500
    sticker = _update(4, "", chat_id=9004)
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {
        "file_id": "x", "file_unique_id": "y", "width": 1, "height": 1,
        "is_animated": False, "is_video": False, "type": "regular",
    }  # fmt: skip
    assert _post(url, json.dumps(sticker).encode(), SECRET)[0] == 200
    replies = fake.wait_for(4)
    assert any("only read text" in r["text"] for r in replies if str(r["chat_id"]) == "9004")
    assert len(fake.sent()) == 4


@pytest.mark.server
async def test_the_channel_is_off_without_a_token(monkeypatch):
    """Without TELEGRAM_BOT_TOKEN its routes answer 404, over HTTP in a Sanic server of its
    own (a whole help desk only to see a 404 would cost a Rasa server's start)."""
    import uuid

    import httpx
    from sanic import Sanic

    from ats.telegram_api import TelegramSettings
    from channels.telegram import TelegramInput
    from tests.servers import free_port

    monkeypatch.setattr(Sanic, "test_mode", True)  # a second app may start in this process
    received = []

    async def on_new_message(message) -> None:
        received.append(message)

    app = Sanic(f"telegram-off-{uuid.uuid4().hex}")
    channel = TelegramInput(TelegramSettings(None, SECRET, None, "http://127.0.0.1:9"))
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/telegram")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    await server.startup()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            answer = await http.post(
                "/webhooks/telegram/webhook",
                content=json.dumps(_update(1, "Hello")),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert answer.status_code == 404 and "not configured" in answer.json()["error"]
            assert (await http.get("/webhooks/telegram/")).json() == {"status": "off"}
        assert received == []
    finally:
        server.close()
        await server.wait_closed()


def test_set_webhook_registers_the_url_secret_and_update_types(fake):
    import os
    import subprocess

    from tests.servers import HELPDESK

    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_WEBHOOK_URL": "https://careers.example.com/webhooks/telegram/webhook",
        "TELEGRAM_API_BASE_URL": fake.base_url,
    }
    result = subprocess.run(
        [HELPDESK, "telegram", "set-webhook"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    [call] = fake.sent("setWebhook")
    assert call["url"] == "https://careers.example.com/webhooks/telegram/webhook"
    assert call["secret_token"] == SECRET
    assert call["allowed_updates"] == ["message", "callback_query"]
    menus = {c.get("language_code"): c["commands"] for c in fake.sent("setMyCommands")}
    assert set(menus) == {None, "nl"}
    assert [c["command"] for c in menus["nl"]] == ["help", "human", "language", "forget"]
    assert "recruiter" in menus["nl"][1]["description"]

    missing = subprocess.run(
        [HELPDESK, "telegram", "set-webhook"],
        env={**env, "TELEGRAM_WEBHOOK_URL": ""},
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 2 and "TELEGRAM_WEBHOOK_URL" in missing.stderr


async def test_the_polling_bridge_forwards_updates_with_the_secret(fake):
    from aiohttp import web

    from ats.telegram_api import TelegramSettings, poll
    from tests.servers import free_port

    received = []

    async def webhook(request):
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_post("/webhooks/telegram/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    fake.updates.extend([_update(11, "Hello"), _update(12, "status?")])
    settings = TelegramSettings(fake.token, SECRET, None, fake.base_url)
    try:
        count = await poll(
            settings, f"http://127.0.0.1:{port}/webhooks/telegram/webhook", once=True
        )
    finally:
        await runner.cleanup()
    assert count == 2
    assert [(secret, body["update_id"]) for secret, body in received] == [
        (SECRET, 11),
        (SECRET, 12),
    ]
    assert received[0][1]["message"]["text"] == "Hello"
    assert fake.sent("deleteWebhook")  # Telegram refuses getUpdates while a webhook is set


@pytest.mark.server
def test_buttons_are_inline_keyboards_and_callback_queries_are_answered(desk, fake):

    url = f"http://localhost:{desk.rasa_port}/webhooks/telegram/webhook"
    chat = 9101

    def send(update_id: int, text: str) -> None:
        _post(url, json.dumps(_update(update_id, text, chat_id=chat)).encode(), SECRET)

    send(21, "did you get my application?")
    send(22, "daniel.kim@example.com")
    send(23, last_code(desk, "daniel.kim@example.com"))
    replies = fake.wait_for(4)
    assert "linked this Telegram chat" in replies[-1]["text"]
    [choice] = [r for r in replies if r.get("reply_markup")]
    markup = choice["reply_markup"]
    buttons = [row[0] for row in markup["inline_keyboard"]]
    assert {b["text"] for b in buttons} == {
        "Data Analyst (AP-R6GW-2MZN)",
        "Finance Controller (AP-T3XH-7QCP)",
    }
    chosen = next(b for b in buttons if "AP-R6GW-2MZN" in b["text"])
    callback = callback_update(
        24, chat, chosen["callback_data"], choice["text"], "Daniel", callback_id="cb-1"
    )
    assert _post(url, json.dumps(callback).encode(), SECRET)[0] == 200
    assert fake.sent("answerCallbackQuery")[0]["callback_query_id"] == "cb-1"
    answer = fake.wait_for(5)[-1]
    assert "Thanks, Daniel" in answer["text"] and "interview" in answer["text"]


@pytest.mark.server
def test_deep_link_linking_end_to_end(desk, fake):
    import re

    url = f"http://localhost:{desk.rasa_port}/webhooks/telegram/webhook"
    chat = 9201

    def send(update_id: int, text: str) -> list[dict]:
        before = len(fake.sent())
        _post(url, json.dumps(_update(update_id, text, chat_id=chat)).encode(), SECRET)
        fake.wait_for(before + 1)
        time.sleep(0.5)  # a reply may come in several messages
        return [r for r in fake.sent()[before:] if str(r["chat_id"]) == str(chat)]

    # verified in the web chat, the applicant is offered a t.me link (username from getMe)
    web = f"web-{chat}"
    post_json(desk.webhook, {"sender": web, "message": "did you get my application?"})
    post_json(desk.webhook, {"sender": web, "message": "aisha.okafor@example.com"})
    code = last_code(desk, "aisha.okafor@example.com")
    answer = post_json(desk.webhook, {"sender": web, "message": code})
    verified = " ".join(m["text"] for m in answer)
    token = re.search(r"https://t\.me/hd_bot\?start=([A-Za-z0-9_-]+)", verified).group(1)

    # opening the link in Telegram sends "/start <token>": linked, and the status at once
    linked = " ".join(r["text"] for r in send(31, f"/start {token}"))
    assert "Hello Aisha" in linked and "now linked" in linked
    assert "your CV and motivation are being reviewed" in linked

    # later questions need no code
    later = " ".join(r["text"] for r in send(32, "any news on my application?"))
    assert "your CV and motivation are being reviewed" in later and "code" not in later

    # the link works once: another chat gets nothing
    before = len(fake.sent())
    _post(url, json.dumps(_update(33, f"/start {token}", chat_id=9202)).encode(), SECRET)
    refused = fake.wait_for(before + 1)[-1]
    assert str(refused["chat_id"]) == "9202" and "already been used" in refused["text"]

    # /forget unlinks; then a code is needed again
    assert "no longer know who you are" in send(34, "/forget")[0]["text"]
    again = " ".join(r["text"] for r in send(35, "any news on my application?"))
    assert "screening" not in again and "reference" in again


@pytest.mark.server
def test_recruiter_messages_through_rasas_api_reach_telegram_or_are_kept(desk, fake):
    import sqlite3
    import urllib.error
    import urllib.request

    url = f"http://localhost:{desk.rasa_port}/webhooks/telegram/webhook"
    _post(url, json.dumps(_update(41, "Hello", chat_id=9301)).encode(), SECRET)
    fake.wait_for(1)
    api = (
        f"http://localhost:{desk.rasa_port}/conversations/9301/trigger_intent?output_channel=latest"
    )
    body = json.dumps({"name": "out_of_scope"}).encode()
    headers = {"Content-Type": "application/json"}

    # Rasa's API is on, and refuses a call without the token
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(api, body, headers), timeout=30)
    assert refused.value.code == 401

    authorised = urllib.request.Request(f"{api}&token={API_TOKEN}", body, headers)
    with urllib.request.urlopen(authorised, timeout=60) as answer:
        assert answer.status == 200
    sent = fake.wait_for(2)[-1]
    assert str(sent["chat_id"]) == "9301" and "I can tell you where" in sent["text"]

    # Telegram keeps failing: the message is kept as undelivered, the API call still succeeds
    for _ in range(5):
        fake.fail_next(502)
    with urllib.request.urlopen(authorised, timeout=60) as answer:
        assert answer.status == 200
    with sqlite3.connect(desk.home / "ats.db") as db:
        kept = db.execute("SELECT channel, recipient_id, text FROM undelivered_messages").fetchall()
    assert kept == [("telegram", "9301", sent["text"])]


def _tracker_users(desk, chat_id: int) -> list[dict]:
    """The user messages Rasa keeps for a chat's conversation (through its API)."""
    url = f"http://localhost:{desk.rasa_port}/conversations/{chat_id}/tracker?token={API_TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        events = json.loads(answer.read())["events"]
    return [e for e in events if e["event"] == "user"]


@pytest.mark.server
def test_group_and_channel_chats_are_never_answered_nor_linked(desk, fake):
    """A bot added to a group would give every member one shared conversation: what one of
    them verified, all would see, and a t.me link token posted there would link the group.
    Only private chats are answered; other chats' updates are recorded as seen (Telegram
    gets 200, and does not deliver them again) and leave no conversation."""
    import re

    url = f"http://localhost:{desk.rasa_port}/webhooks/telegram/webhook"
    # an applicant verified in the web chat is offered a one-time t.me link
    web = f"web-group-{uuid.uuid4().hex[:8]}"
    post_json(desk.webhook, {"sender": web, "message": "did you get my application?"})
    post_json(desk.webhook, {"sender": web, "message": "emily.clarke@example.com"})
    answer = post_json(
        desk.webhook, {"sender": web, "message": last_code(desk, "emily.clarke@example.com")}
    )
    token = re.search(r"\?start=([A-Za-z0-9_-]+)", " ".join(m["text"] for m in answer)).group(1)

    updates = [
        (61, -100_123, "group", f"/start {token}"),
        (62, -100_124, "supergroup", "where is my application?"),
        (63, -100_125, "channel", "hello"),
    ]
    for update_id, chat_id, kind, text in updates:
        body = json.dumps(_update(update_id, text, chat_id=chat_id, kind=kind)).encode()
        assert _post(url, body, SECRET) == (200, {"status": "ok"})
        assert _post(url, body, SECRET)[1]["status"] == "duplicate"  # recorded as seen
    # a button pressed under a message in a group
    callback = {
        "update_id": 64,
        "callback_query": {
            "id": "cb-group",
            "chat_instance": "ci",
            "from": {"id": 7_000_064, "is_bot": False, "first_name": "Jo"},
            "message": {
                "message_id": 98,
                "date": 1764000000,
                "chat": {"id": -100_123, "type": "group", "title": "Job seekers Utrecht"},
                "text": "Which application?",
            },
            "data": "/check_status",
        },
    }
    assert _post(url, json.dumps(callback).encode(), SECRET) == (200, {"status": "ok"})
    time.sleep(2)  # an answer, had there been one, is sent within the request already
    assert fake.sent() == [] and fake.sent("answerCallbackQuery") == []
    for _, chat_id, _, _ in updates:
        assert _tracker_users(desk, chat_id) == []

    # the link still works, once, in the applicant's own private chat
    private = json.dumps(_update(65, f"/start {token}", chat_id=9611)).encode()
    assert _post(url, private, SECRET)[0] == 200
    assert "now linked" in " ".join(r["text"] for r in fake.wait_for(1))


@pytest.mark.server
def test_a_chat_sending_too_fast_is_told_once_and_then_ignored_for_the_minute(desk, fake):
    """HELPDESK_MESSAGES_PER_MINUTE (30) per chat: a script pushing guesses through one chat
    is slowed; Telegram still gets 200 for each update, so it does not deliver them again."""
    url = f"http://localhost:{desk.rasa_port}/webhooks/telegram/webhook"
    chat = 9701

    def send(update_id: int) -> tuple[int, dict]:
        body = json.dumps(_update(update_id, "hallo", chat_id=chat, language="nl")).encode()
        return _post(url, body, SECRET)

    # one after the other, as a script would: sent at once, each would wait for the one
    # before it (the conversation's lock) and the test would only take longer
    answers = [send(update_id) for update_id in range(700, 730)]
    assert all(status == 200 for status, _ in answers)
    assert len(fake.wait_for(30)) == 30
    assert send(730) == (200, {"status": "ok"})
    assert send(731) == (200, {"status": "ok"})
    time.sleep(1)
    texts = [m["text"] for m in fake.sent() if str(m["chat_id"]) == str(chat)]
    assert len(texts) == 31  # 30 answers, then said once (in Dutch), then nothing
    assert "sneller berichten" in texts[-1]
    assert len(_tracker_users(desk, chat)) == 30
    # another chat is answered as usual
    _post(url, json.dumps(_update(732, "hello", chat_id=9702)).encode(), SECRET)
    assert any(str(m["chat_id"]) == "9702" for m in fake.wait_for(32))


@pytest.mark.parametrize("kind", ["group", "supergroup", "channel"])
async def test_messages_in_chats_that_are_not_private_are_ignored(fake, kind):
    from telegram import Update

    from ats.telegram_api import TelegramSettings
    from channels.telegram import TelegramInput

    channel = TelegramInput(TelegramSettings(fake.token, SECRET, None, fake.base_url))
    bot = await channel.bot()
    received = []

    async def on_new_message(message) -> None:
        received.append(message)

    for update in (_update(81, "status?", -9801, kind=kind), _update(82, "", -9801, kind=kind)):
        await channel.handle(Update.de_json(update, bot), on_new_message)  # text, then none
    assert received == [] and fake.sent() == []
    await bot.shutdown()


@pytest.mark.parametrize("kind", ["edited_message", "channel_post", "my_chat_member"])
async def test_updates_that_are_not_messages_are_ignored(fake, kind):
    from telegram import Update

    from ats.telegram_api import TelegramSettings
    from channels.telegram import TelegramInput

    channel = TelegramInput(TelegramSettings(fake.token, SECRET, None, fake.base_url))
    bot = await channel.bot()
    payload = {"update_id": 51}
    if kind == "my_chat_member":
        me = {"id": 4242, "is_bot": True, "first_name": "Help desk"}
        payload[kind] = {
            "chat": {"id": 9501, "type": "private"},
            "from": {"id": 9501, "is_bot": False, "first_name": "Jo"},
            "date": 1764000000,
            "old_chat_member": {"status": "member", "user": me},
            "new_chat_member": {"status": "kicked", "until_date": 0, "user": me},
        }
    else:
        payload[kind] = _update(51, "edited text", chat_id=9501)["message"]
    received = []

    async def on_new_message(message) -> None:
        received.append(message)

    await channel.handle(Update.de_json(payload, bot), on_new_message)
    assert received == [] and fake.sent() == []
    await bot.shutdown()
