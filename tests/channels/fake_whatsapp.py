"""A fake of Meta's Graph API for WhatsApp on loopback: records the calls, answers like Meta.

It serves POST /{version}/{phone-number-id}/messages, checks the Bearer token and the body's
shape as the Cloud API documents it (text, interactive reply buttons and lists, templates, the
read status), and answers with Meta's shapes: `{"messaging_product", "contacts", "messages":
[{"id": "wamid…"}]}` for a message, `{"success": true}` for a read receipt, and Meta's error
object (`{"error": {"message", "type", "code", "error_data", "fbtrace_id"}}`) for a refusal.
`fail_next` queues failures such as 429 (code 130429) or 500, to test the client's retries.
It also signs webhook deliveries as Meta does (`signed`), with the app secret.

Templates are checked as Meta checks them against what the business had approved (`templates`:
by default the bodies `helpdesk whatsapp templates` prints, as an operator submits them): an
unknown name or language is 132001, the wrong number of body parameters 132000, a parameter
with a line break, a tab or more than four spaces in a row 132018, a body longer than 1,024
characters once filled in 132005. `rendered` gives what the applicant's phone shows.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from ats.settings import WhatsAppSettings
from ops.whatsapp_commands import template_bodies
from tests.servers import free_port

VERSION = "v23.0"
ERRORS = {
    400: (100, "Invalid parameter", "OAuthException"),
    401: (190, "Invalid OAuth access token - Cannot parse access token", "OAuthException"),
    429: (130429, "Rate limit hit", "OAuthException"),
    500: (131000, "Something went wrong", "OAuthException"),
    503: (131016, "Service unavailable", "OAuthException"),
}


def meta_error(status: int, code: int | None = None, message: str | None = None) -> dict:
    known_code, known_message, kind = ERRORS.get(status, (131000, "Something went wrong", "x"))
    return {
        "error": {
            "message": message or known_message,
            "type": kind,
            "code": code or known_code,
            "error_data": {"messaging_product": "whatsapp", "details": message or known_message},
            "fbtrace_id": "AbCdEfGhIjK",
        }
    }


def approved_templates() -> dict[tuple[str, str], str]:
    """(name, language) → body with {{1}} …: what the operator submitted and Meta approved."""
    return {(t.name, t.language): t.body for t in template_bodies(WhatsAppSettings())}


def fill(body: str, parameters: list[str]) -> str:
    for n, value in enumerate(parameters, start=1):
        body = body.replace(f"{{{{{n}}}}}", value)
    return body


def body_parameters(template: dict) -> list[Any]:
    return [
        p.get("text")
        for c in template.get("components") or []
        if isinstance(c, dict) and c.get("type") == "body"
        for p in c.get("parameters") or []
        if isinstance(p, dict)
    ]


def template_problem(
    approved: dict[tuple[str, str], str], template: dict
) -> tuple[int, str] | None:
    """Meta's code and message for a template it would refuse, or None."""
    key = (template.get("name"), (template.get("language") or {}).get("code"))
    if key not in approved:
        return 132001, "Template name does not exist in the translation"
    body, parameters = approved[key], body_parameters(template)  # type: ignore[index]
    if len(parameters) != body.count("{{"):
        return 132000, "Number of parameters does not match the expected number of params"
    for value in parameters:
        if not isinstance(value, str) or not value:
            return 132000, "Parameter text is required"
        if "\n" in value or "\t" in value or "     " in value:
            return 132018, "Param text cannot have new-line/tab characters or more than 4 spaces"
    if len(fill(body, parameters)) > 1024:
        return 132005, "Translated text too long"
    return None


def problem(body: Any) -> str | None:
    """What Meta would refuse in a /messages body (a 400 with code 100), or None."""
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if body.get("status") == "read":
        return None if isinstance(body.get("message_id"), str) else "message_id is required"
    kind = body.get("type")
    if not isinstance(body.get("to"), str) or kind not in ("text", "interactive", "template"):
        return "to and a known type are required"
    content = body.get(kind)
    if not isinstance(content, dict):
        return f"{kind} object is required"
    if kind == "text":
        text = content.get("body")
        return None if isinstance(text, str) and 0 < len(text) <= 4096 else "text.body 1-4096"
    if kind == "template":
        language = content.get("language")
        ok = isinstance(content.get("name"), str) and isinstance(language, dict)
        return None if ok and isinstance(language.get("code"), str) else "template name, language"
    body_text = (content.get("body") or {}).get("text")
    if not isinstance(body_text, str) or not 0 < len(body_text) <= 1024:
        return "interactive.body.text 1-1024"
    action = content.get("action") or {}
    if content.get("type") == "button":
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= 3:
            return "1-3 buttons"
        for b in buttons:
            reply = b.get("reply") or {}
            if b.get("type") != "reply" or not 0 < len(reply.get("title", "")) <= 20:
                return "button title 1-20"
            if not 0 < len(reply.get("id", "")) <= 256:
                return "button id 1-256"
        return None
    if content.get("type") == "list":
        rows = [r for s in action.get("sections") or [] for r in s.get("rows") or []]
        if not 0 < len(action.get("button", "")) <= 20 or not 1 <= len(rows) <= 10:
            return "list button 1-20, 1-10 rows"
        for r in rows:
            if not 0 < len(r.get("title", "")) <= 24 or not 0 < len(r.get("id", "")) <= 200:
                return "row title 1-24, id 1-200"
            if len(r.get("description", "")) > 72:
                return "row description 0-72"
        return None
    return "interactive type"


