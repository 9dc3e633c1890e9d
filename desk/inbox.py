"""The live inbox: what a recruiter's open escalations are doing, for the desk's pages to poll.

`GET /desk/inbox.json` lists the unresolved escalations the recruiter sees, each with its latest
activity (raised, or the applicant's latest message: in the chat, from the tracker store, or by
email, from its thread). The pages (static/inbox.js)
keep the queue current without a reload, count in the tab's title what this browser has not
opened since it last changed, and, when the recruiter asks for it, show a browser notification
and play a short sound for new escalations and new applicant messages. What was seen is kept in
the browser (localStorage), per recruiter: nothing to store on the server, and a colleague's
reading does not mark anything read for anyone else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import func, select

from ats.models import EscalationMessage
from ats.store import ATSStore
from desk.escalations import Filters, list_escalations
from desk.handoff import transcript
from desk.pages import desk_page
from desk.services import DeskServices
from desk.sessions import DeskUser

# open escalations whose chat is read for the applicant's latest message, per poll
LIVE = 100


async def latest_applicant_messages(store: ATSStore, ids: list[int]) -> dict[int, datetime]:
    """escalation id -> when its applicant last wrote in its thread."""
    if not ids:
        return {}
    async with store.session() as session:
        rows = await session.execute(
            select(EscalationMessage.escalation_id, func.max(EscalationMessage.at))
            .where(EscalationMessage.escalation_id.in_(ids), EscalationMessage.kind == "applicant")
            .group_by(EscalationMessage.escalation_id)
        )
        return {escalation_id: at for escalation_id, at in rows.all()}


async def latest_chat_messages(agent: Any, rows: list) -> dict[int, datetime]:
    """escalation id -> when its applicant last wrote in the chat (the tracker store), for the
    open ones with a conversation (at most LIVE of them: the oldest first)."""
    latest: dict[int, datetime] = {}
    live = [row for row in rows if row.conversation_id and row.state != "resolved"][:LIVE]
    for row in live:
        said = [
            line.at
            for line in await transcript(agent, row.conversation_id)
            if line.kind == "applicant"
        ]
        if said:
            latest[row.id] = max(said)
    return latest


async def activity_of(store: ATSStore, rows: list, agent: Any = None) -> dict[int, str]:
    """escalation id -> its latest activity (raised, or the applicant wrote again in the chat
    or by email), as an ISO time the browser compares as text."""
    by_mail = await latest_applicant_messages(store, [row.id for row in rows])
    in_chat = await latest_chat_messages(agent, rows) if agent is not None else {}
    activity = {}
    for row in rows:
        moments = [row.created_at, by_mail.get(row.id, row.created_at)]
        moments.append(in_chat.get(row.id, row.created_at))
        activity[row.id] = max(moments).isoformat()
    return activity


def add_inbox_routes(desk: Blueprint) -> None:
    @desk.route("/inbox.json", methods=["GET"])
    @desk_page
    async def inbox(request: Request, user: DeskUser) -> HTTPResponse:
        store = DeskServices.get().store
        rows = await list_escalations(store, user, Filters(state="unresolved"))
        activity = await activity_of(store, rows, request.app.ctx.agent)
        return response.json(
            {
                "escalations": [
                    {
                        "id": row.id,
                        "activity": activity[row.id],
                        "name": row.applicant_name or row.applicant_email or f"#{row.id}",
                    }
                    for row in rows
                ]
            },
            headers={"Cache-Control": "no-store"},
        )
