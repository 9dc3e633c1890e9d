"""The desk's pages: log in, the queue, one escalation (claim, reply, resolve, status), the
dashboard and the audit log. Rendered on the server with Jinja2; the only script polls the
conversation so that the applicant's messages appear within two seconds.

Every page and API needs a session cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS); every
form carries the session's CSRF token; a recruiter reaches only their own escalations, and does
there only what desk/escalations.py allows (a refused action is a 403 page that says why).
Wrong passwords slow the client down but lock no account (desk/accounts.py, desk/throttle.py).
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
from dataclasses import asdict
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from ats.models import CLOSED_STATUSES, EscalationReason, Status
from ats.store import ApplicationNotFound, utcnow
from desk.accounts import (
    DEVICE_DAYS,
    LOGIN_LINK_MINUTES,
    MAX_DEVICES,
    DeskUser,
    Login,
    LoginRefused,
    PasswordRejected,
)
from desk.dashboard import render_dashboard
from desk.escalations import (
    STATES,
    Action,
    EscalationView,
    Filters,
    audit,
    audit_log,
    claim,
    fresh,
    get_escalation,
    list_escalations,
    resolve,
)
from desk.figures import dashboard
from desk.handoff import Handoff, transcript
from desk.services import DeskServices
from speech.catalogue import catalogue, say
from speech.dates import day_and_time

SESSION_COOKIE = "desk_session"
# Longer text is cut to what the ATS columns hold (PostgreSQL refuses more): the stage of an
# application, and an address in a login form (the audit log's actor).
STAGE_CHARS = 200
EMAIL_CHARS = 245
LOGIN_CSRF_COOKIE = "desk_login_csrf"
# Which browsers a recruiter has logged in from (desk/accounts.py): kept for DEVICE_DAYS.
DEVICE_COOKIE = "desk_device"
# Set where a login link was asked for; the link works only in a browser holding it.
BROWSER_COOKIE = "desk_login_browser"
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
STATIC = Path(__file__).with_name("static")
STATIC_FILES = {
    "desk.css": "text/css; charset=utf-8",
    "desk.js": "text/javascript; charset=utf-8",
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
            status_label=lambda key: say(f"status.{Status(key).value}", language),
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


async def visible_escalation(request: Request, user: DeskUser, escalation_id: int):
    escalation = await get_escalation(DeskServices.get().store, escalation_id)
    if escalation is None:
        return None, render(request, "message.html", user, message="404", status=404)
    if not escalation.visible_to(user):
        message = say("desk.forbidden", language_of(request))
        return None, render(request, "message.html", user, message=message, status=403)
    return escalation, None


def client_of(request: Request) -> str:
    """The client's address as the desk sees it: behind a proxy the one it forwards
    (SANIC_PROXIES_COUNT), else the connection's."""
    return request.remote_addr or request.ip or "unknown"


def valid_cookie(request: Request, name: str) -> str | None:
    """A cookie holding one of our tokens, or None for anything else (a token is URL-safe
    base64 text of a known size; a cookie can hold anything)."""
    value = request.cookies.get(name) or ""
    return value if TOKEN.fullmatch(value) else None


def device_tokens(request: Request) -> list[str]:
    """The device tokens this browser holds: one per recruiter who logged in with it."""
    value = request.cookies.get(DEVICE_COOKIE) or ""
    return [token for token in value.split(".")[:MAX_DEVICES] if TOKEN.fullmatch(token)]


def wait_words(wait: timedelta, language: str) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 120:
        return say("desk.seconds", language, n=seconds)
    return say("desk.minutes", language, n=math.ceil(seconds / 60))


def logged_in(request: Request, login: Login) -> HTTPResponse:
    """To the queue, with the session cookie and this browser's device cookie (its new token
    first, then those of other recruiters who used this browser)."""
    page = response.redirect("/desk/")
    set_cookie(request, page, SESSION_COOKIE, login.session_token)
    others = [token for token in device_tokens(request) if token != login.replaced_device]
    set_cookie(
        request,
        page,
        DEVICE_COOKIE,
        ".".join([login.device_token, *others][:MAX_DEVICES]),
        **{"max-age": DEVICE_DAYS * 24 * 3600},
    )
    return page


