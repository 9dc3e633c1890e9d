"""The web chat widget in a real browser, on the demo careers page, against the running help desk.

The tests share one help desk and run in file order; the last one stops and restarts it.
"""

from __future__ import annotations

import datetime
import time

import jwt
import pytest
import requests
from playwright.sync_api import Page, expect

from tests.web.conftest import API_TOKEN, JWT_SECRET, last_code

pytestmark = pytest.mark.server

BOT = ".hdc-msg.hdc-bot"
USER = ".hdc-msg.hdc-user"


def careers(helpdesk, path: str = "/careers/") -> str:
    return f"http://localhost:{helpdesk.rasa_port}{path}"


def open_chat(page: Page, url: str) -> None:
    page.goto(url)
    page.click(".hdc-launcher")
    expect(page.locator(".hdc-panel")).to_be_visible()
    expect(page.locator(BOT).first).to_be_visible(timeout=30_000)  # the bot's greeting


def settled_replies(page: Page, before: int, timeout: float = 30) -> list[str]:
    """The bot messages after the first `before`, once no more arrive for a moment."""
    bot = page.locator(BOT)
    expect(bot).not_to_have_count(before, timeout=timeout * 1000)
    count, deadline = bot.count(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.8)
        if bot.count() == count:
            break
        count = bot.count()
    return bot.all_inner_texts()[before:]


def say(page: Page, text: str) -> str:
    before = page.locator(BOT).count()
    page.fill(".hdc-input", text)
    page.press(".hdc-input", "Enter")
    return " ".join(settled_replies(page, before))


def with_token(page: Page, token: str) -> None:
    """The careers site passes a logged-in applicant's token in the script tag."""

    def add_token(route) -> None:
        original = route.fetch()
        html = original.text().replace(
            '<script src="/chat/helpdesk-chat.js"',
            f'<script src="/chat/helpdesk-chat.js" data-token="{token}"',
        )
        route.fulfill(response=original, body=html)

    page.route("**/careers/", add_token)


def token_for(subject: str, secret: str = JWT_SECRET, minutes: int = 10) -> str:
    now = int(time.time())
    claims = {"sub": subject, "iat": now, "exp": now + minutes * 60}
    return jwt.encode(claims, secret, "HS256")


def with_attributes(page: Page, attributes: str, path: str = "**/careers/") -> None:
    """The careers page's script tag with more attributes, as an employer writes it."""

    def add(route) -> None:
        original = route.fetch()
        html = original.text().replace(
            '<script src="/chat/helpdesk-chat.js"',
            f'<script src="/chat/helpdesk-chat.js" {attributes}',
        )
        route.fulfill(response=original, body=html)

    page.route(path, add)


def stored(page: Page) -> dict[str, str]:
    """What the page's origin keeps in localStorage."""
    return page.evaluate("Object.fromEntries(Object.entries(localStorage))")


def session_id(page: Page) -> str | None:
    return next(
        (v for k, v in stored(page).items() if k.startswith("helpdesk-chat:session:")), None
    )


def server_transcript(helpdesk, conversation: str) -> list[tuple[str, str]]:
    """(event, text) of the user and bot messages the server keeps for a conversation."""
    answer = requests.get(
        f"http://localhost:{helpdesk.rasa_port}/conversations/{conversation}/tracker",
        params={"token": API_TOKEN},
        timeout=30,
    )
    return [
        (e["event"], e.get("text") or "")
        for e in answer.json()["events"]
        if e["event"] in ("user", "bot")
    ]


def test_the_verified_status_flow_survives_a_reload(context, helpdesk):
    page = context.new_page()
    open_chat(page, careers(helpdesk))
    assert "automated assistant" in page.locator(BOT).first.inner_text()

    assert "reference" in say(page, "Did you receive my application?")
    assert "email" in say(page, "AP-6VFK-8RMB")
    assert "code" in say(page, "aisha.okafor@example.com")
    answer = say(page, last_code(helpdesk, "aisha.okafor@example.com"))
    assert "Aisha" in answer and "your CV and motivation are being reviewed" in answer
    # WhatsApp is off in this help desk: neither the widget nor the answer offers it
    expect(page.locator(".hdc-whatsapp")).to_be_hidden()
    assert "wa.me" not in answer

    shown = page.locator(".hdc-msg").all_inner_texts()
    page.reload()
    expect(page.locator(".hdc-panel")).to_be_visible()  # it was open: it opens again
    expect(page.locator(".hdc-msg")).to_have_count(len(shown))
    assert page.locator(".hdc-msg").all_inner_texts() == shown
    # the server kept the conversation too: still verified, no new code needed
    again = say(page, "any news about my application?")
    assert "your CV and motivation are being reviewed" in again


