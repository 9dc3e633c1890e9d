"""The desk's pages before and around a session: log in (with the login link mailed to a
browser the desk did not recognise while an address was under attack), log out, and set a
password from an invitation. Their forms carry a CSRF token in a cookie of their own, as there
is no session yet to hold it; wrong passwords slow the client down but lock no account
(desk/accounts.py, desk/throttle.py)."""

from __future__ import annotations

import math
import secrets
from datetime import timedelta
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from desk.accounts import (
    LOGIN_LINK_MINUTES,
    MAX_DEVICES,
    MIN_PASSWORD,
    NAME_CHARS,
    LoginRefused,
    NameRejected,
    PasswordRejected,
)
from desk.escalations import (
    audit,
)
from desk.pages import (
    BROWSER_COOKIE,
    DEVICE_COOKIE,
    EMAIL_CHARS,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    TOKEN,
    client_of,
    desk_page,
    language_of,
    render,
    same_token,
    set_cookie,
    valid_cookie,
)
from desk.services import DeskServices
from desk.sessions import DEVICE_DAYS, DeskUser, Login
from speech.catalogue import say


def device_tokens(request: Request) -> list[str]:
    """The device tokens this browser holds: one per recruiter who logged in with it."""
    value = request.cookies.get(DEVICE_COOKIE) or ""
    return [token for token in value.split(".")[:MAX_DEVICES] if TOKEN.fullmatch(token)]


def form_before_login(request: Request, template: str, **values: Any) -> HTTPResponse:
    """A form shown before anyone is logged in (login, login link, new password): its CSRF
    token in a cookie of its own, as there is no session to hold it yet."""
    token = secrets.token_urlsafe(32)
    page = render(request, template, csrf_token=token, error=None, **values)
    set_cookie(request, page, LOGIN_CSRF_COOKIE, token)
    return page


def csrf_before_login(request: Request) -> str | None:
    """The CSRF token of a form posted before login when it matches its cookie, else None."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    posted = (request.form or {}).get("csrf_token") or ""
    return expected if expected and same_token(posted, expected) else None


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


def add_login_routes(desk: Blueprint) -> None:
    @desk.route("/login", methods=["GET"])
    async def login_form(request: Request) -> HTTPResponse:
        return form_before_login(request, "login.html")

    @desk.route("/login", methods=["POST"])
    async def login(request: Request) -> HTTPResponse:
        form = request.form or {}
        expected = csrf_before_login(request)
        if expected is None:
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
            return form_before_login(request, "login_link.html")
        expected = csrf_before_login(request)
        if expected is None:
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
        """A new password, and the recruiter's name (asked here, as an account made without
        one holds only its address): applicants and colleagues see that name."""
        services = DeskServices.get()
        language = language_of(request)
        if request.method == "GET":
            invited = await services.accounts.invited(token[:100])
            if invited is None:
                message = say("desk.link_invalid", language)
                return render(request, "message.html", message=message, status=404)
            email, name = invited
            return form_before_login(request, "password.html", email=email, typed_name=name or "")
        form = request.form or {}
        expected = csrf_before_login(request)
        if expected is None:
            return response.text("missing or wrong CSRF token", status=403)
        # The form always sends a name (required); a client that sends none keeps the one on
        # record, which for an account made without a name is its address (shown as such).
        typed = form.get("name")
        try:
            email = await services.accounts.set_password(
                token, form.get("password") or "", None if typed is None else typed[:NAME_CHARS]
            )
        except (PasswordRejected, NameRejected) as rejected:
            if isinstance(rejected, NameRejected):
                error = say("desk.name_rejected", language, chars=NAME_CHARS)
            elif "link" in str(rejected):
                error = say("desk.link_invalid", language)
            else:
                error = say("desk.password_too_short", language, chars=MIN_PASSWORD)
            invited = await services.accounts.invited(token[:100])
            return render(
                request,
                "password.html",
                csrf_token=expected,
                error=error,
                email=invited[0] if invited else "",
                typed_name=typed or "",
                status=400,
            )
        await audit(services.store, email, "password_set")
        return render(
            request,
            "message.html",
            message=say("desk.password_done", language),
            login_link=True,
        )