@dataclass
class FakeWhatsApp:
    token: str = "EAAG-TEST-TOKEN"
    phone_number_id: str = "106540352242922"
    app_secret: str = "app-secret-for-tests"
    verify_token: str = "verify-me"
    port: int = field(default_factory=free_port)
    calls: list[dict] = field(default_factory=list)
    failures: list[tuple[int, dict]] = field(default_factory=list)
    templates: dict[tuple[str, str], str] = field(default_factory=approved_templates)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/{VERSION}"

    def environment(self) -> dict[str, str]:
        """What turns the help desk's WhatsApp channel on, pointed at this fake."""
        return {
            "WHATSAPP_ACCESS_TOKEN": self.token,
            "WHATSAPP_PHONE_NUMBER_ID": self.phone_number_id,
            "WHATSAPP_APP_SECRET": self.app_secret,
            "WHATSAPP_VERIFY_TOKEN": self.verify_token,
            "WHATSAPP_API_BASE_URL": self.base_url,
        }

    def reset(self) -> None:
        self.calls.clear()
        self.failures.clear()
        self.templates = approved_templates()

    def fail_next(self, status: int, code: int | None = None, message: str | None = None) -> None:
        self.failures.append((status, meta_error(status, code, message)))

    def sent(self, to: str | None = None) -> list[dict]:
        """The messages accepted (read receipts and refused calls left out)."""
        return [
            c["body"]
            for c in self.calls
            if c["accepted"]
            and c["body"].get("status") != "read"
            and (to is None or c["body"].get("to") == to)
        ]

    def rendered(self, message: dict) -> str:
        """What the applicant reads of a sent message (a template with its parameters)."""
        if message["type"] == "text":
            return message["text"]["body"]
        if message["type"] == "template":
            template = message["template"]
            body = self.templates[(template["name"], template["language"]["code"])]
            return fill(body, body_parameters(template))
        return message["interactive"]["body"]["text"]

    def read_receipts(self) -> list[str]:
        return [c["body"]["message_id"] for c in self.calls if c["body"].get("status") == "read"]

    def wait_for(self, count: int, to: str | None = None, timeout: float = 30) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.sent(to)) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.sent(to)

    def signed(self, payload: dict) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery as Meta sends it: the body and its signature header."""
        body = json.dumps(payload).encode()
        digest = hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={digest}"}

    async def _messages(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response(meta_error(401), status=401)
        if request.match_info["number"] != self.phone_number_id:
            return web.json_response(meta_error(400, 100, "Unsupported post request"), status=400)
        try:
            body = await request.json()
        except ValueError:
            body = None
        call = {"body": body if isinstance(body, dict) else {}, "accepted": False}
        self.calls.append(call)
        if self.failures:
            status, error = self.failures.pop(0)
            return web.json_response(error, status=status)
        wrong = problem(body)
        if wrong:
            return web.json_response(meta_error(400, 100, wrong), status=400)
        refused = template_problem(self.templates, body["template"]) if "template" in body else None
        if refused:
            return web.json_response(meta_error(400, *refused), status=400)
        call["accepted"] = True
        if body.get("status") == "read":
            return web.json_response({"success": True})
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": f"wamid.FAKE{len(self.calls):06d}"}],
            }
        )

    def start(self) -> FakeWhatsApp:
        ready = threading.Event()

        def serve() -> None:
            self.loop = asyncio.new_event_loop()
            app = web.Application()
            app.router.add_post(f"/{VERSION}/{{number}}/messages", self._messages)
            self.runner = web.AppRunner(app)
            self.loop.run_until_complete(self.runner.setup())
            site = web.TCPSite(self.runner, "127.0.0.1", self.port)
            self.loop.run_until_complete(site.start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def incoming(wa_id: str, message_id: str, kind: str, content: dict | None = None) -> dict:
    """One of `value.messages[]`: the sender's wa_id, the message's id, its type and content."""
    message = {"from": wa_id, "id": message_id, "timestamp": "1764500000", "type": kind}
    if content is not None:
        message[kind] = content
    return message


def text_message(wa_id: str, message_id: str, text: str) -> dict:
    return incoming(wa_id, message_id, "text", {"body": text})


def delivery(fake: FakeWhatsApp, messages=(), statuses=(), name: str = "Sanne") -> dict:
    """A `whatsapp_business_account` webhook delivery, as Meta posts it."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": "15550001111",
            "phone_number_id": fake.phone_number_id,
        },
    }
    if messages:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": m["from"]} for m in messages]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = list(statuses)
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }
