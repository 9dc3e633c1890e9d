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
from speech.catalogue import say

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
}


def page(language: str, body: str, status: int = 200) -> HTTPResponse:
    title = html.escape(say("channels.confirm.title", language))
    return response.html(
        f"""<!doctype html>
<html lang="{language}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
button{{font:inherit;padding:.6rem 1.2rem}}</style></head>
<body><h1>{title}</h1>{body}</body></html>""",
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
                return page("en", f"<p>{say('channels.confirm.invalid', 'en')}</p>", status=404)
            return page(
                language,
                f"<p>{html.escape(say('channels.confirm.ask', language))}</p>"
                '<form method="post"><button type="submit">'
                f"{html.escape(say('channels.confirm.button', language))}</button></form>",
            )

        @confirm.route("/<token>", methods=["POST"])
        async def confirmed(_: Request, token: str) -> HTTPResponse:
            language = await verifier().confirm_link(token) if TOKEN.fullmatch(token) else None
            if language is None:
                return page("en", f"<p>{say('channels.confirm.invalid', 'en')}</p>", status=404)
            done = say("channels.confirm.done", language)
            return page(language, f"<p>{html.escape(done)}</p>")

        return confirm
