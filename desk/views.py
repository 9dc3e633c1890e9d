"""The desk's pages once logged in: the queue, one escalation (claim, reply, resolve, status), the
dashboard and the audit log. Rendered on the server with Jinja2; the only script polls the
conversation so that the applicant's messages appear within two seconds.

Every page and API needs a session cookie (HttpOnly, SameSite=Lax, Secure behind HTTPS); every
form carries the session's CSRF token; a recruiter reaches only their own escalations, and does
there only what desk/escalations.py allows (a refused action is a 403 page that says why).
Logging in and out is desk/login_pages.py; what every page shares, desk/pages.py.
"""

from __future__ import annotations

from dataclasses import asdict
from urllib.parse import urlencode

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from ats.desk_changes import latest as latest_desk_change
from ats.models import CLOSED_STATUSES, EscalationReason, Status
from ats.store_basics import ApplicationNotFound, utcnow
from ats.threads import add_message
from ats.whatsapp_followups import one_line
from desk.accounts import real_name
from desk.audit_words import described
from desk.canned import add_canned_routes, applicant_language, canned_replies
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
from desk.feedback_figures import feedback_figures
from desk.figures import dashboard
from desk.handoff import Handoff, Line, conversation
from desk.inbox import activity_of, add_inbox_routes
from desk.login_pages import add_login_routes
from desk.pages import (
    STAGE_CHARS,
    STATIC,
    STATIC_FILES,
    desk_page,
    language_of,
    render,
)
from desk.privacy_pages import add_privacy_routes
from desk.profile import add_profile_routes
from desk.reach import Reach, reach_of
from desk.reassign import add_reassign_routes, colleagues
from desk.reopen import add_reopen_routes
from desk.review_figures import render_review_figures, review_figures
from desk.review_pages import add_review_routes
from desk.services import DeskServices
from desk.sessions import (
    DeskUser,
)
from desk.writeback import described as writeback_lines
from desk.writeback import record_desk_change, send_soon
from speech.catalogue import catalogue, say
from speech.dates import day_and_time


async def visible_escalation(request: Request, user: DeskUser, escalation_id: int):
    escalation = await get_escalation(DeskServices.get().store, escalation_id)
    if escalation is None:
        return None, render(request, "message.html", user, message="404", status=404)
    if not escalation.visible_to(user):
        message = say("desk.forbidden", language_of(request))
        return None, render(request, "message.html", user, message=message, status=403)
    return escalation, None


def handoff(request: Request) -> Handoff:
    app = request.app
    services = DeskServices.get()
    return Handoff(app.ctx.agent, app.ctx.input_channels, services.mailer, services.store)


def line_json(line: Line, language: str) -> dict[str, object]:
    """A line of the thread for the page's script, with the words it shows beside it."""
    how = ""
    if line.kind == "note":
        how = say("desk.thread_internal", language)
    elif line.channel and line.kind in ("recruiter", "applicant") and line.channel != "desk":
        channel = catalogue().name_of("desk.channel_names", line.channel, language)
        how = say("desk.thread_by", language, channel=channel)
    when = day_and_time(line.at, language, DeskServices.get().settings.timezone)
    return {**asdict(line), "at": line.at.isoformat(), "how": how, "when": when}


