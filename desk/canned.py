"""Canned replies: what recruiters often write, kept by admins in English and Dutch
(`/desk/canned`), and offered on an escalation's page in the applicant's language to start a
reply from (static/inbox.js puts the chosen one in the reply box, to edit before sending)."""

from __future__ import annotations

from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import delete, select

from ats.models import CannedReply
from ats.store import ATSStore
from ats.store_basics import utcnow
from desk.escalations import EscalationView, audit
from desk.pages import desk_page, render
from desk.services import DeskServices
from desk.sessions import DeskUser
from speech.language import LANGUAGES

TITLE_CHARS, TEXT_CHARS = 200, 4000


async def canned_replies(store: ATSStore, language: str | None = None) -> list[CannedReply]:
    async with store.session() as session:
        query = select(CannedReply).order_by(CannedReply.language, CannedReply.title)
        if language:
            query = query.where(CannedReply.language == language)
        return list(await session.scalars(query))


async def applicant_language(agent: Any, escalation: EscalationView) -> str | None:
    """The language the applicant reads: their conversation's, else the one on file; None
    when neither is known (then every canned reply is offered)."""
    if escalation.conversation_id and agent is not None:
        tracker = await agent.tracker_store.retrieve(escalation.conversation_id)
        spoken = tracker.get_slot("language") if tracker is not None else None
        if spoken in LANGUAGES:
            return str(spoken)
    return escalation.applicant_language


def add_canned_routes(desk: Blueprint) -> None:
    @desk.route("/canned", methods=["GET", "POST"])
    @desk_page
    async def canned(request: Request, user: DeskUser) -> HTTPResponse:
        if not user.is_admin:
            return render(request, "message.html", user, message="403", status=403)
        store = DeskServices.get().store
        problem = None
        if request.method == "POST":
            form = request.form or {}
            chosen = form.get("delete") or ""
            if chosen.isdigit() and len(chosen) < 10:
                async with store.session() as session, session.begin():
                    await session.execute(delete(CannedReply).where(CannedReply.id == int(chosen)))
                await audit(store, user.email, "canned_delete", f"canned reply {chosen}")
                return response.redirect("/desk/canned")
            title = (form.get("title") or "").strip()[:TITLE_CHARS]
            text = (form.get("text") or "").strip()[:TEXT_CHARS]
            language = form.get("language") or ""
            if not title or not text or language not in LANGUAGES:
                problem = "canned_incomplete"
            else:
                async with store.session() as session, session.begin():
                    reply = CannedReply(
                        title=title, language=language, text=text, created_at=utcnow()
                    )
                    session.add(reply)
                    await session.flush()
                    added = reply.id
                await audit(store, user.email, "canned_add", f"canned reply {added}")
                return response.redirect("/desk/canned")
        return render(
            request,
            "canned.html",
            user,
            replies=await canned_replies(store),
            languages=LANGUAGES,
            problem=problem,
            status=400 if problem else 200,
        )
