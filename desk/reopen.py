"""Reopening a resolved escalation from its page: anyone who sees it may (it goes back to the
queue, unclaimed), with an audit row; refused with a page saying why when another escalation of
the same application and reason is open already."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from desk.escalations import audit, get_escalation, reopen
from desk.pages import desk_page, language_of, render
from desk.services import DeskServices
from desk.sessions import DeskUser
from speech.catalogue import say


def add_reopen_routes(desk: Blueprint) -> None:
    @desk.route("/escalations/<escalation_id:int>/reopen", methods=["POST"])
    @desk_page
    async def reopen_escalation(
        request: Request, user: DeskUser, escalation_id: int
    ) -> HTTPResponse:
        services = DeskServices.get()
        store = services.store
        escalation = await get_escalation(store, escalation_id)
        if escalation is None or not escalation.visible_to(user):
            return render(request, "message.html", user, message="403", status=403)
        if not await reopen(store, services.settings, escalation_id):
            message = say("desk.reopen_refused", language_of(request))
            return render(
                request, "message.html", user, message=message, back=escalation_id, status=409
            )
        await audit(store, user.email, "reopen", f"escalation {escalation_id}")
        return response.redirect(f"/desk/escalations/{escalation_id}?notice=reopened")
