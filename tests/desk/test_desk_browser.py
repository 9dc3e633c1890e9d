"""The desk in a real browser: a recruiter logs in, claims, replies and resolves, while the
applicant waits in the web chat (a second browser context) or on Telegram (the fake Bot API).
"""

from __future__ import annotations

import json
import os
import re
import time

import pytest
from playwright.sync_api import Page, expect

from tests.channels.test_telegram import SECRET, _post, _update, callback_update
from tests.desk.test_views import PASSWORD, cli, url
from tests.web.conftest import last_code
from tests.web.test_chat_widget import BOT, careers, open_chat, say

pytestmark = pytest.mark.server

# What the widget keeps in the browser as its session id (whatever the storage it uses).
SESSION_IDS = """() => [localStorage, sessionStorage].flatMap(area =>
    Object.keys(area).filter(key => key.includes("session")).map(key => area.getItem(key))
).filter(Boolean)"""


def desk_login(page: Page, helpdesk, address: str, *extra: str) -> None:
    """Set a password through the set-password link, then log in, as a recruiter would."""
    link = re.search(
        r"(http://\S+/desk/password/\S+)", cli(helpdesk, "add-recruiter", address, *extra)
    )
    page.goto(link.group(1))
    if not page.input_value("#name"):  # asked when the account has no name yet
        page.fill("#name", "Alex Admin")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(url(helpdesk, "/desk/login"))
    page.fill("#email", address)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text(re.compile("Queue|Wachtrij"))


def test_a_recruiter_takes_over_a_web_chat(chromium, helpdesk):
    applicant = chromium.new_context(viewport={"width": 1280, "height": 800})
    recruiter = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        chat = applicant.new_page()
        open_chat(chat, careers(helpdesk))
        say(chat, "Did you receive my application?")
        say(chat, "AP-6VFK-8RMB")
        say(chat, "aisha.okafor@example.com")
        say(chat, last_code(helpdesk, "aisha.okafor@example.com"))
        assert "Eva Jansen" in say(chat, "I'd like to talk to a person please")

        desk = recruiter.new_page()
        desk_login(desk, helpdesk, "eva.jansen@example.com")
        desk.click("text=Aisha Okafor")
        expect(desk.locator("#transcript")).to_contain_text("I'd like to talk to a person please")
        desk.click("text=Claim and join the chat")

        joined = chat.locator(BOT).last
        expect(joined).to_contain_text("Eva Jansen, a recruiter, has joined", timeout=10_000)

        chat.fill(".hdc-input", "Thank you! When will I hear back?")
        chat.press(".hdc-input", "Enter")
        expect(desk.locator("#transcript")).to_contain_text(
            "Thank you! When will I hear back?", timeout=10_000
        )
        desk.fill("#reply-text", "Hi Aisha, this is Eva: you'll hear from us by Friday.")
        desk.click("form.reply button")
        expect(chat.locator(BOT).last).to_contain_text(
            "you'll hear from us by Friday", timeout=10_000
        )
        expect(desk.locator("[role=status]")).to_contain_text("web chat")
        # the chat's session id is a bearer secret: the desk shows it nowhere
        session_ids = chat.evaluate(SESSION_IDS)
        assert session_ids
        transcript_json = desk.evaluate(
            "url => fetch(url).then(answer => answer.text())",
            desk.locator("#transcript").get_attribute("data-url"),
        )
        for shown in (desk.content(), transcript_json):
            assert not any(session_id in shown for session_id in session_ids)
        if os.environ.get("HELPDESK_SCREENSHOTS"):  # for the README: run by hand
            desk.screenshot(path="docs/desk-escalation.png", full_page=True)
            desk.goto(url(helpdesk, "/desk/"))
            desk.screenshot(path="docs/desk-queue.png", full_page=True)
            desk.goto(url(helpdesk, "/desk/dashboard"))
            desk.screenshot(path="docs/desk-dashboard.png", full_page=True)
            desk.go_back()
            desk.go_back()

        # resolving asks first: cancelled, nothing changes
        desk.once("dialog", lambda dialog: dialog.dismiss())
        desk.click("text=Resolve and hand back to the bot")
        expect(desk.locator("#state")).not_to_have_text("Resolved")
        desk.once("dialog", lambda dialog: dialog.accept())
        desk.click("text=Resolve and hand back to the bot")
        expect(desk.locator("#state")).to_have_text("Resolved")
        expect(chat.locator(BOT, has_text="has left the chat")).to_be_visible(timeout=10_000)
        # then, in the chat: how helpful was this? five buttons; the answer and a comment
        question = chat.locator(BOT).last
        expect(question).to_contain_text("has left the chat")  # in the same message
        expect(question).to_contain_text("How helpful was this, from 1 (not at all) to 5")
        replies = chat.locator(".hdc-replies button")
        expect(replies).to_have_text(["1 – not at all", "2", "3", "4", "5 – very"])
        replies.nth(3).click()
        expect(chat.locator(BOT).last).to_contain_text("Anything you'd like to add?")
        assert "the recruitment team reads" in say(chat, "Eva was very quick, thank you")
        assert "your CV and motivation are being reviewed" in say(chat, "what's my status now?")
        # the admin's dashboard shows it, for Eva's hand-over
        desk_login(desk, helpdesk, "feedback.admin@example.com", "--admin", "--name", "Fee Admin")
        desk.goto(url(helpdesk, "/desk/dashboard"))
        comments = desk.locator("#feedback-comments")
        expect(comments).to_contain_text("4/5")
        expect(comments).to_contain_text("Eva was very quick, thank you")
        expect(comments).to_contain_text("Eva Jansen")
    finally:
        applicant.close()
        recruiter.close()


