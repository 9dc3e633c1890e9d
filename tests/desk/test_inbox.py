"""The live inbox in a real browser: the queue shows a new escalation without a reload and
counts it in the tab's title until it is opened; /desk/inbox.json is the recruiter's own."""

from __future__ import annotations

import re
import secrets

import pytest
import requests
from playwright.sync_api import expect

from tests.desk.test_desk_browser import desk_login
from tests.desk.test_views import chat, url

pytestmark = pytest.mark.server
IDS = "() => [...document.querySelectorAll('#queue-list tr[data-id]')].map(row => row.dataset.id)"


def test_the_inbox_needs_a_session(helpdesk):
    answer = requests.get(url(helpdesk, "/desk/inbox.json"), allow_redirects=False)
    assert answer.status_code == 401


def test_a_new_escalation_appears_and_is_counted_until_opened(chromium, helpdesk):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        desk = context.new_page()
        desk_login(desk, helpdesk, "inbox.admin@example.com", "--admin")
        expect(desk).to_have_title(re.compile(r"^(\(\d+\) )?Queue"))
        desk.evaluate("() => localStorage.clear()")
        desk.reload()
        # everything already open counts as unread in a browser that has opened nothing
        desk.wait_for_function("() => document.body.dataset.unread !== undefined")
        before = int(desk.evaluate("() => document.body.dataset.unread"))

        ids = desk.evaluate(IDS)
        sender = f"inbox-{secrets.token_hex(6)}"
        chat(helpdesk, sender, "I want to talk to a person")
        desk.wait_for_function(f"() => ({IDS})().length === {len(ids) + 1}", timeout=15_000)
        [new] = [i for i in desk.evaluate(IDS) if i not in ids]
        desk.wait_for_function(
            f"() => Number(document.body.dataset.unread) === {before + 1}", timeout=15_000
        )
        expect(desk).to_have_title(re.compile(rf"^\({before + 1}\) Queue"))
        row = desk.locator(f'#queue-list tr[data-id="{new}"]')
        expect(row).to_have_class(re.compile("unread"))

        row.locator("a").click()
        expect(desk.locator("h1")).to_contain_text(f"#{new}")
        # its script has run (it marks the page read first): going back sooner, under load,
        # would leave before it did
        desk.wait_for_function("() => document.body.dataset.unread !== undefined")
        desk.go_back()
        desk.wait_for_function(
            f"() => Number(document.body.dataset.unread) === {before}", timeout=15_000
        )
        expect(desk.locator(f'#queue-list tr[data-id="{new}"]')).not_to_have_class(
            re.compile("unread")
        )
    finally:
        context.close()


# Records the notifications the page shows, as the browser would show them (headless Chromium
# shows none on a screen).
NOTIFICATIONS = """
window.shown = [];
window.Notification = function (title, options) { window.shown.push([title, options.body]); };
window.Notification.permission = "granted";
window.Notification.requestPermission = function () { return Promise.resolve("granted"); };
"""


def test_a_recruiter_who_asked_for_them_is_notified_of_a_new_escalation(chromium, helpdesk):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(NOTIFICATIONS)
    try:
        desk = context.new_page()
        desk_login(desk, helpdesk, "inbox.notified@example.com", "--admin")
        desk.wait_for_function("() => document.body.dataset.unread !== undefined")
        assert desk.evaluate("() => window.shown.length") == 0
        desk.check("#notify-toggle")
        chat(helpdesk, f"notify-{secrets.token_hex(6)}", "I want to talk to a person")
        desk.wait_for_function("() => window.shown.length > 0", timeout=15_000)
        title, _body = desk.evaluate("() => window.shown[0]")
        assert title == "New in the desk"
        # turned off: no more notifications
        desk.uncheck("#notify-toggle")
        before = desk.evaluate("() => window.shown.length")
        ids = desk.evaluate(IDS)
        chat(helpdesk, f"notify-{secrets.token_hex(6)}", "Can I speak to someone?")
        # the poll that shows the new row is the one that would have announced it
        desk.wait_for_function(f"() => ({IDS})().length > {len(ids)}", timeout=15_000)
        assert desk.evaluate("() => window.shown.length") == before
    finally:
        context.close()


def test_notifications_turned_on_before_the_page_script_ran_stay_on(chromium, helpdesk):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(NOTIFICATIONS)
    try:
        desk = context.new_page()
        desk_login(desk, helpdesk, "inbox.quick@example.com", "--admin")
        desk.wait_for_function("() => document.body.dataset.unread !== undefined")
        # a slow connection: the switch is clicked while the deferred script is still loading
        held: list = []
        desk.route("**/desk/static/inbox.js", lambda route: held.append(route))
        desk.reload(wait_until="commit")
        desk.locator("#notify-toggle").check()
        desk.wait_for_timeout(200)
        assert held, "the page asked for its script"
        held[0].continue_()
        desk.wait_for_function("() => document.body.dataset.unread !== undefined")
        expect(desk.locator("#notify-toggle")).to_be_checked()
        chat(helpdesk, f"quick-{secrets.token_hex(6)}", "I want to talk to a person")
        desk.wait_for_function("() => window.shown.length > 0", timeout=15_000)
    finally:
        context.close()
