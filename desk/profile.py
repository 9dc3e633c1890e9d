"""A recruiter's own profile page (/desk/profile): the name applicants see when the recruiter
joins their chat, and colleagues see in the queue. Asked first at set-password
(desk/login_pages.py); an account without one shows its address in the desk and "a recruiter"
to applicants (desk/accounts.py, real_name)."""

from __future__ import annotations

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from desk.accounts import NAME_CHARS, NameRejected, real_name
from desk.escalations import audit
from desk.pages import desk_page, language_of, render
from desk.services import DeskServices
from desk.sessions import DeskUser
from speech.catalogue import say


def add_profile_routes(desk: Blueprint) -> None:
    @desk.route("/profile", methods=["GET"])
    @desk_page
    async def profile(request: Request, user: DeskUser) -> HTTPResponse:
        saved = request.args.get("saved") == "1"
        return render(
            request,
            "profile.html",
            user,
            typed_name=real_name(user.name, user.email) or "",
            error=None,
            saved=saved,
        )

    @desk.route("/profile", methods=["POST"])
    @desk_page
    async def save_profile(request: Request, user: DeskUser) -> HTTPResponse:
        typed = ((request.form or {}).get("name") or "")[:NAME_CHARS]
        services = DeskServices.get()
        try:
            name = await services.accounts.set_name(user.recruiter_id, typed)
        except NameRejected:
            error = say("desk.name_rejected", language_of(request), chars=NAME_CHARS)
            return render(
                request,
                "profile.html",
                user,
                typed_name=typed,
                error=error,
                saved=False,
                status=400,
            )
        await audit(services.store, user.email, "name_set", None, name)
        return response.redirect("/desk/profile?saved=1")
