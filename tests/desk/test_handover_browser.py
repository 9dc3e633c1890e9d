"""The hand-over side by side in real browsers, on SQLite and on PostgreSQL: the applicant in
the web chat (or their mailbox) and two recruiters in the desk.

A note stays in the desk; a reply carries the recruiter's name into the chat and its header;
passing the question to a colleague tells the applicant and reaches the colleague's live queue
with a notification; a reply by email shows in the thread, and the applicant's answer, sent
over SMTP to the help desk's own inbound server, appears in it without a reload.

The PostgreSQL run starts a help desk of its own (ATS and tracker store on PostgreSQL); the
SQLite run uses the desk tests' shared one.
"""

from __future__ import annotations

import email
import email.policy
import re
import smtplib
import time
from email.message import EmailMessage
from urllib.parse import urlsplit

import psycopg2
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.conftest import require_postgres
from tests.desk.conftest import INBOUND_DOMAIN
from tests.desk.test_desk_browser import desk_login
from tests.desk.test_inbox import NOTIFICATIONS
from tests.desk.test_views import chat as rest_chat
from tests.desk.test_views import url
from tests.servers import RunningHelpdesk, free_port, port_open
from tests.web.conftest import last_code
from tests.web.test_chat_widget import BOT, careers, open_chat, say

pytestmark = pytest.mark.server

JAMES = ("AP-4HD8-2MWR", "james.carter@example.com")  # English
NOAH = ("AP-K7RZ-3WXF", "noah.jacobs@example.nl")  # Dutch
NOTE = "Internal: James already has an offer elsewhere, decide by Friday"
HEADER = ".hdc-subtitle"


def _fresh_postgres_database(name: str) -> str:
    base = urlsplit(require_postgres())
    admin = psycopg2.connect(
        host=base.hostname, port=base.port or 5432, user=base.username or "postgres",
        dbname="postgres",
    )  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {name}")
    admin.close()
    user, port = base.username or "postgres", base.port or 5432
    return f"postgresql://{user}@{base.hostname}:{port}/{name}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def desk(request, running_helpdesk, desk_env, helpdesk) -> RunningHelpdesk:
    if request.param == "sqlite":
        return helpdesk
    database = _fresh_postgres_database("helpdesk_desk_browser_test")
    # the shared help desk holds its inbound port already: the system gives another
    environment = {**desk_env, "HELPDESK_INBOUND_SMTP_PORT": str(free_port())}
    return running_helpdesk(
        "desk-postgresql",
        **environment,
        ATS_DATABASE_URL=database,
        HELPDESK_TRACKER_STORE_URL=database,
    )


def new_context(chromium, notifications: bool = False) -> BrowserContext:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    if notifications:
        context.add_init_script(NOTIFICATIONS)
    return context


def open_escalation(page: Page, desk: RunningHelpdesk, name: str) -> int:
    page.goto(url(desk, "/desk/"))
    link = page.locator("#queue-list a", has_text=name).first
    expect(link).to_be_visible(timeout=15_000)
    link.click()
    return int(re.search(r"/desk/escalations/(\d+)", page.url).group(1))


