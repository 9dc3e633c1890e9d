"""The desk's "Personal data" pages, for admins only: look an applicant up, see what the help
desk holds about them, download it (JSON or readable), email it to them, and erase them after
a confirmation. The same flows start from a verified privacy escalation (its applicant, and the
escalation is resolved once they are erased).

Every action is a POST with the session's CSRF token, so an address never travels in a URL
(logs, history), and leaves an audit row that names nobody: an escalation or application
number, and counts. Refusals are 403 pages, as for the audit log.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from desk.escalations import audit, get_escalation
from desk.pages import desk_page, language_of, render
from desk.privacy import (
    JSON_NAME,
    READABLE_NAME,
    Holding,
    ats_name,
    erase,
    escalation_applicant,
    export_mail,
    find_applicant,
    full_export,
    holding,
)
from desk.services import DeskServices
from desk.sessions import DeskUser
from speech.data_export import render_export


def admins_only(handler):
    """After the session and CSRF checks (desk_page): admins only, as the audit log."""

    @wraps(handler)
    async def checked(request: Request, user: DeskUser, *args: Any, **kwargs: Any):
        if not user.is_admin:
            return render(request, "message.html", user, message="403", status=403)
        return await handler(request, user, *args, **kwargs)

    return desk_page(checked)


def _number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 0 < int(value) < 2**31 else None


async def target(
    request: Request, user: DeskUser, values: Any
) -> tuple[Holding | None, int | None, HTTPResponse | None]:
    """The applicant a form or link is about: an escalation's (`escalation`), or the address
    on file (`email`). Returns the holding, the escalation's id, or the page saying why not."""
    store = DeskServices.get().store
    escalation_id = _number(values.get("escalation"))
    if escalation_id is not None:
        escalation = await get_escalation(store, escalation_id)
        if escalation is None:
            return None, None, render(request, "message.html", user, message="404", status=404)
        email = escalation_applicant(escalation)
        if email is None:
            return (
                None,
                escalation_id,
                page(
                    request,
                    user,
                    escalation_id=escalation_id,
                    problem="privacy_unverified",
                    status=409,
                ),
            )
    else:
        email = (values.get("email") or "").strip()
    found = await holding(store, email) if email else None
    if found is None:
        return (
            None,
            escalation_id,
            page(
                request, user, escalation_id=escalation_id, problem="privacy_not_found", status=404
            ),
        )
    return found, escalation_id, None


def page(
    request: Request,
    user: DeskUser,
    found: Holding | None = None,
    escalation_id: int | None = None,
    status: int = 200,
    **values: Any,
) -> HTTPResponse:
    settings = DeskServices.get().settings
    ats = ats_name(found.ats_systems, settings, language_of(request)) if found else ""
    return render(
        request,
        "privacy.html",
        user,
        found=found,
        escalation_id=escalation_id,
        ats=ats,
        status=status,
        **values,
    )