def test_a_dutch_page_is_answered_in_dutch(context, helpdesk):
    page = context.new_page()
    page.goto(careers(helpdesk, "/careers/nl/"))
    expect(page.locator(".hdc-launcher")).to_have_accessible_name("Chat met ons")
    open_chat(page, careers(helpdesk, "/careers/nl/"))
    expect(page.get_by_role("button", name="Chat beëindigen")).to_be_visible()
    assert "digitale assistent" in page.locator(BOT).first.inner_text()
    assert "referentie" in say(page, "Is mijn sollicitatie binnengekomen?")


def test_keyboard_only_with_a_logged_in_applicant(context, helpdesk):
    page = context.new_page()
    with_token(page, token_for("daniel.kim@example.com"))
    page.goto(careers(helpdesk))
    for _ in range(30):  # Tab through the page to the launcher
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('hdc-launcher')"):
            break
    else:
        pytest.fail("the launcher cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".hdc-panel")).to_be_visible()
    expect(page.locator(".hdc-input")).to_be_focused()
    expect(page.locator(BOT).first).to_be_visible(timeout=30_000)

    before = page.locator(BOT).count()
    mail_before = set(helpdesk.outbox.glob("*.eml"))  # the help desk is shared with other tests
    page.keyboard.type("where does my application stand?")
    page.keyboard.press("Enter")
    settled_replies(page, before)
    # logged in on the careers site: no code, straight to his two applications
    replies = page.locator(".hdc-replies button")
    expect(replies).to_have_count(2)
    new_mail = set(helpdesk.outbox.glob("*.eml")) - mail_before
    assert not any("daniel.kim" in p.read_text() for p in new_mail)
    for _ in range(10):  # back from the input to a reply button
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.closest('.hdc-replies') !== null"):
            break
    else:
        pytest.fail("the reply buttons cannot be reached with the keyboard")
    chosen = page.evaluate("document.activeElement.textContent")
    before = page.locator(BOT).count()
    page.keyboard.press("Enter")
    answer = " ".join(settled_replies(page, before))
    assert chosen.split(" (")[0] in answer  # the answer is about the application he chose

    page.keyboard.press("Escape")
    expect(page.locator(".hdc-panel")).to_be_hidden()
    expect(page.locator(".hdc-launcher")).to_be_focused()


def test_a_forged_token_is_refused_and_a_code_asked(context, helpdesk):
    page = context.new_page()
    with_token(
        page, token_for("aisha.okafor@example.com", secret="not-the-careers-site-key-at-all-nope")
    )
    open_chat(page, careers(helpdesk))
    # told once, with the greeting that opening the chat asks for
    refused = page.locator(BOT).filter(has_text="couldn't confirm your login")
    expect(refused).to_have_count(1)
    reply = say(page, "where does my application stand?")
    assert "screening" not in reply and "reference" in reply
    expect(refused).to_have_count(1)


def test_the_widget_fills_a_phone_screen(chromium, helpdesk):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        open_chat(page, careers(helpdesk))
        box = page.locator(".hdc-panel").bounding_box()
        assert box["x"] == 0 and box["width"] == 390 and box["height"] >= 800
        assert "code" in say(page, "aisha.okafor@example.com")
    finally:
        context.close()


def test_end_chat_forgets_the_conversation_on_the_server_and_in_the_browser(context, helpdesk):
    """On a library computer: the applicant checks their status, presses "End chat" and walks
    away. The next person sees nothing of it, on screen or in localStorage, and the session
    id that would continue it (verified) is gone; the server was told first."""
    page = context.new_page()
    open_chat(page, careers(helpdesk))
    say(page, "Did you receive my application?")
    say(page, "AP-H4NT-6KYD")
    assert "code" in say(page, "sophie.turner@example.com")
    assert "Sophie" in say(page, last_code(helpdesk, "sophie.turner@example.com"))
    ended = session_id(page)
    assert ended and any("Sophie" in value for value in stored(page).values())

    end = page.get_by_role("button", name="End chat")
    expect(end).to_be_visible()
    end.click()
    expect(page.locator(".hdc-notice")).to_have_text("Chat ended and cleared from this browser.")
    expect(page.locator(".hdc-msg", has_text="Sophie")).to_have_count(0)
    expect(page.locator(BOT)).to_have_count(1, timeout=30_000)  # a new conversation's greeting
    assert "automated assistant" in page.locator(BOT).first.inner_text()
    kept = stored(page)
    assert session_id(page) not in (None, ended)
    assert not [k for k, v in kept.items() if ended in k or ended in v or "Sophie" in v]

    # the server heard /forget_chat in the ended conversation and forgot who it was
    said = server_transcript(helpdesk, ended)
    forget = said.index(("user", "/forget_chat"))
    assert "no longer know who you are" in " ".join(text for _, text in said[forget + 1 :])

    # after a reload too: a new conversation, not verified
    page.reload()
    expect(page.locator(BOT)).to_have_count(1)  # the new conversation's greeting, kept
    expect(page.locator(".hdc-msg", has_text="Sophie")).to_have_count(0)
    expect(page.locator(".hdc-send")).to_be_enabled()  # the session is confirmed again
    reply = say(page, "where does my application stand?")
    assert "Sophie" not in reply and "reference" in reply


def test_a_conversation_idle_for_30_minutes_is_gone_for_the_next_person(context, helpdesk):
    """The applicant just closes the tab. Whoever opens the careers page 31 minutes later on
    that computer starts afresh: nothing on screen, nothing of it in localStorage."""
    page = context.new_page()
    open_chat(page, careers(helpdesk))
    assert "reference" in say(page, "Did you receive my application?")
    left = session_id(page)
    assert any("Did you receive" in value for value in stored(page).values())
    page.close()

    later = context.new_page()
    later.clock.install(time=datetime.datetime.now() + datetime.timedelta(minutes=31))
    open_chat(later, careers(helpdesk))
    expect(later.locator(USER)).to_have_count(0)
    assert session_id(later) not in (None, left)
    assert not [v for v in stored(later).values() if "Did you receive" in v or left in v]


def test_a_page_left_open_forgets_the_conversation_after_the_idle_minutes(context, helpdesk):
    """The applicant walks away from an open page: after data-idle-minutes (here 5) without a
    message the conversation disappears from the screen too."""
    page = context.new_page()
    page.clock.install()
    with_attributes(page, 'data-idle-minutes="5"')
    open_chat(page, careers(helpdesk))
    assert "reference" in say(page, "Did you receive my application?")
    page.clock.fast_forward("04:00")
    page.clock.run_for(20_000)  # the widget checks every 15 seconds
    expect(page.locator(USER)).to_have_count(1)  # not yet
    page.clock.fast_forward("01:30")
    page.clock.run_for(20_000)
    expect(page.locator(USER)).to_have_count(0)
    assert not [v for v in stored(page).values() if "Did you receive" in v]
    expect(page.locator(BOT)).to_have_count(1, timeout=30_000)  # greeted in a new conversation


def test_the_widget_says_when_the_server_is_gone_and_reconnects(context, helpdesk):
    page = context.new_page()
    open_chat(page, careers(helpdesk))
    status = page.locator(".hdc-status")
    expect(status).to_be_hidden()

    helpdesk.stop()
    expect(status).to_be_visible(timeout=20_000)
    expect(status).to_contain_text("Can't reach the help desk")
    expect(page.locator(".hdc-send")).to_be_disabled()

    helpdesk.start()  # same ports, same ATS
    expect(status).to_be_hidden(timeout=30_000)
    assert "automated assistant" in say(page, "hello")
