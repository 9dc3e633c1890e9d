"""The hand-over as the applicant sees it in the web chat (issue 17), in a real browser beside a
recruiter in the desk: the code field, waiting for a person, and the recruiter by name.

Emily Clarke (AP-8YJS-4GQA, Data Analyst, Eva Jansen's vacancy) is used by no other test of
this help desk.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.desk.test_desk_browser import desk_login
from tests.web.conftest import last_code
from tests.web.test_chat_widget import BOT, careers, open_chat, say

pytestmark = pytest.mark.server

EMILY = ("AP-8YJS-4GQA", "emily.clarke@example.com")


def input_mode(page: Page) -> tuple[str | None, str | None]:
    return (
        page.get_attribute(".hdc-input", "inputmode"),
        page.get_attribute(".hdc-input", "autocomplete"),
    )


def test_a_recruiter_on_the_web_chat_is_named_and_the_code_field_is_numeric(chromium, helpdesk):
    applicant = chromium.new_context(viewport={"width": 1280, "height": 800})
    recruiter = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        chat = applicant.new_page()
        open_chat(chat, careers(helpdesk))
        subtitle = chat.locator(".hdc-subtitle")
        expect(subtitle).to_have_text("Automated assistant")

        # The code field: numeric one-time-code while the bot asks for the code, text after.
        say(chat, "Did you receive my application?")
        say(chat, EMILY[0])
        assert input_mode(chat) == (None, "off")
        assert EMILY[1] in say(chat, EMILY[1])
        assert input_mode(chat) == ("numeric", "one-time-code")  # today's main: (None, "off")
        chat.reload()  # a reload keeps it: the conversation still waits for the code
        expect(chat.locator(".hdc-input")).to_have_attribute("inputmode", "numeric")
        chat.click("text=Type text instead")  # "no code came" needs letters
        assert input_mode(chat) == (None, "off")
        expect(chat.locator(".hdc-text-instead")).to_be_hidden()
        assert "Emily" in say(chat, last_code(helpdesk, EMILY[1]))
        assert input_mode(chat) == (None, "off")

        # Waiting for a person: "hello??" is told who has it and how soon, not welcomed again.
        assert "Eva Jansen" in say(chat, "I'd like to talk to a person please")
        waiting = say(chat, "hello??")
        assert waiting.startswith(
            "A recruiter will reply, usually within "
        )  # today's main: "Hello! I'm …"
        assert "Eva Jansen has your question" in waiting
        # the header says how soon, also after a reload (today's main: the assistant)
        expect(subtitle).to_have_text(re.compile(r"^A recruiter will reply, usually within "))
        chat.reload()
        expect(subtitle).to_have_text(re.compile(r"^A recruiter will reply, usually within "))

        # The recruiter joins: their name in the header and on each of their messages.
        desk = recruiter.new_page()
        desk_login(desk, helpdesk, "eva.jansen@example.com")
        desk.click("text=Emily Clarke")
        desk.click("button:has-text('Claim')")
        expect(chat.locator(BOT).last).to_contain_text("has joined", timeout=10_000)
        expect(subtitle).to_have_text("Eva Jansen (recruiter)")  # today's main: the assistant
        expect(chat.locator(".hdc-recruiter")).to_have_count(0)  # joining is the bot's word
        for words in ("Hi Emily, Eva here.", "I've just read your CV: talk soon!"):
            desk.fill("#reply-text", words)
            desk.click("form.reply button")
            expect(chat.locator(".hdc-recruiter").last).to_contain_text(words, timeout=10_000)
        authors = chat.locator(".hdc-recruiter .hdc-author")
        expect(authors).to_have_text(["Eva Jansen (recruiter)", "Eva Jansen (recruiter)"])

        chat.reload()  # the transcript comes back with the names and the header
        expect(subtitle).to_have_text("Eva Jansen (recruiter)")
        expect(chat.locator(".hdc-recruiter .hdc-author")).to_have_count(2)

        # Handed back to the bot: the header says so again.
        desk.once("dialog", lambda dialog: dialog.accept())  # resolving asks first
        desk.click("button:has-text('Resolve')")
        expect(chat.locator(BOT).last).to_contain_text("has left the chat", timeout=10_000)
        expect(subtitle).to_have_text("Automated assistant")
    finally:
        applicant.close()
        recruiter.close()


def test_the_dutch_widget_names_the_recruiter_and_asks_the_code_in_dutch(context, helpdesk):
    chat = context.new_page()
    open_chat(chat, careers(helpdesk, "/careers/nl/"))
    say(chat, "Hoe staat mijn sollicitatie ervoor?")
    say(chat, "lotte.visser@example.nl")
    assert input_mode(chat) == ("numeric", "one-time-code")
    expect(chat.locator(".hdc-input")).to_have_attribute("placeholder", "Code van 6 cijfers")
    expect(chat.locator(".hdc-text-instead")).to_have_text("Tekst typen")
    answer = say(chat, last_code(helpdesk, "lotte.visser@example.nl"))
    assert "Lotte" in answer and input_mode(chat) == (None, "off")
    expect(chat.locator(".hdc-input")).to_have_attribute("placeholder", "Typ je bericht")