def test_a_recruiter_answers_on_telegram(chromium, helpdesk, fake):
    webhook = url(helpdesk, "/webhooks/telegram/webhook")
    chat_id = 7301

    def telegram(update_id: int, text: str) -> None:
        update = _update(update_id, text, chat_id=chat_id, language="nl")
        _post(webhook, json.dumps(update).encode(), SECRET)

    telegram(1, "Hoe staat mijn sollicitatie ervoor?")
    telegram(2, "thijs.mulder@example.nl")
    telegram(3, last_code(helpdesk, "thijs.mulder@example.nl"))
    telegram(4, "/human")
    deadline = time.monotonic() + 20
    while not any("Priya" in m["text"] for m in fake.sent() if m["chat_id"] == chat_id):
        assert time.monotonic() < deadline, fake.sent()
        time.sleep(0.2)

    recruiter = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        desk = recruiter.new_page()
        desk_login(desk, helpdesk, "admin@example.com", "--admin")
        desk.goto(url(helpdesk, "/desk/?channel=telegram"))
        desk.click("text=Thijs Mulder")
        desk.click("button:has-text('Claim')")
        desk.fill("#reply-text", "Hoi Thijs, met Priya: ik bel je morgen.")
        before = len(fake.sent())
        desk.click("form.reply button")
        expect(desk.locator("[role=status]")).to_contain_text("Telegram")
        sent = [m for m in fake.sent()[before - 1 :] if m["chat_id"] == chat_id]
        assert any("ik bel je morgen" in m["text"] for m in sent)
        joined = [m for m in fake.sent() if m["chat_id"] == chat_id and "doet nu mee" in m["text"]]
        assert joined  # told, in Dutch, that a recruiter joined

        # resolved: then, on Telegram, how helpful was this? five inline buttons
        desk.once("dialog", lambda dialog: dialog.accept())
        desk.click("text=Resolve and hand back to the bot")
        expect(desk.locator("#state")).to_have_text("Resolved")
        question = wait_for_message(fake, chat_id, "Hoe behulpzaam was dit")
        buttons = [b for row in question["reply_markup"]["inline_keyboard"] for b in row]
        assert [b["text"] for b in buttons] == ["1 – helemaal niet", "2", "3", "4", "5 – heel erg"]
        chosen = buttons[2]["callback_data"]
        callback = callback_update(5, chat_id, chosen, question["text"], "Thijs", language="nl")
        assert _post(webhook, json.dumps(callback).encode(), SECRET)[0] == 200
        wait_for_message(fake, chat_id, "Wil je nog iets toevoegen?")
    finally:
        recruiter.close()


def wait_for_message(fake, chat_id: int, words: str, timeout: float = 20) -> dict:
    """The first message to the chat that holds these words, once it was sent."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in fake.sent() if m["chat_id"] == chat_id and words in m["text"]]
        if found:
            return found[0]
        assert time.monotonic() < deadline, [m["text"] for m in fake.sent()]
        time.sleep(0.2)