def test_a_note_stays_in_the_desk_and_a_colleague_takes_over_the_chat(chromium, desk):
    applicant, sam_browser, cas_browser = (
        new_context(chromium),
        new_context(chromium),
        new_context(chromium, notifications=True),
    )
    try:
        # the applicant proves who they are and asks for a person: the header says how soon
        chat = applicant.new_page()
        open_chat(chat, careers(desk))
        say(chat, "Where does my application stand?")
        say(chat, JAMES[0])
        say(chat, JAMES[1])
        say(chat, last_code(desk, JAMES[1]))
        say(chat, "I'd like to talk to a person please")
        expect(chat.locator(HEADER)).to_have_text(
            re.compile(r"^A recruiter will reply, usually within ")
        )

        # Cas, a colleague, has the live queue open with notifications on
        cas = cas_browser.new_page()
        desk_login(cas, desk, "side.cas@example.com", "--name", "Cas Side")
        cas.wait_for_function("() => document.body.dataset.unread !== undefined")
        cas.check("#notify-toggle")

        # Sam claims: the applicant sees Sam's name join, and in the header
        sam = sam_browser.new_page()
        desk_login(sam, desk, "side.sam@example.com", "--admin", "--name", "Sam Side")
        escalation = open_escalation(sam, desk, "James Carter")
        expect(sam.locator("#reach")).to_contain_text("in the chat now")
        sam.click("text=Claim and join the chat")
        expect(chat.locator(BOT).last).to_contain_text("Sam Side, a recruiter, has joined")
        expect(chat.locator(HEADER)).to_have_text("Sam Side (recruiter)")

        # a note: in the thread, marked internal; never in the chat
        sam.fill("#note-text", NOTE)
        sam.click("form.note-form button")
        note = sam.locator("#transcript li.note", has_text=NOTE)
        expect(note).to_be_visible()
        expect(note.locator(".how")).to_have_text("Internal note")
        sam.fill("#reply-text", "Hi James, Sam here: I'm looking at your file now.")
        sam.click("form.reply button")
        reply = chat.locator(BOT).last
        expect(reply).to_contain_text("I'm looking at your file now")
        expect(reply.locator(".hdc-author")).to_have_text("Sam Side (recruiter)")
        assert NOTE not in chat.content()
        assert not any(NOTE in stored for stored in chat.evaluate(STORED))

        # the applicant writes: the thread shows it without a reload
        chat.fill(".hdc-input", "Great, thank you. Is the team remote?")
        chat.press(".hdc-input", "Enter")
        expect(sam.locator("#transcript")).to_contain_text("Is the team remote?")

        # Sam passes it to Cas: the applicant is told who has it, Cas's queue shows it
        # without a reload and announces it
        sam.select_option("#reassign-to", label="Cas Side")
        sam.click("#reassign button")
        expect(sam.locator("[role=status]")).to_contain_text("Passed on")
        expect(chat.locator(BOT).last).to_contain_text("passed to Cas Side, a colleague")
        expect(chat.locator(HEADER)).not_to_have_text(re.compile("Sam Side"))
        row = cas.locator(f'#queue-list tr[data-id="{escalation}"]')
        expect(row).to_be_visible(timeout=15_000)
        cas.wait_for_function("() => window.shown.length > 0", timeout=15_000)
        assert cas.evaluate("() => window.shown.map(shown => shown[1])").count("James Carter")

        # Cas joins and answers under their own name
        row.locator("a").click()
        cas.click("text=Claim and join the chat")
        expect(chat.locator(BOT).last).to_contain_text("Cas Side, a recruiter, has joined")
        expect(chat.locator(HEADER)).to_have_text("Cas Side (recruiter)")
        cas.fill("#reply-text", "Hi James, Cas here: yes, two days a week at the office.")
        cas.click("form.reply button")
        expect(chat.locator(BOT).last.locator(".hdc-author")).to_have_text("Cas Side (recruiter)")
        # Cas's page holds the whole thread: Sam's note and reply, the applicant's question
        for said in (NOTE, "I'm looking at your file now", "Is the team remote?"):
            expect(cas.locator("#transcript")).to_contain_text(said)
        assert NOTE not in chat.content()
    finally:
        for context in (applicant, sam_browser, cas_browser):
            context.close()


# Everything the widget keeps in the browser.
STORED = """() => [localStorage, sessionStorage].flatMap(area =>
    Object.keys(area).map(key => area.getItem(key) || ""))"""