def build_blueprint() -> Blueprint:
    desk = Blueprint("desk", __name__)

    @desk.route("/static/<name>", methods=["GET", "HEAD"])
    async def static_file(_: Request, name: str) -> HTTPResponse:
        # A fixed list, as for the chat widget: Sanic's static handler answered the folder
        # itself (/desk/static/) with a 500.
        if name not in STATIC_FILES:
            return response.text("not found", status=404)
        return await response.file(STATIC / name, mime_type=STATIC_FILES[name])

    add_login_routes(desk)
    add_privacy_routes(desk)
    add_profile_routes(desk)
    add_inbox_routes(desk)
    add_reopen_routes(desk)
    add_reassign_routes(desk)
    add_canned_routes(desk)
    add_review_routes(desk)

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
            search=(request.args.get("q") or "").strip()[:200] or None,
        )
        services = DeskServices.get()
        rows = await list_escalations(services.store, user, filters)
        everything = await list_escalations(services.store, user, Filters(state="all"))
        return render(
            request,
            "queue.html",
            user,
            rows=rows,
            activity=await activity_of(services.store, rows, request.app.ctx.agent),
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
        return await show_escalation(request, user, escalation)

    async def show_escalation(
        request: Request,
        user: DeskUser,
        escalation: EscalationView,
        *,
        reach: Reach | None = None,
        draft: str = "",
        error: str = "",
        status: int = 200,
    ) -> HTTPResponse:
        """The escalation's page; after a refused reply, with the reply kept in its box and
        what was wrong with it (`error`)."""
        services = DeskServices.get()
        application = history = None
        others: list = []
        writeback: list[str] = []
        if escalation.reference:
            application = await services.store.find_application(escalation.reference)
            history = await services.store.status_history(escalation.reference)
            writeback = writeback_lines(
                await latest_desk_change(services.store, escalation.reference),
                language_of(request),
                services.settings.timezone,
            )
        if application is not None:
            # the applicant's other applications, beside the thread (proven: the same person)
            others = [
                other
                for other in await services.store.find_applications_by_email(
                    application.candidate.email
                )
                if other.reference != application.reference
            ]
        lines = await conversation(request.app.ctx.agent, services.store, escalation)
        language = language_of(request)
        return render(
            request,
            "escalation.html",
            user,
            escalation=escalation,
            application=application,
            history=history or [],
            writeback=writeback,
            other_applications=others,
            colleagues=await colleagues(services.store),
            # in the language the applicant reads (the conversation's, else the one on file)
            canned=await canned_replies(
                services.store, await applicant_language(request.app.ctx.agent, escalation)
            ),
            lines=[line_json(line, language) for line in lines],
            activity=(await activity_of(services.store, [escalation], request.app.ctx.agent))[
                escalation.id
            ],
            now=utcnow(),
            statuses=[s.value for s in Status],
            closed={s.value for s in CLOSED_STATUSES},
            sent=request.args.get("sent"),
            notice=request.args.get("notice"),
            joined=request.args.get("joined"),
            reach=reach or await reach_of(handoff(request), escalation, user.name),
            draft=draft,
            error=error,
            status=status,
        )

    @desk.route("/escalations/<escalation_id:int>/transcript.json", methods=["GET"])
    @desk_page
    async def transcript_json(request: Request, user: DeskUser, escalation_id: int):
        store = DeskServices.get().store
        escalation = await get_escalation(store, escalation_id)
        if escalation is None or not escalation.visible_to(user):
            return response.json({"error": "not yours"}, status=403)
        lines = await conversation(request.app.ctx.agent, store, escalation)
        language = language_of(request)
        return response.json(
            {
                "state": escalation.state,
                "lines": [line_json(line, language) for line in lines],
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
                # to the applicant, "a recruiter" until the recruiter has set their name
                spoken = real_name(user.name, user.email) or ""
                query["joined"] = await handoff(request).join(escalation, spoken)
                await audit(services.store, user.email, "claim", f"escalation {escalation.id}")
            else:
                query["notice"] = "claimed_elsewhere"
        elif what == "reply":
            text = (form.get("text") or "").strip()
            if text:
                if not await fresh(services.store, escalation.id, user, "reply"):
                    return await refused_now(request, user, escalation.id, what)
                reach = await reach_of(handoff(request), escalation, user.name)
                length = len(one_line(text))
                if reach.how == "template" and length > (reach.room or 0):
                    # refused, not cut: the recruiter shortens it and loses nothing
                    error = say(
                        "desk.reply_too_long_for_template",
                        language_of(request),
                        room=reach.room,
                        length=length,
                    )
                    return await show_escalation(
                        request, user, escalation, reach=reach, draft=text, error=error, status=400
                    )
                query["sent"] = await handoff(request).reply(
                    escalation, user.name, text[:4000], user.recruiter_id
                )
                await audit(
                    services.store, user.email, "reply", f"escalation {escalation.id}", text[:200]
                )
        elif what == "note":
            text = (form.get("text") or "").strip()
            if text:
                if not await fresh(services.store, escalation.id, user, "note"):
                    return await refused_now(request, user, escalation.id, what)
                # internal: kept in the thread only; nothing here sends to the applicant
                await add_message(
                    services.store,
                    escalation.id,
                    "note",
                    text[:4000],
                    channel="desk",
                    recruiter_id=user.recruiter_id,
                )
                await audit(services.store, user.email, "note", f"escalation {escalation.id}")
                query["notice"] = "note_added"
        elif what == "resolve":
            was = await resolve(services.store, escalation.id, user)
            if was is None:
                return await refused_now(request, user, escalation.id, what)
            if was == "claimed":
                # the bot resumes; the applicant is told that whoever had joined has left
                current = await get_escalation(services.store, escalation.id) or escalation
                mine = current.claimed_by_id == user.recruiter_id
                who = real_name(current.claimed_by_name or user.name, user.email if mine else "")
                # and, in the chat the applicant is in: how helpful was this?
                await handoff(request).leave(current, who or "", ask_feedback=True)
            await audit(services.store, user.email, "resolve", f"escalation {escalation.id}")
        else:  # acknowledge, status
            if not await fresh(services.store, escalation.id, user, what):
                return await refused_now(request, user, escalation.id, what)
            status = Status.ACKNOWLEDGED if what == "acknowledge" else form.get("status") or ""
            stage = (form.get("stage") or "").strip()[:STAGE_CHARS] or None
            before = await services.store.find_application(escalation.reference or "")
            try:
                change_id = None
                if before is not None:
                    # kept against older copies of the ATS, and written back where it can be
                    change_id = await record_desk_change(
                        services.store,
                        services.settings,
                        before,
                        Status(status),
                        stage=stage,
                        actor=user.email,
                    )
                await services.store.record_status_change(
                    escalation.reference,
                    status,
                    actor=user.email,
                    source="desk",
                    stage=stage,
                )
            except (ApplicationNotFound, ValueError):
                return response.text("unknown application or status", status=400)
            if before is not None:
                send_soon(services.store, services.settings, change_id, before.ats_system)
            changed = Status(status).value
            await audit(services.store, user.email, "status_change", escalation.reference, changed)
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

    for what in ("claim", "reply", "resolve", "acknowledge", "status", "note"):

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
        services = DeskServices.get()
        data = await dashboard(services.store, user, utcnow())
        # what applicants ask that the bot does not understand (the review inbox's counts)
        review = await review_figures(services.store, utcnow())
        return render(
            request,
            "dashboard.html",
            user,
            fragment=render_dashboard(data, language_of(request)),
            feedback=await feedback_figures(
                services.store, user, utcnow(), services.settings.timezone
            ),
            review=render_review_figures(review, language_of(request)),
        )

    @desk.route("/audit", methods=["GET"])
    @desk_page
    async def audit_page(request: Request, user: DeskUser) -> HTTPResponse:
        if not user.is_admin:
            return render(request, "message.html", user, message="403", status=403)
        entries = await audit_log(DeskServices.get().store)
        language = language_of(request)
        return render(request, "audit.html", user, lines=[described(e, language) for e in entries])

    return desk
