"""The live inbox: what a recruiter's open escalations are doing, for the desk's pages to poll.

`GET /desk/inbox.json` lists the unresolved escalations the recruiter sees, each with its latest
activity (raised, or the applicant's latest message in its thread). The pages (static/inbox.js)
keep the queue current without a reload, count in the tab's title what this browser has not
opened since it last changed, and, when the recruiter asks for it, show a browser notification
and play a short sound for new escalations and new applicant messages. What was seen is kept in
the browser (localStorage), per recruiter: nothing to store on the server, and a colleague's
reading does not mark anything read for anyone else.
"""

from __future__ import annotations

from datetime import datetime

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import func, select

from ats.models import EscalationMessage
from ats.store import ATSStore
from desk.escalations import Filters, list_escalations
from desk.pages import desk_page
from desk.services import DeskServices
from desk.sessions import DeskUser


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


async def activity_of(store: ATSStore, rows: list) -> dict[int, str]:
    """escalation id -> its latest activity, as an ISO time the browser compares as text."""
    latest = await latest_applicant_messages(store, [row.id for row in rows])
    return {
        row.id: max(row.created_at, latest.get(row.id, row.created_at)).isoformat() for row in rows
    }


def add_inbox_routes(desk: Blueprint) -> None:
    @desk.route("/inbox.json", methods=["GET"])
    @desk_page
    async def inbox(request: Request, user: DeskUser) -> HTTPResponse:
        store = DeskServices.get().store
        rows = await list_escalations(store, user, Filters(state="unresolved"))
        activity = await activity_of(store, rows)
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