def outbox_mail(
    desk: RunningHelpdesk, address: str, timeout: float = 15, *, answerable: bool = True
) -> EmailMessage:
    """The newest recruiter's letter to `address` in the help desk's outbox (`answerable`:
    one whose answer comes back to the thread, by its Reply-To)."""
    deadline = time.monotonic() + timeout
    while True:
        letters = [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(desk.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
        ]
        letters = [m for m in letters if m["To"] == address and (m["Reply-To"] or not answerable)]
        if letters:
            return letters[-1]
        assert time.monotonic() < deadline, f"no letter to {address}"
        time.sleep(0.2)


def test_an_email_reply_and_the_applicants_answer_show_in_the_thread(chromium, desk):
    reference, address = NOAH
    sender = f"rest-noah-{desk.rasa_port}"
    rest_chat(desk, sender, "Hoe staat mijn sollicitatie ervoor?")
    rest_chat(desk, sender, reference)
    rest_chat(desk, sender, address)
    rest_chat(desk, sender, last_code(desk, address))
    rest_chat(desk, sender, "Ik wil graag iemand spreken")

    recruiter = new_context(chromium, notifications=True)
    try:
        page = recruiter.new_page()
        desk_login(page, desk, "side.mail@example.com", "--admin", "--name", "Mila Mail")
        escalation = open_escalation(page, desk, "Noah Jacobs")
        # a REST client does not listen: the desk says plainly it goes by email
        expect(page.locator("#reach")).to_contain_text(f"by email, at {address}")
        page.click("button:text-is('Claim')")
        expect(page.locator("#joined")).to_contain_text(f"your replies go by email to {address}")
        page.fill("#reply-text", "Je gesprek is dinsdag om 10 uur, op kantoor in Utrecht.")
        page.click("form.reply button")
        line = page.locator("#transcript li", has_text="dinsdag om 10 uur")
        expect(line.locator(".how")).to_have_text("by email")
        expect(line.locator(".speaker")).to_have_text("Mila Mail")

        letter = outbox_mail(desk, address)
        [sent_by] = letter["From"].addresses
        assert sent_by.display_name.startswith("Mila Mail")
        assert letter["Subject"].startswith(f"Re: je sollicitatie {reference}")
        assert letter.get_content().startswith("Hoi Noah,")
        reply_to = letter["Reply-To"]
        assert reply_to.startswith("reply+") and reply_to.endswith(f"@{INBOUND_DOMAIN}")

        # the queue, in a second tab, announces what comes in
        queue = recruiter.new_page()
        queue.goto(url(desk, "/desk/"))
        queue.wait_for_function("() => document.body.dataset.unread !== undefined")
        queue.check("#notify-toggle")
        before = queue.evaluate("() => window.shown.length")

        # Noah answers from his mail program: over SMTP to the help desk's inbound server
        port = int(desk.extra_env["HELPDESK_INBOUND_SMTP_PORT"])
        deadline = time.monotonic() + 30
        while not port_open(port):
            assert time.monotonic() < deadline, "the inbound mail server did not start"
            time.sleep(0.5)
        answer = EmailMessage()
        answer["From"] = f"Noah Jacobs <{address}>"
        answer["To"] = reply_to
        answer["Subject"] = "Re: " + letter["Subject"]
        quoted = "\n".join("> " + line for line in letter.get_content().splitlines())
        answer.set_content(f"Top, dinsdag om 10 uur past goed!\n\nOp di schreef Mila:\n{quoted}")
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.send_message(answer)

        # it shows in the thread, live, without the quoted letter
        answered = page.locator("#transcript li.applicant", has_text="dinsdag om 10 uur past goed")
        expect(answered).to_be_visible(timeout=15_000)
        expect(answered.locator(".how")).to_have_text("by email")
        assert "Op di schreef" not in page.locator("#transcript").inner_text()
        queue.wait_for_function(f"() => window.shown.length > {before}", timeout=15_000)
        assert queue.evaluate("() => window.shown.at(-1)[1]") == "Noah Jacobs"
        expect(queue.locator(f'#queue-list tr[data-id="{escalation}"]')).to_have_class(
            re.compile("unread")
        )
    finally:
        recruiter.close()
