"""What the help desk serves to browsers: the chat widget's files and a demo careers page.

Both are Rasa input channels that take no messages, so that `rasa run` (and `make run`) serves
them with nothing else to start: the widget at /chat/helpdesk-chat.js, with its stylesheet and
the vendored socket.io client, and the demo careers page at /careers/ (Dutch at /careers/nl/).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

WEB = Path(__file__).resolve().parents[1] / "web"
WIDGET_FILES = {
    "helpdesk-chat.js": "text/javascript; charset=utf-8",
    "helpdesk-chat.css": "text/css; charset=utf-8",
    "socket.io.min.js": "text/javascript; charset=utf-8",
}
PAGES = {"": "index.html", "nl": "nl/index.html"}


class ChatWidget(InputChannel):
    """GET /chat/<file>: the widget an employer embeds with one script tag."""

    @classmethod
    def name(cls) -> str:
        return "chat_widget"

    def url_prefix(self) -> str:
        return "/chat"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        files = Blueprint("chat_widget", __name__)

        @files.route("/<name>", methods=["GET", "HEAD"])
        async def widget_file(_: Request, name: str) -> HTTPResponse:
            if name not in WIDGET_FILES:  # a fixed list: no path ever reaches the disk
                return response.text("not found", status=404)
            return await response.file(
                WEB / "chat" / name,
                mime_type=WIDGET_FILES[name],
                # careers sites on other origins load these
                headers={
                    "Cache-Control": "public, max-age=300",
                    "Access-Control-Allow-Origin": "*",
                },
            )

        return files


class CareersDemo(InputChannel):
    """GET /careers/ and /careers/nl/: a few vacancies with the widget, to try it out."""

    @classmethod
    def name(cls) -> str:
        return "careers_demo"

    def url_prefix(self) -> str:
        return "/careers"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        pages = Blueprint("careers_demo", __name__)

        async def page(language: str) -> HTTPResponse:
            return await response.file(
                WEB / "careers" / PAGES[language], mime_type="text/html; charset=utf-8"
            )

        @pages.route("/", methods=["GET"], strict_slashes=False)
        async def english(_: Request) -> HTTPResponse:
            return await page("")

        @pages.route("/nl", methods=["GET"], strict_slashes=False)
        async def dutch(_: Request) -> HTTPResponse:
            return await page("nl")

        return pages
