"""Linked Telegram chats at the action level: linking after a code, deep links, /forget."""

import re

import pytest

from channels.telegram_bot import TelegramSettings
from tests.actions.conftest import Chat, body, outbox, verify_by_email

AISHA = ("AP-6VFK-8RMB", "aisha.okafor@example.com")  # English, in screening
DANIEL = "daniel.kim@example.com"  # two applications
LINK = re.compile(r"https://t\.me/hd_test_bot\?start=([A-Za-z0-9_-]+)")


@pytest.fixture
def telegram_on(desk):
    """The help desk with a Telegram bot (its username configured, so no getMe is needed)."""
    desk.telegram = TelegramSettings(
        "123:token", "secret", None, "http://127.0.0.1:9", username="hd_test_bot"
    )
    return desk


def telegram_chat(chat_id: str = "9001") -> Chat:
    return Chat(sender=chat_id, channel="telegram")


async def status(chat: Chat) -> str:
    return Chat.text(await chat.send("where does my application stand?", "check_status"))


async def test_a_code_typed_on_telegram_links_the_chat(telegram_on):
    chat = telegram_chat()
    reply = Chat.text(await verify_by_email(chat, telegram_on, AISHA[1]))
    assert "your CV and motivation are being reviewed" in reply
    assert "linked this Telegram chat" in reply and "/forget" in reply

    # a later conversation in the same chat (slots gone): no code asked
    later = telegram_chat()
    reply = await status(later)
    assert "your CV and motivation are being reviewed" in reply
    assert "code" not in reply.lower()

    # another chat is not linked
    assert "reference" in await status(telegram_chat("9002"))


async def test_forget_unlinks_the_chat(telegram_on):
    chat = telegram_chat()
    await verify_by_email(chat, telegram_on, AISHA[1])
    assert "no longer know who you are" in Chat.text(await chat.send("/forget", "forget_chat"))
    reply = await status(chat)
    assert "screening" not in reply and "reference" in reply
    assert "nothing to undo" in Chat.text(await telegram_chat().send("/forget", "forget_chat"))


async def test_the_web_chat_offers_a_deep_link_that_works_once(telegram_on):
    web = Chat(sender="web-1", channel="rest")
    reply = Chat.text(await verify_by_email(web, telegram_on, DANIEL))
    token = LINK.search(reply).group(1)
    assert "works once, for 72 hours" in reply

    chat = telegram_chat("9101")
    linked = await chat.send(f'/greet{{"link_token": "{token}"}}', "greet", {"link_token": token})
    text = Chat.text(linked)
    assert "Hello Daniel" in text and "now linked" in text
    # Daniel has two applications: he picks one with a button, no code asked
    buttons = [b["title"] for m in linked for b in m.get("buttons") or []]
    assert buttons == ["Data Analyst (AP-R6GW-2MZN)", "Finance Controller (AP-T3XH-7QCP)"]

    again = telegram_chat("9102")
    reply = Chat.text(
        await again.send(f'/greet{{"link_token": "{token}"}}', "greet", {"link_token": token})
    )
    assert "expired or has already been used" in reply
    assert "Daniel" not in reply


async def test_the_code_mail_carries_a_deep_link(telegram_on):
    web = Chat(sender="web-2", channel="rest")
    await web.send("status", "check_status")
    await web.send(AISHA[1], "provide_email", {"email": AISHA[1]})
    [mail] = outbox(telegram_on)
    token = LINK.search(body(mail)).group(1)
    reply = Chat.text(
        await telegram_chat().send(
            f'/greet{{"link_token": "{token}"}}', "greet", {"link_token": token}
        )
    )
    assert "Hello Aisha" in reply and "your CV and motivation are being reviewed" in reply


async def test_no_telegram_no_link_offered(desk):
    reply = Chat.text(await verify_by_email(Chat(channel="rest"), desk, AISHA[1]))
    assert "t.me" not in reply
    assert "t.me" not in body(outbox(desk)[0])


async def test_a_link_token_is_refused_outside_telegram(telegram_on):
    web = Chat(sender="web-3", channel="rest")
    await verify_by_email(web, telegram_on, AISHA[1])
    token = LINK.search(body(outbox(telegram_on)[0])).group(1)
    other = Chat(sender="web-4", channel="rest")
    reply = Chat.text(
        await other.send(f'/greet{{"link_token": "{token}"}}', "greet", {"link_token": token})
    )
    assert "expired or has already been used" in reply
    assert not other.slots.get("verified_references")


async def test_language_command_offers_both_and_switches(desk):
    chat = telegram_chat()
    asked = await chat.send("/switch_language", "switch_language")
    buttons = {b["title"]: b["payload"] for m in asked for b in m.get("buttons") or []}
    assert set(buttons) == {"English", "Nederlands"}
    switched = await chat.send(buttons["Nederlands"], "switch_language", {"language_choice": "nl"})
    assert "Nederlands" in Chat.text(switched)
    # pinned: an English-looking message is still answered in Dutch
    reply = Chat.text(await chat.send("ok thanks", "thank"))
    assert chat.slots["language"] == "nl" and "Graag gedaan" in reply
