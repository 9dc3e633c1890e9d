"""The desk's pages: log in, the queue, one escalation (claim, reply, resolve, status), the
dashboard and the audit log. Rendered on the server with Jinja2; the only script polls the
conversation so that the applicant's messages appear within two seconds.

Every page and API needs a session cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS); every
form carries the session's CSRF token; a recruiter reaches only their own escalations.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import asdict
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.ats.models import CLOSED_STATUSES, EscalationReason, Status
from actions.ats.store import ApplicationNotFound, utcnow
from actions.texts import STATUS, day_and_time
from desk.accounts import DeskUser, LoginRefused, PasswordRejected
from desk.escalations import (
    STATES,
    Filters,
    audit,
    audit_log,
    claim,
    get_escalation,
    list_escalations,
    resolve,
)
from desk.handoff import Handoff, transcript
from desk.services import DeskServices
from desk.texts import CHANNELS, LABELS, REASONS, translate
from desk.texts import STATES as STATE_LABELS

SESSION_COOKIE = "desk_session"
# Longer text is cut to what the ATS columns hold (PostgreSQL refuses more): the stage of an
# application, and an address in a login form ("desk:<address>" is a lockout's subject, 250).
STAGE_CHARS = 200
EMAIL_CHARS = 245
LOGIN_CSRF_COOKIE = "desk_login_csrf"
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

    def t(key: str, **more: object) -> str:
        return translate(LABELS, key, language, **more)

    page = response.html(
        templates.get_template(name).render(
            t=t,
            user=user,
            language=language,
            when=lambda moment: day_and_time(moment, language, tz) if moment else "",
            reason_label=lambda key: translate(REASONS, key, language),
            state_label=lambda key: translate(STATE_LABELS, key, language),
            status_label=lambda key: STATUS[language][Status(key)],
            channel_label=lambda key: translate(CHANNELS, key, language) if key else "",
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
        message = translate(LABELS, "forbidden", language_of(request))
        return None, render(request, "message.html", user, message=message, status=403)
    return escalation, None


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
        email = (form.get("email") or "").strip()[:EMAIL_CHARS]
        client = request.remote_addr or request.ip or "unknown"
        try:
            token = await services.accounts.log_in(email, form.get("password") or "", client)
        except LoginRefused as refused:
            language = language_of(request)
            if refused.locked_until:
                until = day_and_time(refused.locked_until, language, services.settings.timezone)
                error = translate(LABELS, "login_locked", language, until=until)
            else:
                error = translate(LABELS, "login_failed", language)
            await audit(services.store, email or "?", "login_failed", None, client)
            return render(request, "login.html", csrf_token=expected, error=error, status=401)
        await audit(services.store, email.lower(), "login", None, client)
        page = response.redirect("/desk/")
        set_cookie(request, page, SESSION_COOKIE, token)
        return page

    @desk.route("/logout", methods=["POST"])
    @desk_page
    async def logout(request: Request, user: DeskUser) -> HTTPResponse:
        services = DeskServices.get()
        await services.accounts.log_out(request.cookies.get(SESSION_COOKIE) or "")
        await audit(services.store, user.email, "logout")
        page = response.redirect("/desk/login")
        del page.cookies[SESSION_COOKIE]
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
                error = translate(LABELS, "link_invalid", language_of(request))
            return render(request, "password.html", csrf_token=expected, error=error, status=400)
        await audit(services.store, email, "password_set")
        return render(
            request,
            "message.html",
            message=translate(LABELS, "password_done", language_of(request)),
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

    async def act(request: Request, user: DeskUser, escalation_id: int, what: str):
        escalation, refused = await visible_escalation(request, user, escalation_id)
        if refused:
            return refused
        services = DeskServices.get()
        form = request.form or {}
        query: dict[str, str] = {}
        if what == "claim":
            if await claim(services.store, escalation.id, user):
                query["sent"] = await handoff(request).join(escalation, user.name)
                await audit(services.store, user.email, "claim", f"escalation {escalation.id}")
            else:
                query["notice"] = "claimed_elsewhere"
        elif what == "reply":
            text = (form.get("text") or "").strip()
            if text and escalation.claimed_by_id == user.recruiter_id:
                query["sent"] = await handoff(request).reply(escalation, user.name, text[:4000])
                await audit(
                    services.store, user.email, "reply", f"escalation {escalation.id}", text[:200]
                )
        elif what == "resolve":
            if await resolve(services.store, escalation.id):
                if escalation.state == "claimed":
                    await handoff(request).leave(escalation, user.name)
                await audit(services.store, user.email, "resolve", f"escalation {escalation.id}")
        elif what in ("acknowledge", "status") and escalation.reference:
            status = Status.ACKNOWLEDGED if what == "acknowledge" else form.get("status")
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
        from desk.dashboard import dashboard, render_dashboard

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