def download(body: str, content_type: str, filename: str) -> HTTPResponse:
    return response.raw(
        body.encode(),
        content_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def add_privacy_routes(desk: Blueprint) -> None:
    @desk.route("/privacy", methods=["GET"])
    @admins_only
    async def privacy_page(request: Request, user: DeskUser) -> HTTPResponse:
        if _number(request.args.get("escalation")) is None:
            return page(request, user)
        found, escalation_id, refused = await target(request, user, request.args)
        if refused:
            return refused
        assert found is not None
        await audit(
            DeskServices.get().store, user.email, "privacy_view", found.subject(escalation_id)
        )
        return page(request, user, found, escalation_id)

    @desk.route("/privacy", methods=["POST"])
    @admins_only
    async def lookup(request: Request, user: DeskUser) -> HTTPResponse:
        store = DeskServices.get().store
        asked = ((request.form or {}).get("who") or "").strip()
        email = await find_applicant(store, asked)
        found = await holding(store, email) if email else None
        if found is None:
            return page(request, user, asked=asked, problem="privacy_not_found", status=404)
        await audit(store, user.email, "privacy_view", found.subject(None))
        return page(request, user, found, asked=asked)

    @desk.route("/privacy/export.json", methods=["POST"])
    @admins_only
    async def export_json(request: Request, user: DeskUser) -> HTTPResponse:
        return await exported(request, user, "json")

    @desk.route("/privacy/export.html", methods=["POST"])
    @admins_only
    async def export_readable(request: Request, user: DeskUser) -> HTTPResponse:
        return await exported(request, user, "readable")

    async def exported_target(request: Request, user: DeskUser) -> tuple[Any, Any, Any, Any]:
        """The applicant asked for (by the form), and their export; or the refusal page."""
        services = DeskServices.get()
        found, escalation_id, refused = await target(request, user, request.form or {})
        if refused:
            return None, None, None, refused
        assert found is not None
        export = await full_export(
            services.store, services.settings, request.app.ctx.agent, found.email
        )
        if export is None:
            return None, None, None, page(request, user, problem="privacy_not_found", status=404)
        return found, escalation_id, export, None

    async def exported(request: Request, user: DeskUser, kind: str) -> HTTPResponse:
        services = DeskServices.get()
        found, escalation_id, export, refused = await exported_target(request, user)
        if refused:
            return refused
        assert found is not None and export is not None
        await audit(
            services.store, user.email, "privacy_export", found.subject(escalation_id), kind
        )
        if kind == "json":
            return download(export.to_json(), "application/json; charset=utf-8", JSON_NAME)
        document = render_export(export, export.language, services.settings.timezone)
        return download(document, "text/html; charset=utf-8", READABLE_NAME)

    @desk.route("/privacy/send", methods=["POST"])
    @admins_only
    async def send(request: Request, user: DeskUser) -> HTTPResponse:
        services = DeskServices.get()
        found, escalation_id, export, refused = await exported_target(request, user)
        if refused:
            return refused
        assert found is not None and export is not None
        await services.mailer.send([export_mail(export, services.settings)], escalation_id)
        await audit(
            services.store, user.email, "privacy_send", found.subject(escalation_id), "data_export"
        )
        if escalation_id:
            return response.redirect(f"/desk/escalations/{escalation_id}?notice=data_sent")
        return page(request, user, found, notice="privacy_sent")

    @desk.route("/privacy/erase", methods=["POST"])
    @admins_only
    async def erase_confirmation(request: Request, user: DeskUser) -> HTTPResponse:
        found, escalation_id, refused = await target(request, user, request.form or {})
        if refused:
            return refused
        assert found is not None
        return confirmation(request, user, found, escalation_id)

    def confirmation(
        request: Request,
        user: DeskUser,
        found: Holding,
        escalation_id: int | None,
        error: bool = False,
    ) -> HTTPResponse:
        settings = DeskServices.get().settings
        return render(
            request,
            "privacy_erase.html",
            user,
            found=found,
            escalation_id=escalation_id,
            ats=ats_name(found.ats_systems, settings, language_of(request)),
            error=error,
            erased=None,
            status=400 if error else 200,
        )

    @desk.route("/privacy/erase/confirm", methods=["POST"])
    @admins_only
    async def erase_now(request: Request, user: DeskUser) -> HTTPResponse:
        services = DeskServices.get()
        form = request.form or {}
        found, escalation_id, refused = await target(request, user, form)
        if refused:
            return refused
        assert found is not None
        typed = (form.get("confirm_email") or "").strip().lower()
        if typed != found.email.lower():
            return confirmation(request, user, found, escalation_id, error=True)
        erased = await erase(
            services.store,
            services.settings,
            services.mailer,
            found,
            actor=user.email,
            escalation_id=escalation_id,
        )
        if erased is None:  # another admin, or the purge, was faster
            return page(request, user, problem="privacy_not_found", status=404)
        # the Eraser's own audit row has the counts; this one records what is left to do
        await audit(
            services.store,
            user.email,
            "erase_in_ats",
            found.subject(escalation_id),
            f"to be requested in {ats_name(found.ats_systems, services.settings, 'en')} too",
        )
        return render(
            request,
            "privacy_erase.html",
            user,
            found=None,
            escalation_id=escalation_id,
            ats=ats_name(found.ats_systems, services.settings, language_of(request)),
            error=False,
            erased=erased,
        )
