"""Linked Telegram chats at the action level: linking after a code, deep links, /forget."""

import dataclasses
import re

import pytest

from ats.settings import WhatsAppSettings
from ats.telegram_api import TelegramSettings
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


ATTACKER = "aisha.okafor@example.com"  # an applicant too: her own code reaches her
VICTIM = ("AP-9TRB-X2KE", "oliver.bennett@example.com", "Oliver")


async def link_owner(services, chat_id: str) -> str | None:
    linked = await services.links.linked_applicant("telegram", chat_id)
    return linked.email if linked else None


async def attack(chat: Chat, services, *, forget: bool) -> str:
    """Issue 14, finding 1: a code for one's own address, (the chat cleared,) a request for a
    person with the victim's address as contact, then one's own code."""
    await chat.send("where is my application?", "check_status")
    await chat.send(ATTACKER, "provide_email", {"email": ATTACKER})
    code = re.search(r"\b(\d{6})\b", body(outbox(services)[-1])).group(1)
    if forget:
        await chat.send("/forget", "forget_chat")
    await chat.send("I want a person", "request_human")
    await chat.send("Oliver Bennett", "greet")
    await chat.send(VICTIM[1], "provide_email", {"email": VICTIM[1]})
    await chat.send("the sales job", "out_of_scope")
    return Chat.text(await chat.send(code, "provide_code", {"code": code}))


@pytest.mark.parametrize("forget", [True, False])
async def test_a_code_never_links_a_chat_to_an_address_typed_after_it(telegram_on, forget):
    chat = telegram_chat("6660")
    reply = await attack(chat, telegram_on, forget=forget)
    assert VICTIM[2] not in reply and VICTIM[0] not in reply
    assert await link_owner(telegram_on, "6660") != VICTIM[1]
    # a later conversation in that chat: nothing of the victim's, and no withdrawing it
    later = telegram_chat("6660")
    status_reply = await status(later)
    assert VICTIM[0] not in status_reply and "Sales" not in status_reply
    await later.send("I want to withdraw", "withdraw_application")
    await later.send("yes", "affirm")
    victim = await telegram_on.store.find_application(VICTIM[0])
    assert victim.status.value != "withdrawn"


async def test_clearing_the_chat_voids_the_code_asked_before(telegram_on):
    chat = telegram_chat("6661")
    reply = await attack(chat, telegram_on, forget=True)
    assert "Data Analyst" not in reply  # not even the attacker's own: that code is void
    assert await link_owner(telegram_on, "6661") is None


async def test_a_code_typed_links_the_address_it_was_mailed_to(telegram_on):
    chat = telegram_chat("6662")
    reply = await attack(chat, telegram_on, forget=False)
    # the code proves the attacker's own application, and links the chat to her: nobody else
    assert "Data Analyst" in reply
    assert await link_owner(telegram_on, "6662") == ATTACKER


async def test_the_web_chat_never_offers_a_deep_link_to_someone_else(telegram_on):
    web = Chat(sender="web-attack", channel="rest")
    reply = await attack(web, telegram_on, forget=True)
    found = LINK.search(reply)
    if found:  # only ever a link for the address the code went to
        token = found.group(1)
        await telegram_chat("6663").send(f"/start {token}", "greet", {"link_token": token})
        assert await link_owner(telegram_on, "6663") == ATTACKER
    # and whatever was offered, the victim's status is nowhere
    assert VICTIM[0] not in reply


async def test_the_web_chat_offers_whatsapp_when_the_channel_is_on(desk):
    desk.settings = dataclasses.replace(
        desk.settings,
        whatsapp=WhatsAppSettings("token", "106540352242922", display_number="31201234567"),
    )
    web = Chat(sender="web-wa-1", channel="rest")
    reply = Chat.text(await verify_by_email(web, desk, AISHA[1]))
    assert "your CV and motivation are being reviewed" in reply
    assert "Prefer WhatsApp? You can ask me there too: https://wa.me/31201234567" in reply

    # not offered on WhatsApp itself, nor when the channel is off
    on_whatsapp = Chat(sender="wa-31612000555", channel="whatsapp")
    assert "wa.me" not in Chat.text(await verify_by_email(on_whatsapp, desk, DANIEL))
    desk.settings = dataclasses.replace(desk.settings, whatsapp=WhatsAppSettings())
    other = Chat(sender="web-wa-2", channel="rest")
    assert "wa.me" not in Chat.text(await verify_by_email(other, desk, DANIEL))
