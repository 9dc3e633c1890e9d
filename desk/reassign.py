"""Passing an escalation to a colleague, or letting go of a claim: the escalation goes back to
the queue unclaimed (to the colleague chosen, or to the same recruiter), the bot answers again
until someone claims it, and the applicant is told who has their question now.

Who may: while it is open, anyone who sees it; once claimed, the recruiter who claimed it or an
admin (the rules of resolving). The colleague must have a desk login, so someone can act on it.
"""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import and_, select, update

from ats.models import DeskAccount, Escalation, EscalationState, Recruiter
from ats.records import real_name
from ats.store import ATSStore
from desk.escalations import EscalationView, audit, get_escalation
from desk.handoff import Handoff
from desk.pages import desk_page, language_of, render
from desk.services import DeskServices
from desk.sessions import DeskUser
from speech.catalogue import say


async def colleagues(store: ATSStore) -> list[tuple[int, str]]:
    """Recruiters with a desk login, as (id, name shown in the desk), by name."""
    async with store.session() as session:
        rows = await session.execute(
            select(Recruiter.id, Recruiter.name, Recruiter.email)
            .join(DeskAccount, DeskAccount.recruiter_id == Recruiter.id)
            .order_by(Recruiter.name)
        )
        return [(row.id, real_name(row.name, row.email) or row.email) for row in rows]


async def pass_on(
    store: ATSStore, escalation: EscalationView, to_recruiter: int | None
) -> tuple[bool, str | None]:
    """Unclaim it, with `to_recruiter` as its recruiter when given: (done, the new recruiter's
    name for the applicant). Not done when it changed meanwhile (claimed by someone else,
    resolved) or the colleague has no desk login."""
    values: dict[str, object] = {
        "state": EscalationState.OPEN.value,
        "claimed_by_id": None,
        "claimed_at": None,
    }
    async with store.session() as session, session.begin():
        if to_recruiter is not None:
            colleague = (
                await session.execute(
                    select(Recruiter.name, Recruiter.email)
                    .join(DeskAccount, DeskAccount.recruiter_id == Recruiter.id)
                    .where(Recruiter.id == to_recruiter)
                )
            ).first()
            if colleague is None:
                return False, None
            values["recruiter_id"] = to_recruiter
            name = real_name(colleague.name, colleague.email)
        else:
            name = None
        same = and_(
            Escalation.id == escalation.id,
            Escalation.state == escalation.state,
            Escalation.state != EscalationState.RESOLVED.value,
        )
        if escalation.claimed_by_id is not None:
            same = and_(same, Escalation.claimed_by_id == escalation.claimed_by_id)
        result = await session.execute(update(Escalation).where(same).values(**values))
        return result.rowcount == 1, name


def add_reassign_routes(desk: Blueprint) -> None:
    @desk.route("/escalations/<escalation_id:int>/reassign", methods=["POST"])
    @desk_page
    async def reassign(request: Request, user: DeskUser, escalation_id: int) -> HTTPResponse:
        services = DeskServices.get()
        escalation = await get_escalation(services.store, escalation_id)
        if escalation is None or not escalation.visible_to(user):
            return render(request, "message.html", user, message="403", status=403)
        refusal = escalation.refusal(user, "resolve")
        if refusal:
            message = say(
                f"desk.{refusal}", language_of(request), name=escalation.claimed_by_name or ""
            )
            return render(
                request, "message.html", user, message=message, back=escalation_id, status=403
            )
        raw = ((request.form or {}).get("recruiter") or "").strip()
        # a number beyond any id is no colleague: refused below, not a database error
        to_recruiter = int(raw) if raw.isdigit() and len(raw) < 10 else None
        if raw and to_recruiter is None:
            to_recruiter = 0
        done, colleague = await pass_on(services.store, escalation, to_recruiter)
        if not done:
            message = say("desk.reassign_refused", language_of(request))
            return render(
                request, "message.html", user, message=message, back=escalation_id, status=409
            )
        if to_recruiter is not None:
            await audit(services.store, user.email, "reassign", f"escalation {escalation_id}", raw)
        else:
            await audit(services.store, user.email, "unclaim", f"escalation {escalation_id}")
        app = request.app
        handoff = Handoff(app.ctx.agent, app.ctx.input_channels, services.mailer, services.store)
        was_claimed = escalation.state == EscalationState.CLAIMED.value
        me = real_name(user.name, user.email) or ""
        await handoff.passed_on(escalation, me, colleague, resume=was_claimed)
        return response.redirect(f"/desk/escalations/{escalation_id}?notice=reassigned")
