"""A recruiter in a real browser takes over a WhatsApp conversation, in the running help desk
with WhatsApp on (the fake Graph API standing in for Meta): the claim and the reply reach the
applicant's phone under the recruiter's name, the applicant's answer appears in the desk without
a reload, and once the applicant has not written for 24 hours the desk says that only the
approved template can go, refuses a reply too long for it (keeping the text), and sends the
reply as that template, or by email when Meta has not approved it.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from tests.channels.fake_whatsapp import FakeWhatsApp, delivery, incoming, text_message
from tests.channels.test_whatsapp import _post, _say
from tests.desk.test_desk_browser import desk_login
from tests.desk.test_handover_browser import open_escalation, outbox_mail
from tests.servers import RunningHelpdesk
from tests.web.conftest import last_code
from tests.web.test_chat_widget import BOT, careers, open_chat, say

pytestmark = pytest.mark.server

WA_ID = "31612000931"  # a Dutch number: the conversation is in Dutch
BRAM = "bram.hendriks@example.nl"


def write(desk: RunningHelpdesk, fake: FakeWhatsApp, text: str) -> None:
    """The applicant sends a WhatsApp message (nothing waited for)."""
    message = text_message(WA_ID, f"wamid.{uuid.uuid4().hex}", text)
    assert _post(desk, fake, delivery(fake, [message])) == 200


def window_closed(desk: RunningHelpdesk) -> None:
    """As if the applicant last wrote 25 hours ago."""
    then = datetime.now(timezone.utc) - timedelta(hours=25)
    with sqlite3.connect(desk.home / "ats.db") as db:
        changed = db.execute(
            "UPDATE whatsapp_windows SET last_inbound_at = ? WHERE conversation_id = ?",
            (then.strftime("%Y-%m-%d %H:%M:%S.%f"), f"wa-{WA_ID}"),
        ).rowcount
    assert changed == 1


def test_a_recruiter_takes_over_a_whatsapp_conversation_in_the_browser(
    chromium, whatsapp_desk, fake
):
    desk = whatsapp_desk
    _say(desk, fake, WA_ID, "hoe staat het met mijn sollicitatie?")
    _say(desk, fake, WA_ID, BRAM)
    _say(desk, fake, WA_ID, last_code(desk, BRAM))
    handed = _say(desk, fake, WA_ID, "ik wil graag een medewerker spreken")
    assert "Ik heb je vraag doorgegeven aan Eva Jansen" in handed, handed

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        desk_login(page, desk, "wa.browser@example.com", "--admin", "--name", "Wanda Browser")
        escalation = open_escalation(page, desk, "Bram Hendriks")
        expect(page.locator("#reach")).to_contain_text("in the chat now (WhatsApp)")

        # the claim: Bram reads on WhatsApp that Wanda joined
        before = len(fake.sent(WA_ID))
        page.click("text=Claim and join the chat")
        joined = fake.wait_for(before + 1, WA_ID)[before:]
        assert "Wanda Browser" in fake.rendered(joined[-1])

        # the reply reaches the phone under Wanda's name, and is in the thread
        page.fill("#reply-text", "Hoi Bram, ik kijk nu naar je tweede gesprek.")
        page.click("form.reply button")
        expect(page.get_by_role("status").filter(has_text="Sent via WhatsApp")).to_be_visible()
        reply = fake.wait_for(before + 2, WA_ID)[-1]
        assert fake.rendered(reply) == (
            "Wanda Browser: Hoi Bram, ik kijk nu naar je tweede gesprek."
        )
        line = page.locator("#transcript li.recruiter", has_text="ik kijk nu naar")
        expect(line.locator(".how")).to_have_text("by WhatsApp")

        # Bram answers on WhatsApp: it appears in the open desk page without a reload
        write(desk, fake, "Top, dank je wel!")
        expect(
            page.locator("#transcript li.applicant", has_text="Top, dank je wel!")
        ).to_be_visible(timeout=15_000)

        # a day later: only the approved template can go, and the desk says so
        window_closed(desk)
        page.reload()
        reach = page.locator("#reach")
        expect(reach).to_contain_text("only approved templates")
        expect(reach).to_contain_text('"helpdesk_recruiter_reply"')
        expect(page.locator("#template-reads")).to_contain_text(
            "Hallo, Wanda Browser van Northwind heeft je vraag beantwoord:"
        )
        room = int(re.search(r"at most (\d+) characters", reach.inner_text()).group(1))
        assert page.get_attribute("#reply-text", "maxlength") == str(room)

        # too long for the template (the box's limit taken off, as an old browser would):
        # refused with the reason, the text kept, nothing sent
        sent_before = len(fake.sent(WA_ID))
        too_long = "Wat lang verhaal. " * (room // 18 + 2)
        page.evaluate("document.querySelector('#reply-text').removeAttribute('maxlength')")
        page.fill("#reply-text", too_long)
        page.click("form.reply button")
        expect(page.locator("#reply-error")).to_contain_text(f"at most {room} characters")
        assert page.input_value("#reply-text") == too_long.strip()
        assert len(fake.sent(WA_ID)) == sent_before

        # a reply that fits goes as the template, on one line, in Dutch
        page.fill("#reply-text", "Je tweede gesprek is vrijdag om 10:00.\nTot dan!")
        page.click("form.reply button")
        expect(
            page.get_by_role("status").filter(has_text="WhatsApp, as the approved template")
        ).to_be_visible()
        [template] = fake.wait_for(sent_before + 1, WA_ID)[sent_before:]
        assert template["type"] == "template"
        assert template["template"]["language"] == {"code": "nl"}
        assert fake.rendered(template) == (
            "Hallo, Wanda Browser van Northwind heeft je vraag beantwoord:\n\n"
            "Je tweede gesprek is vrijdag om 10:00. Tot dan!\n\n"
            "Beantwoord dit bericht om het gesprek voort te zetten."
        )
        line = page.locator("#transcript li.recruiter", has_text="vrijdag om 10:00")
        expect(line.locator(".how")).to_have_text("by WhatsApp, as the approved template")

        # Meta has not approved the template (yet): the reply goes by email instead
        fake.templates.clear()
        page.fill("#reply-text", "Laat je even weten of vrijdag lukt?")
        page.click("form.reply button")
        expect(page.get_by_role("status").filter(has_text="Sent via email")).to_be_visible()
        letter = outbox_mail(desk, BRAM, answerable=False).get_body(("plain",)).get_content()
        assert "Laat je even weten of vrijdag lukt?" in letter
        assert f"/desk/escalations/{escalation}" in page.url

        # Bram writes again: the window is open, the chat is live again
        write(desk, fake, "Vrijdag lukt!")
        expect(page.locator("#transcript li.applicant", has_text="Vrijdag lukt!")).to_be_visible(
            timeout=15_000
        )
        page.reload()
        expect(page.locator("#reach")).to_contain_text("in the chat now (WhatsApp)")

        # resolved: Bram hears Wanda left, then how helpful was this? (a list: five choices)
        before = len(fake.sent(WA_ID))
        page.once("dialog", lambda dialog: dialog.accept())
        page.click("text=Resolve and hand back to the bot")
        expect(page.locator("#state")).to_have_text("Resolved")
        question = fake.wait_for(before + 1, WA_ID)[before]
        assert question["type"] == "interactive" and question["interactive"]["type"] == "list"
        said = fake.rendered(question)
        assert "Wanda Browser" in said
        assert said.endswith("Hoe behulpzaam was dit, van 1 (helemaal niet) tot 5 (heel erg)?")
        rows = question["interactive"]["action"]["sections"][0]["rows"]
        assert [(r["id"], r["title"]) for r in rows] == [
            ("1", "1 – helemaal niet"),
            ("2", "2"),
            ("3", "3"),
            ("4", "4"),
            ("5", "5 – heel erg"),
        ]
        chosen = {"type": "list_reply", "list_reply": {"id": "5", "title": "5 – heel erg"}}
        message = incoming(WA_ID, f"wamid.{uuid.uuid4().hex}", "interactive", chosen)
        assert _post(desk, fake, delivery(fake, [message])) == 200
        asked = fake.wait_for(before + 2, WA_ID)[-1]
        assert "Wil je nog iets toevoegen?" in fake.rendered(asked)
        thanked = _say(desk, fake, WA_ID, "Wanda reageerde snel, top!")
        assert "het recruitmentteam leest deze opmerkingen" in thanked
        page.goto(page.url.split("/desk/")[0] + "/desk/dashboard")
        comments = page.locator("#feedback-comments")
        expect(comments).to_contain_text("5/5")
        expect(comments).to_contain_text("Wanda reageerde snel, top!")
        expect(comments).to_contain_text("WhatsApp · Wanda Browser")
    finally:
        context.close()


def test_the_web_chat_offers_whatsapp_in_the_widget_and_after_verifying(chromium, whatsapp_desk):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        open_chat(page, careers(whatsapp_desk, "/careers/nl/"))
        link = page.locator(".hdc-whatsapp")
        expect(link).to_be_visible()
        expect(link).to_have_text("Liever WhatsApp? Chat daar met ons")
        assert link.get_attribute("href") == "https://wa.me/31201234567"
        assert link.get_attribute("rel") == "noopener noreferrer"

        say(page, "is mijn sollicitatie ontvangen?")
        say(page, "AP-3M6P-H7WD")
        say(page, "lotte.visser@example.nl")
        answer = say(page, last_code(whatsapp_desk, "lotte.visser@example.nl"))
        assert "Liever WhatsApp? Daar kun je het me ook vragen: https://wa.me/31201234567" in (
            answer
        )
        # the bot's link is a link the applicant can tap
        offered = page.locator(BOT, has_text="Liever WhatsApp?").last
        expect(offered.locator("a[href='https://wa.me/31201234567']")).to_have_count(1)
    finally:
        context.close()
