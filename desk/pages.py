"""What every desk page shares: its cookies, its language, rendering a template, the session
check (`desk_page`), CSRF tokens compared in constant time, and the client's address."""

from __future__ import annotations

import hmac
import re
from functools import wraps
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from ats.models import Status
from desk.services import DeskServices
from desk.sessions import (
    DeskUser,
)
from speech.catalogue import catalogue, say
from speech.dates import day_and_time

SESSION_COOKIE = "desk_session"
# Longer text is cut to what the ATS columns hold (PostgreSQL refuses more): the stage of an
# application, and an address in a login form (the audit log's actor).
STAGE_CHARS = 200
EMAIL_CHARS = 245
LOGIN_CSRF_COOKIE = "desk_login_csrf"
# Which browsers a recruiter has logged in from (desk/accounts.py): kept for DEVICE_DAYS
# (desk/sessions.py).
DEVICE_COOKIE = "desk_device"
# Set where a login link was asked for; the link works only in a browser holding it.
BROWSER_COOKIE = "desk_login_browser"
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
STATIC = Path(__file__).with_name("static")
STATIC_FILES = {
    "desk.css": "text/css; charset=utf-8",
    "desk.js": "text/javascript; charset=utf-8",
    "inbox.js": "text/javascript; charset=utf-8",
}
templates = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
)


def language_of(request: Request) -> str:
    asked = request.args.get("lang") or request.cookies.get("desk_lang")
    if asked in ("en", "nl"):
        return asked
    accept = request.headers.get("accept-language", "")
    return "nl" if accept.lower().startswith("nl") else "en"


def is_https(request: Request) -> bool:
    return request.headers.get("x-forwarded-proto", request.scheme) == "https"


def set_cookie(request: Request, page: HTTPResponse, name: str, value: str, **extra) -> None:
    page.cookies[name] = value
    page.cookies[name]["httponly"] = True
    page.cookies[name]["samesite"] = "Lax"
    page.cookies[name]["path"] = "/desk"
    if is_https(request):
        page.cookies[name]["secure"] = True
    for key, setting in extra.items():
        page.cookies[name][key] = setting


def render(request: Request, name: str, user: DeskUser | None = None, **values: Any):
    language = language_of(request)
    tz = DeskServices.get().settings.timezone

    page = response.html(
        templates.get_template(name).render(
            t=catalogue().area("desk", language),
            user=user,
            language=language,
            when=lambda moment: day_and_time(moment, language, tz) if moment else "",
            reason_label=lambda key: catalogue().name_of("desk.reason_names", key, language),
            state_label=lambda key: say(f"desk.state_names.{key}", language),
            # in recruiters' words ("Screening"), not the applicant's sentence
            status_label=lambda key: catalogue().name_of(
                "desk.status_names", Status(key).value, language
            ),
            channel_label=lambda key: (
                catalogue().name_of("desk.channel_names", key, language) if key else ""
            ),
            request_path=request.path,
            **values,
        ),
        status=values.get("status", 200),
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": (
                "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
            ),
            "Referrer-Policy": "same-origin",
        },
    )
    if "lang" in request.args and language in ("en", "nl"):
        set_cookie(request, page, "desk_lang", language)
    return page


def same_token(sent: str, expected: str) -> bool:
    """Constant-time comparison, of bytes: compare_digest raises on str with non-ASCII
    characters, and forms and cookies can hold anything (surrogates included)."""
    return hmac.compare_digest(
        sent.encode(errors="surrogatepass"), expected.encode(errors="surrogatepass")
    )


def desk_page(handler):
    """The route needs a logged-in recruiter; POSTs need the session's CSRF token too."""

    @wraps(handler)
    async def checked(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        services = DeskServices.get()
        user = await services.accounts.user_for(request.cookies.get(SESSION_COOKIE))
        if user is None:
            if request.method == "GET" and not request.path.endswith(".json"):
                return response.redirect("/desk/login")
            return response.json({"error": "log in first"}, status=401)
        if request.method == "POST":
            sent = (request.form or {}).get("csrf_token") or ""
            if not same_token(sent, user.csrf_token):
                return response.text("missing or wrong CSRF token", status=403)
        return await handler(request, user, *args, **kwargs)

    return checked


def client_of(request: Request) -> str:
    """The client's address as the desk sees it: behind a proxy the one it forwards
    (SANIC_PROXIES_COUNT), else the connection's."""
    return request.remote_addr or request.ip or "unknown"


def valid_cookie(request: Request, name: str) -> str | None:
    """A cookie holding one of our tokens, or None for anything else (a token is URL-safe
    base64 text of a known size; a cookie can hold anything)."""
    value = request.cookies.get(name) or ""
    return value if TOKEN.fullmatch(value) else None