def handoff(request: Request) -> Handoff:
    app = request.app
    return Handoff(app.ctx.agent, app.ctx.input_channels, DeskServices.get().mailer)


def build_blueprint() -> Blueprint:
    desk = Blueprint("desk", __name__)

    @desk.route("/static/<name>", methods=["GET", "HEAD"])
    async def static_file(_: Request, name: str) -> HTTPResponse:
        # A fixed list, as for the chat widget: Sanic's static handler answered the folder
        # itself (/desk/static/) with a 500.
        if name not in STATIC_FILES:
            return response.text("not found", status=404)
        return await response.file(STATIC / name, mime_type=STATIC_FILES[name])

    @desk.route("/login", methods=["GET"])
    async def login_form(request: Request) -> HTTPResponse:
        token = secrets.token_urlsafe(32)
        page = render(request, "login.html", csrf_token=token, error=None)
        set_cookie(request, page, LOGIN_CSRF_COOKIE, token)
        return page

    @desk.route("/login", methods=["POST"])
    async def login(request: Request) -> HTTPResponse:
        form = request.form or {}
        expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        if not expected or not same_token(form.get("csrf_token") or "", expected):
            return response.text("missing or wrong CSRF token", status=403)
        services = DeskServices.get()
        # printable characters only: the address goes into the audit log (PostgreSQL refuses
        # a NUL in text)
        email = "".join(c for c in (form.get("email") or "") if c.isprintable()).strip()
        email = email[:EMAIL_CHARS]
        client = client_of(request)
        language = language_of(request)
        browser = valid_cookie(request, BROWSER_COOKIE) or secrets.token_urlsafe(32)
        try:
            login = await services.accounts.log_in(
                email,
                form.get("password") or "",
                client,
                devices=device_tokens(request),
                browser=browser,
                language=language,
            )
        except LoginRefused as refused:
            if refused.wait_until and refused.wait is not None:
                error = say("desk.login_wait", language, wait=wait_words(refused.wait, language))
            elif refused.unrecognised_browser:
                error = say("desk.login_unrecognised", language, minutes=LOGIN_LINK_MINUTES)
            else:
                error = say("desk.login_failed", language)
            await audit(services.store, email or "?", "login_failed", None, client)
            page = render(request, "login.html", csrf_token=expected, error=error, status=401)
            if refused.unrecognised_browser:
                # the mailed link works only in a browser holding this (whatever the password)
                set_cookie(
                    request, page, BROWSER_COOKIE, browser, **{"max-age": LOGIN_LINK_MINUTES * 60}
                )
            return page
        await audit(services.store, email.lower(), "login", None, client)
        return logged_in(request, login)

    @desk.route("/login/link/<token>", methods=["GET", "POST"])
    async def login_link(request: Request, token: str) -> HTTPResponse:
        """The link mailed to a recruiter whose right password came from a browser the desk
        did not recognise while their address was under attack. GET shows a button (mail
        scanners that fetch links use nothing up); POST logs this browser in."""
        language = language_of(request)
        if request.method == "GET":
            csrf = secrets.token_urlsafe(32)
            page = render(request, "login_link.html", csrf_token=csrf, error=None)
            set_cookie(request, page, LOGIN_CSRF_COOKIE, csrf)
            return page
        form = request.form or {}
        expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        if not expected or not same_token(form.get("csrf_token") or "", expected):
            return response.text("missing or wrong CSRF token", status=403)
        services = DeskServices.get()
        login = await services.accounts.log_in_with_link(
            token[:100], valid_cookie(request, BROWSER_COOKIE) or ""
        )
        if login is None:
            error = say("desk.login_link_invalid", language)
            return render(request, "login_link.html", csrf_token=expected, error=error, status=400)
        user = await services.accounts.user_for(login.session_token)
        assert user is not None  # the session was opened just now
        await audit(services.store, user.email, "login", "login link", client_of(request))
        page = logged_in(request, login)
        set_cookie(request, page, BROWSER_COOKIE, "", **{"max-age": 0})  # used up
        return page

    @desk.route("/logout", methods=["POST"])
    @desk_page
    async def logout(request: Request, user: DeskUser) -> HTTPResponse:
        services = DeskServices.get()
        await services.accounts.log_out(request.cookies.get(SESSION_COOKIE) or "")
        await audit(services.store, user.email, "logout")
        page = response.redirect("/desk/login")
        # with the cookie's own path: Sanic's `del cookies[...]` would name the path "/"
        set_cookie(request, page, SESSION_COOKIE, "", **{"max-age": 0})
        return page

    @desk.route("/password/<token>", methods=["GET", "POST"])
    async def set_password(request: Request, token: str) -> HTTPResponse:
        if request.method == "GET":
            csrf = secrets.token_urlsafe(32)
            page = render(request, "password.html", csrf_token=csrf, error=None)
            set_cookie(request, page, LOGIN_CSRF_COOKIE, csrf)
            return page
        form = request.form or {}
        expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        if not expected or not same_token(form.get("csrf_token") or "", expected):
            return response.text("missing or wrong CSRF token", status=403)
        services = DeskServices.get()
        try:
            email = await services.accounts.set_password(token, form.get("password") or "")
        except PasswordRejected as rejected:
            error = str(rejected)
            if "link" in error:
                error = say("desk.link_invalid", language_of(request))
            return render(request, "password.html", csrf_token=expected, error=error, status=400)
        await audit(services.store, email, "password_set")
        return render(
            request,
            "message.html",
            message=say("desk.password_done", language_of(request)),
            login_link=True,
        )

    @desk.route("/", methods=["GET"])
    @desk_page
    async def queue(request: Request, user: DeskUser) -> HTTPResponse:
        state = request.args.get("state") or "unresolved"
        filters = Filters(
            mine=request.args.get("mine") == "1",
            reason=request.args.get("reason") or None,
            vacancy=request.args.get("vacancy") or None,
            channel=request.args.get("channel") or None,
            state=state if state in STATES else "unresolved",
        )
        services = DeskServices.get()
        rows = await list_escalations(services.store, user, filters)
        everything = await list_escalations(services.store, user, Filters(state="all"))
        return render(
            request,
            "queue.html",
            user,
            rows=rows,
            filters=filters,
            now=utcnow(),
            reasons=[r.value for r in EscalationReason],
            states=STATES,
            vacancies=sorted(
                {(r.vacancy_code, r.vacancy_title) for r in everything if r.vacancy_code}
            ),
            channels=sorted({r.channel for r in everything if r.channel}),
        )

    @desk.route("/escalations/<escalation_id:int>", methods=["GET"])
    @desk_page
    async def escalation_page(request: Request, user: DeskUser, escalation_id: int):
        escalation, refused = await visible_escalation(request, user, escalation_id)
        if refused:
            return refused
        services = DeskServices.get()
        application = history = None
        if escalation.reference:
            application = await services.store.find_application(escalation.reference)
            history = await services.store.status_history(escalation.reference)
        lines = await transcript(request.app.ctx.agent, escalation.conversation_id)
        return render(
            request,
            "escalation.html",
            user,
            escalation=escalation,
            application=application,
            history=history or [],
            lines=lines,
            now=utcnow(),
            statuses=[s.value for s in Status],
            closed={s.value for s in CLOSED_STATUSES},
            sent=request.args.get("sent"),
            notice=request.args.get("notice"),
        )

    @desk.route("/escalations/<escalation_id:int>/transcript.json", methods=["GET"])
    @desk_page
    async def transcript_json(request: Request, user: DeskUser, escalation_id: int):
        escalation = await get_escalation(DeskServices.get().store, escalation_id)
        if escalation is None or not escalation.visible_to(user):
            return response.json({"error": "not yours"}, status=403)
        lines = await transcript(request.app.ctx.agent, escalation.conversation_id)
        return response.json(
            {
                "state": escalation.state,
                "lines": [{**asdict(line), "at": line.at.isoformat()} for line in lines],
            },
            headers={"Cache-Control": "no-store"},
        )

    def refused_page(
        request: Request, user: DeskUser, escalation: EscalationView, reason: str
    ) -> HTTPResponse:
        """403: what was refused and why, with the way back to the escalation."""
        message = say(f"desk.{reason}", language_of(request), name=escalation.claimed_by_name or "")
        return render(
            request, "message.html", user, message=message, back=escalation.id, status=403
        )

    async def act(request: Request, user: DeskUser, escalation_id: int, what: Action):
        escalation, refused = await visible_escalation(request, user, escalation_id)
        if refused:
            return refused
        services = DeskServices.get()
        form = request.form or {}
        query: dict[str, str] = {}
        reason = escalation.refusal(user, what)
        if what == "claim" and reason == "claimed_elsewhere":
            query["notice"] = reason  # a click that lost the race: the page says who has it
        elif reason:
            return refused_page(request, user, escalation, reason)
        elif what == "claim":
            if await claim(services.store, escalation.id, user):
                query["sent"] = await handoff(request).join(escalation, user.name)
                await audit(services.store, user.email, "claim", f"escalation {escalation.id}")
            else:
                query["notice"] = "claimed_elsewhere"
        elif what == "reply":
            text = (form.get("text") or "").strip()
            if text:
                if not await fresh(services.store, escalation.id, user, "reply"):
                    return await refused_now(request, user, escalation.id, what)
                query["sent"] = await handoff(request).reply(escalation, user.name, text[:4000])
                await audit(
                    services.store, user.email, "reply", f"escalation {escalation.id}", text[:200]
                )
        elif what == "resolve":
            was = await resolve(services.store, escalation.id, user)
            if was is None:
                return await refused_now(request, user, escalation.id, what)
            if was == "claimed":
                # the bot resumes; the applicant is told that whoever had joined has left
                current = await get_escalation(services.store, escalation.id) or escalation
                await handoff(request).leave(current, current.claimed_by_name or user.name)
            await audit(services.store, user.email, "resolve", f"escalation {escalation.id}")
        else:  # acknowledge, status
            if not await fresh(services.store, escalation.id, user, what):
                return await refused_now(request, user, escalation.id, what)
            status = Status.ACKNOWLEDGED if what == "acknowledge" else form.get("status") or ""
            try:
                await services.store.record_status_change(
                    escalation.reference,
                    status,
                    actor=user.email,
                    source="desk",
                    stage=(form.get("stage") or "").strip()[:STAGE_CHARS] or None,
                )
            except (ApplicationNotFound, ValueError):
                return response.text("unknown application or status", status=400)
            await audit(
                services.store, user.email, "status_change", escalation.reference, str(status)
            )
        suffix = f"?{urlencode(query)}" if query else ""
        return response.redirect(f"/desk/escalations/{escalation.id}{suffix}")

    async def refused_now(request: Request, user: DeskUser, escalation_id: int, what: Action):
        """The escalation changed since the page was drawn (claimed or resolved meanwhile)."""
        current = await get_escalation(DeskServices.get().store, escalation_id)
        if current is None:  # erased meanwhile (a privacy request)
            return render(request, "message.html", user, message="404", status=404)
        return refused_page(
            request, user, current, current.refusal(user, what) or "refused_resolved"
        )

    for what in ("claim", "reply", "resolve", "acknowledge", "status"):

        async def action(request: Request, user: DeskUser, escalation_id: int, what=what):
            return await act(request, user, escalation_id, what)

        desk.add_route(
            desk_page(action),
            f"/escalations/<escalation_id:int>/{what}",
            methods=["POST"],
            name=f"escalation_{what}",
        )

    @desk.route("/dashboard", methods=["GET"])
    @desk_page
    async def dashboard_page(request: Request, user: DeskUser) -> HTTPResponse:
        data = await dashboard(DeskServices.get().store, user, utcnow())
        return render(
            request, "dashboard.html", user, fragment=render_dashboard(data, language_of(request))
        )

    @desk.route("/audit", methods=["GET"])
    @desk_page
    async def audit_page(request: Request, user: DeskUser) -> HTTPResponse:
        if not user.is_admin:
            return render(request, "message.html", user, message="403", status=403)
        return render(
            request, "audit.html", user, entries=await audit_log(DeskServices.get().store)
        )

    return desk
