"""The recruiters' desk at /desk/, served by the Rasa server as an input channel that takes no
messages: so that it can pause a conversation, write in it and resume it (desk/handoff.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from desk.views import build_blueprint


class RecruiterDesk(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "desk"

    def url_prefix(self) -> str:
        return "/desk"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return build_blueprint()
