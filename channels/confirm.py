"""/verify/<token>: the one-click link in a code mail, which proves the mailbox.

A stranger typing codes for someone else's application can spend the application's bound on
wrong codes, but cannot open the link that went to its applicant's inbox. Once it is opened,
the right code counts again for that mail (ats/verification.py). Opening the page
changes nothing (mail scanners fetch links): the applicant confirms with a button. The page
loads nothing from elsewhere and sends no referrer, so the token in its address goes nowhere.
"""

from __future__ import annotations

import html
import re
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from ats.verification import Verifier
from desk.services import DeskServices

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}
TEXTS = {
    "en": {
        "title": "Confirm your email address",
        "ask": "You asked the help desk's chat for a code, and it asked you to confirm that this "
        "email address is yours. Only confirm if you are chatting with us right now.",
        "button": "Yes, this is my address",
        "done": "Thank you. Go back to the chat and type your code there again.",
        "invalid": "This link has expired or has been used. Ask the chat for a new code.",
    },
    "nl": {
        "title": "Bevestig je e-mailadres",
        "ask": "Je vroeg in de chat van de helpdesk om een code, en de chat vroeg je te bevestigen "
        "dat dit e-mailadres van jou is. Bevestig alleen als je nu met ons chat.",
        "button": "Ja, dit is mijn adres",
        "done": "Dank je. Ga terug naar de chat en typ je code daar nog een keer.",
        "invalid": "Deze link is verlopen of al gebruikt. Vraag in de chat om een nieuwe code.",
    },
}


def page(language: str, body: str, status: int = 200) -> HTTPResponse:
    texts = TEXTS.get(language, TEXTS["en"])
    return response.html(
        f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(texts["title"])}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
button{{font:inherit;padding:.6rem 1.2rem}}</style></head>
<body><h1>{html.escape(texts["title"])}</h1>{body}</body></html>""",
        status=status,
        headers=HEADERS,
    )


class MailboxConfirmation(InputChannel):
    """GET shows the question, POST confirms; both at /verify/<token>."""

    @classmethod
    def name(cls) -> str:
        return "mailbox_confirmation"

    def url_prefix(self) -> str:
        return "/verify"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        confirm = Blueprint("mailbox_confirmation", __name__)
        verifiers: list[Verifier] = []

        def verifier() -> Verifier:
            if not verifiers:
                services = DeskServices.get()
                verifiers.append(Verifier(services.store, services.settings))
            return verifiers[0]

        @confirm.route("/<token>", methods=["GET"])
        async def ask(_: Request, token: str) -> HTTPResponse:
            language = await verifier().link_language(token) if TOKEN.fullmatch(token) else None
            if language is None:
                return page("en", f"<p>{TEXTS['en']['invalid']}</p>", status=404)
            texts = TEXTS.get(language, TEXTS["en"])
            return page(
                language,
                f"<p>{html.escape(texts['ask'])}</p>"
                f'<form method="post"><button type="submit">{html.escape(texts["button"])}'
                "</button></form>",
            )

        @confirm.route("/<token>", methods=["POST"])
        async def confirmed(_: Request, token: str) -> HTTPResponse:
            language = await verifier().confirm_link(token) if TOKEN.fullmatch(token) else None
            if language is None:
                return page("en", f"<p>{TEXTS['en']['invalid']}</p>", status=404)
            done = TEXTS.get(language, TEXTS["en"])["done"]
            return page(language, f"<p>{html.escape(done)}</p>")

        return confirm
